// The sync worker: drains the outbox of one table into the target database.
//
// Per batch it claims outbox rows (PostgreSQL: FOR UPDATE SKIP LOCKED plus a transaction-level
// advisory lock per record key, all held until the batch is done, so several workers in several
// processes never copy one key at once and a killed worker's claims vanish with its session;
// SQLite: one UPDATE ... SET claimed_by that leases rows whose key nobody else holds), takes every
// waiting row of the claimed keys too (many changes of one record become one write: "unique until
// processing"), reads each record's current state from the source (from the replica when it has
// replayed past the claim's WAL position, else from the primary), upserts or deletes on the
// target in one transaction, and only then deletes the claimed outbox rows. Every step is
// idempotent: a crash anywhere repeats work, never loses it.
//
// Failures: a target that cannot be reached pauses the worker with exponential backoff and leaves
// the rows untouched (no attempt is counted). A row the target rejects is retried with
// exponential backoff (next_attempt_at); after max_attempts it becomes a dead letter.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "switchyard/sync/table_sync.hpp"

namespace switchyard::sync {

struct WorkerOptions {
  std::string worker_id{};                      // default: host:pid:counter
  std::size_t batch_size = 500;                 // outbox rows claimed per batch
  double rows_per_second = 0;                   // throttle (records written); 0 = unlimited
  std::chrono::milliseconds poll_interval{200};  // idle wait between outbox polls
  int max_attempts = 10;                        // then a dead letter
  std::chrono::milliseconds retry_base{500};    // first retry delay; doubles per attempt
  std::chrono::milliseconds retry_max{std::chrono::minutes(5)};
  std::chrono::milliseconds unavailable_max{std::chrono::seconds(5)};  // target-down backoff cap
  std::chrono::milliseconds claim_lease{std::chrono::minutes(2)};      // SQLite claims
  // Back-pressure: a batch whose target write takes longer than this halves the next batch
  // (down to 1); fast batches grow it back to batch_size.
  std::chrono::milliseconds slow_batch{std::chrono::seconds(2)};
  // How long a batch waits for the source replica to replay its changes before reading from the
  // primary. Covers normal replay lag and the WAL writer's flush delay (200 ms by default). A
  // replica that missed the wait is only checked once per batch until it catches up again, so a
  // paused or lagging replica costs one round trip per batch, not the whole wait.
  std::chrono::milliseconds replica_wait{500};
};

struct WorkerStats {
  std::uint64_t batches = 0;
  std::uint64_t outbox_rows_done = 0;  // outbox rows completed (deleted)
  std::uint64_t records_upserted = 0;
  std::uint64_t records_deleted = 0;
  std::uint64_t replica_reads = 0;     // batches whose records came from the replica
  std::uint64_t primary_reads = 0;
  std::uint64_t row_failures = 0;      // rows the target rejected (retried or dead)
  std::uint64_t dead_letters = 0;
  std::uint64_t unavailable = 0;       // batches abandoned because an endpoint was unreachable
  std::string last_error{};
  // Enqueue-to-done latencies of completed rows, milliseconds (a bounded sample).
  std::vector<double> lag_samples_ms{};
};

class Worker {
 public:
  explicit Worker(TableSync spec, WorkerOptions options = {});
  ~Worker();  // stops the background thread, if any
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // One batch; returns the outbox rows completed. Throws only for misconfiguration (unknown
  // table or column); endpoint failures are recorded in stats() and reported as events.
  std::size_t run_once();
  // Batches until no row is due (rows waiting for a retry later do not count), or `timeout`.
  // Returns rows completed.
  std::size_t drain(std::chrono::milliseconds timeout = std::chrono::minutes(10));
  // The loop: batches while work is due, otherwise waits for wake_workers() or poll_interval;
  // honours pause. Returns when `stop` becomes true.
  void run(const std::atomic<bool>& stop);
  // run() on a background thread, and its stop.
  void start();
  void stop();
  bool running() const noexcept { return thread_.joinable(); }

  WorkerStats stats() const;
  const TableSync& spec() const noexcept;
  const std::string& id() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Copies the current state of `record_keys` to the target now, on this thread, without the
// outbox: inline mode (the seed's after_commit copy). Never throws: failures are reported as
// instrument events "sync.inline_error" and returned as false. The weaker choice: a crash or a
// target outage between commit and copy loses the change until the next backfill/verify.
bool sync_now(const TableSync& spec, const std::vector<std::string>& record_keys) noexcept;

}  // namespace switchyard::sync

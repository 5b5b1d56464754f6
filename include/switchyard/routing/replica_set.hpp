// The replicas of one writer database: their pools, health (a background probe and a circuit
// breaker per replica), lag (bytes and seconds) and replayed WAL position, plus the writer's own
// health as the probe sees it. The proxy asks it for a replica for each read.
//
// The probe (one thread per set, every replica_probe_interval) keeps, per replica,
// pg_last_wal_replay_lsn(), the replay delay and whether it answers at all, and, for the writer,
// pg_current_wal_insert_lsn(), its system identifier and timeline. Reads then check a session's
// token against cached positions: no round trip.
//
// Circuit breaker per replica: closed -> open on a connection-class failure (statement or probe);
// after a backoff (base, doubling up to max) the probe tries once (half-open): success closes it
// and the replica is readmitted (its pool is flushed: connections from before the failure are
// dead), failure reopens it with a longer backoff. Without a probe (SQLite) the next statement
// after the backoff is the half-open trial.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "switchyard/config/database_config.hpp"
#include "switchyard/connection/connection_pool.hpp"
#include "switchyard/routing/decision.hpp"
#include "switchyard/routing/lsn.hpp"

namespace switchyard::routing {

enum class Stickiness : std::uint8_t { time, wal };

struct BreakerOptions {
  std::chrono::milliseconds base_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  int failure_threshold = 1;  // consecutive failures that open the breaker
};

// Routing settings of a writer config (proxy mode on).
struct RoutingSettings {
  Stickiness stickiness = Stickiness::wal;  // sqlite3: always time
  std::chrono::milliseconds proxy_delay{2000};
  std::chrono::milliseconds sticky_wait{20};     // bounded wait for a replica to catch up
  std::chrono::milliseconds probe_interval{200};
  LoadBalancing load_balancing = LoadBalancing::round_robin;
  std::optional<std::int64_t> max_lag_bytes{};
  std::optional<double> max_lag_seconds{};
  BreakerOptions breaker{};
  // A replica the probe finds out of recovery (promoted, or never a standby: a logical
  // subscriber) no longer follows the primary: unless false, it serves no reads while the
  // primary is up.
  bool replicas_must_be_standbys = true;

  // From the writer config: replicas_must_be_standbys, proxy_delay, stickiness, load_balancing, max_lag_bytes,
  // max_lag_seconds, replica_probe_interval, sticky_wait, circuit_breaker {base_backoff,
  // max_backoff, failure_threshold} (seconds).
  static RoutingSettings from_config(const DatabaseConfig& writer);
};

// True when the config opts into proxy mode: adapter postgresql_proxy / sqlite3_proxy, or
// `proxy: true`.
bool proxy_enabled(const DatabaseConfig& config);

enum class BreakerState : std::uint8_t { closed, open, half_open };
std::string_view to_string(BreakerState state) noexcept;

struct ReplicaSnapshot {
  std::string name;
  BreakerState state = BreakerState::closed;
  bool in_recovery = false;
  Lsn replay_lsn = 0;
  std::int64_t lag_bytes = -1;  // -1: unknown
  double lag_seconds = -1;      // -1: unknown
  std::int64_t outstanding = 0;
  std::uint64_t statements = 0, failures = 0, retries = 0;
  std::string last_error;
  double weight = 1.0;
};

class ReplicaSet {
 public:
  struct Member {
    DatabaseConfig config;
    double weight = 1.0;
  };

  // `writer` is the writer config (its name labels events and metrics), `members` the replicas.
  // Starts the probe thread for PostgreSQL when there is anything to probe.
  ReplicaSet(DatabaseConfig writer, std::vector<Member> members, RoutingSettings settings,
             std::string connection_name, std::string shard);
  ~ReplicaSet();
  ReplicaSet(const ReplicaSet&) = delete;
  ReplicaSet& operator=(const ReplicaSet&) = delete;

  const std::string& writer_name() const noexcept { return writer_.name(); }
  const DatabaseConfig& writer() const noexcept { return writer_; }
  const RoutingSettings& settings() const noexcept { return settings_; }
  sql::Dialect dialect() const noexcept { return dialect_; }
  std::size_t size() const noexcept { return replicas_.size(); }
  const std::string& replica_name(std::size_t i) const;
  ConnectionPool& pool(std::size_t i) const;

  // Views for select_replica; `token` (may be empty) decides `covers`.
  std::vector<ReplicaView> views(const WalToken* token);
  // True when every replica that is up has replayed `lsn` (the token can be dropped).
  bool all_replayed(Lsn lsn) const;
  std::uint64_t next_ticket() noexcept { return ticket_.fetch_add(1, std::memory_order_relaxed); }

  // Statement outcomes on replica i.
  void begin_statement(std::size_t i) noexcept;
  void end_statement(std::size_t i) noexcept;
  void report_success(std::size_t i);
  void report_failure(std::size_t i, const std::string& error);
  void count_retry(std::size_t i) noexcept;
  // A direct position check on a leased replica connection (the bounded wait) updates the cache.
  void observe_replay_lsn(std::size_t i, Lsn lsn);

  // The writer as the probe sees it. primary_down() is set by the probe or by a failed write
  // and cleared by the probe once the writer answers again.
  bool primary_down() const noexcept { return primary_down_.load(std::memory_order_acquire); }
  void report_primary_failure(const std::string& error);
  std::string primary_error() const;
  // Cluster identity of the writer (0 while unknown).
  std::uint64_t system_identifier() const noexcept { return sysid_.load(); }
  std::uint32_t timeline() const noexcept { return timeline_.load(); }
  Lsn primary_lsn() const noexcept { return primary_lsn_.load(); }
  void observe_primary_identity(std::uint64_t sysid, std::uint32_t timeline);

  // Whether every replica is out now (breaker not closed).
  bool all_down() const;
  // Records whether reads are falling back to the primary because every replica is out; true
  // when that changed (the proxy emits routing.all_replicas_down / routing.replicas_available).
  bool note_all_down(bool down) noexcept { return all_down_noted_.exchange(down) != down; }
  bool all_down_noted() const noexcept { return all_down_noted_.load(); }

  std::vector<ReplicaSnapshot> snapshot() const;

  // Runs one probe round now (tests; the probe thread calls it on its own).
  void probe_now();

 private:
  struct Replica;
  void probe_loop();
  void probe_primary();
  void probe_replica(Replica& r);
  void open_breaker(Replica& r, const std::string& error);
  void close_breaker(Replica& r);
  bool trial_due(Replica& r);

  DatabaseConfig writer_;
  RoutingSettings settings_;
  sql::Dialect dialect_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::atomic<std::uint64_t> ticket_{0};

  std::atomic<bool> all_down_noted_{false};
  std::atomic<bool> primary_down_{false};
  std::atomic<std::uint64_t> sysid_{0};
  std::atomic<std::uint32_t> timeline_{0};
  std::atomic<Lsn> primary_lsn_{0};
  mutable std::mutex primary_mutex_;
  std::string primary_error_;
  void* primary_probe_conn_ = nullptr;  // PGconn*, probe thread only

  std::mutex probe_mutex_;  // one probe round at a time (the thread, or probe_now())
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread probe_thread_;
};

}  // namespace switchyard::routing

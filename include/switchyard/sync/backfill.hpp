// Backfill: copies the rows that already exist in the source to the target, in key order, in
// batches read from the source's replica when one is configured.
//
// Resumable: after every batch the last key copied is stored in switchyard_sync_checkpoints (in
// the source database); a backfill started again after a crash continues after it. Safe beside a
// running worker: rows are inserted with ON CONFLICT DO NOTHING (a row already on the target came
// from the live sync and is at least as new), and the keys actually inserted are re-checked on the
// source primary afterwards: any that were deleted (or left the filter) meanwhile are enqueued, so
// the worker removes them. `overwrite` replaces existing target rows instead (use it when no live
// sync runs, e.g. to repair drift in bulk).
//
// Between two PostgreSQL databases (and without a transform) batches move by COPY: COPY (SELECT
// ...) TO STDOUT on the source streamed row by row, unparsed, into COPY ... FROM STDIN on the
// target — straight into the target table while no batch meets a key that is already there (the
// COPY then fails with unique_violation and the batch is redone), otherwise into a temporary table
// and INSERT ... SELECT ... ON CONFLICT from it, until a batch meets no existing key again. The
// re-check reads the source primary's keys over the batch's key range once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

#include "switchyard/sync/table_sync.hpp"

namespace switchyard::sync {

struct BackfillOptions {
  std::size_t batch_size = 20000;  // rows per batch and per checkpoint
  double rows_per_second = 0;     // throttle; 0 = unlimited
  bool overwrite = false;         // DO UPDATE instead of DO NOTHING (see above)
  bool restart = false;           // ignore a checkpoint and start from the first key
  bool use_copy = true;           // COPY fast path when both sides are PostgreSQL
  std::ostream* progress = nullptr;  // a progress line (rows, %, rate, ETA) is redrawn here
  std::size_t max_batches = 0;    // stop after this many batches (0 = all); for tests and steps
  // Called after every batch with the rows copied so far; returning false stops (resumable).
  std::function<bool(std::int64_t)> on_batch{};
};

struct BackfillResult {
  std::int64_t rows_copied = 0;   // rows read from the source in this run
  std::int64_t rows_inserted = 0;  // rows that were new on the target (all of them with overwrite)
  std::int64_t rows_total = 0;    // rows done including earlier runs (checkpoint)
  std::int64_t requeued = 0;      // inserted keys that had vanished meanwhile (enqueued)
  std::size_t batches = 0;
  bool resumed = false;           // continued from a checkpoint
  bool finished = false;          // reached the last key
  bool used_copy = false;
  double seconds = 0;
  std::string last_key{};
};

BackfillResult backfill(const TableSync& spec, const BackfillOptions& options = {});

// The checkpoint name a backfill of `spec` uses ("backfill:dogs->planetscale.dogs").
std::string checkpoint_name(const TableSync& spec);
// Forgets the checkpoint, so the next backfill starts at the first key.
void reset_checkpoint(const TableSync& spec);

}  // namespace switchyard::sync

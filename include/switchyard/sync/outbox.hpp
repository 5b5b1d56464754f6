// The durable outbox: sync intents stored in the SOURCE database, written in the same transaction
// as the record they describe, so a crash between commit and enqueue cannot lose one.
//
// Tables (created by install_outbox, idempotent, both dialects; times are epoch milliseconds
// from the database clock):
//   switchyard_sync_outbox       one row per change: table_name, record_key, operation
//                                (upsert/delete, a hint: the worker always copies the record's
//                                current state), attempts, last_error, next_attempt_at,
//                                claimed_by/claimed_until (SQLite claims), origin
//   switchyard_sync_dead         dead letters: rows that failed max_attempts times, with the error
//   switchyard_sync_checkpoints  backfill progress (last key copied, rows done)
//   switchyard_sync_state        name/value flags: "paused:<table>", "suppress_capture"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard {
class Connection;
}

namespace switchyard::sync {

inline constexpr const char* kOutboxTable = "switchyard_sync_outbox";
inline constexpr const char* kDeadTable = "switchyard_sync_dead";
inline constexpr const char* kCheckpointTable = "switchyard_sync_checkpoints";
inline constexpr const char* kStateTable = "switchyard_sync_state";

enum class Operation { upsert, remove };
std::string_view to_string(Operation op) noexcept;  // "upsert" / "delete"

// Creates the four tables and their indexes if missing (CREATE ... IF NOT EXISTS; serialised by
// an advisory lock on PostgreSQL so concurrent installers do not collide). Safe to call at every
// start. `switchyard sync:install` runs it.
void install_outbox(Connection& conn);
bool outbox_installed(Connection& conn);

// Records one sync intent. Call it inside the transaction that writes the record (the Syncable
// mixin does): the intent commits or rolls back with the record. `origin` tags who enqueued it
// ("app", "trigger", "repair", "backfill").
void enqueue(Connection& conn, std::string_view table, std::string_view record_key,
             Operation op = Operation::upsert, std::string_view origin = "app");
void enqueue_many(Connection& conn, std::string_view table,
                  const std::vector<std::string>& record_keys, std::string_view origin = "repair");

// Trigger-based capture: AFTER INSERT/UPDATE/DELETE row triggers on `table` that enqueue every
// change, so update_all, delete_all and raw SQL are synced too (without it, only writes made
// through Syncable models are). Writes made by a sync worker are not captured (loop prevention:
// PostgreSQL triggers skip sessions with `switchyard.sync_origin` set; SQLite triggers skip while
// the "suppress_capture" state flag is set inside the worker's write transaction). Idempotent.
void install_capture_trigger(Connection& conn, std::string_view table, std::string_view key);
void remove_capture_trigger(Connection& conn, std::string_view table);
bool capture_trigger_installed(Connection& conn, std::string_view table);

struct OutboxStatus {
  std::string table{};
  std::int64_t backlog = 0;         // rows waiting (including retries not yet due)
  std::int64_t ready = 0;           // rows due now
  std::int64_t retrying = 0;        // rows with attempts > 0
  std::int64_t claimed = 0;         // rows under a live claim (SQLite leases)
  std::int64_t dead = 0;            // dead letters
  std::optional<double> oldest_age_seconds{};  // age of the oldest waiting row
  bool paused = false;
  std::optional<std::string> last_error{};
};
// One entry per table with outbox rows, dead letters or a paused flag; or only `table`.
std::vector<OutboxStatus> status(Connection& conn, std::string_view table = {});

// Pausing is a flag in the source database, so it reaches every worker process.
void pause(Connection& conn, std::string_view table);
void resume(Connection& conn, std::string_view table);
bool paused(Connection& conn, std::string_view table);
// The seed's "blow away the queue": deletes the table's waiting outbox rows (and, with
// `include_dead`, its dead letters). Returns rows deleted. A backfill + verify afterwards restores
// anything the target missed.
std::int64_t flush(Connection& conn, std::string_view table, bool include_dead = false);
// Moves dead letters back into the outbox with attempts reset; returns how many.
std::int64_t retry_dead(Connection& conn, std::string_view table);

// Wakes in-process workers now (after_commit calls this); workers in other processes poll.
void wake_workers() noexcept;

// While alive on this thread, Syncable writes do not enqueue: used when a write is itself the
// result of a sync (reverse sync during cut-over), so it is never synced back.
class SuppressCapture {
 public:
  SuppressCapture() noexcept;
  ~SuppressCapture();
  SuppressCapture(const SuppressCapture&) = delete;
  SuppressCapture& operator=(const SuppressCapture&) = delete;
  static bool active() noexcept;

 private:
  bool previous_;
};

}  // namespace switchyard::sync

// Internal: the table-level operations the worker, backfill and verify share — introspection,
// the column plan, reading records by key, writing them to the target, loop-prevention marks.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/connection/connection.hpp"
#include "switchyard/result.hpp"
#include "switchyard/sync/table_sync.hpp"

namespace switchyard::sync::detail {

// SQL for "now" in epoch milliseconds, by the database's clock.
std::string now_ms_sql(sql::Dialect dialect);
std::int64_t now_ms_local();

struct ColumnInfo {
  std::string name;
  std::string type;  // as declared (lower case)
};
// Columns of `table` in order; empty when the table does not exist.
std::vector<ColumnInfo> table_columns(Connection& conn, const std::string& table);
bool table_exists(Connection& conn, const std::string& table);

// The resolved column mapping of a TableSync against real tables.
struct Plan {
  std::vector<std::string> source_columns;  // key included
  std::vector<std::string> target_columns;  // same order
  std::size_t key_index = 0;
  bool integer_key = false;   // bind keys as integers
  bool text_key = false;      // order text keys bytewise (COLLATE "C" on PostgreSQL)
  std::string source_key;
  std::string target_key;
};
// Throws ArgumentError for a missing table, key or column.
Plan make_plan(const TableSync& spec, Connection& source, Connection& target);

std::string key_text(const Value& v);
Value key_bind(const Plan& plan, const std::string& key);

// "$a, $b, ..." for n placeholders starting at `first`.
std::string placeholders(std::size_t n, int first = 1);
std::string quoted_list(const std::vector<std::string>& names);
// The key column ordered bytewise for text keys on PostgreSQL.
std::string ordered_key(sql::Dialect dialect, const Plan& plan, const std::string& quoted_key);

// Source rows for `keys`, filtered and transformed, in target column order; keys that have no
// row (deleted, filtered out, dropped by the transform) are returned in `gone`.
struct ReadResult {
  std::vector<std::vector<Value>> rows;
  std::vector<std::string> gone;
};
ReadResult read_records(Connection& source, const TableSync& spec, const Plan& plan,
                        const std::vector<std::string>& keys);
// Applies the transform to fetched source rows (already in plan order); drops rejected rows and
// reports their keys in `dropped`.
void apply_transform(const TableSync& spec, const Plan& plan, std::vector<std::vector<Value>>& rows,
                     std::vector<std::string>* dropped);

// Writes rows and deletes keys on the target inside the caller's transaction. With `overwrite`
// false, existing rows are kept (ON CONFLICT DO NOTHING) and `inserted`, if given, receives the
// keys actually inserted.
void write_records(Connection& target, const Plan& plan, const std::string& target_table,
                   const std::vector<std::vector<Value>>& rows,
                   const std::vector<std::string>& deletes, bool overwrite = true,
                   std::vector<std::string>* inserted = nullptr);

// Loop prevention on the target, inside its write transaction: PostgreSQL sets the transaction
// local `switchyard.sync_origin`; SQLite raises the suppress_capture flag (when the target has the
// state table) — call clear before commit.
void mark_sync_origin(Connection& target, const std::string& origin, bool sqlite_state_table);
void clear_sync_origin(Connection& target, bool sqlite_state_table);

// Opens a connection for sync work (its own, outside the application's pools).
std::unique_ptr<Connection> open_sync_connection(const DatabaseConfig& config,
                                                 const std::string& role = "writing");

// Whether `e` means the endpoint is unreachable (retry later) rather than a row problem.
bool is_unavailable(const std::exception& e);

// In-process wake-ups (wake_workers): the generation counter and a bounded wait for it to move.
std::uint64_t wake_generation() noexcept;
void wait_for_wake(std::uint64_t seen, std::chrono::milliseconds timeout);
// Wakes wait_for_wake callers without bumping the generation (a worker is stopping).
void interrupt_waits() noexcept;

// 'text' with quotes doubled: for the few literals DDL cannot bind (trigger arguments).
std::string quote_literal(std::string_view text);

// Emits instrument event `name` with a payload.
void report(const std::string& name, const TableSync& spec, const std::string& message);

}  // namespace switchyard::sync::detail

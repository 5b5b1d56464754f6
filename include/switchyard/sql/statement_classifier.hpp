// The statement classifier: decides, before anything is sent, whether a SQL string is a read a
// replica may serve, a write, session state, or transaction control. The write guard and the
// statement router are both built on it. It is default-deny: a statement is a read only when
// every statement in the string is proven read-only; anything it cannot prove is a write.
// docs/sql-classifier.md lists the rules, the reasons and the known limits.
#pragma once

#include <atomic>
#include <cstdint>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "switchyard/sql/dialect.hpp"

namespace switchyard::sql {

enum class StatementKind : std::uint8_t { read, write, session_state, transaction_control };

// Where a statement may run. `all` is session state to replay on every connection the logical
// session uses (SET, RESET, DISCARD).
enum class Route : std::uint8_t { replica, primary, all };

// The machine-readable reason, without detail; `Classification::reason` is its printable form.
enum class ReasonCode : std::uint8_t {
  // reads
  empty,            // EMPTY: nothing but whitespace, comments and semicolons
  select,           // SELECT
  with,             // WITH
  values,           // VALUES
  table,            // TABLE
  show,             // SHOW
  explain,          // EXPLAIN: plain EXPLAIN plans, it does not execute
  explain_analyze,  // EXPLAIN_ANALYZE of a read
  copy_to_stdout,   // COPY_TO_STDOUT
  pragma_read,      // PRAGMA_READ(name)
  wait_for_lsn,     // WAIT_FOR_LSN (PostgreSQL 18+ standby wait)
  // writes
  locking_clause,          // LOCKING_CLAUSE: FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE
  select_into,             // SELECT_INTO: creates a table
  dml_in_cte,              // DML_IN_CTE: WITH x AS (INSERT|UPDATE|DELETE|MERGE ...)
  dml_in_subquery,         // DML_IN_SUBQUERY: (INSERT ...) anywhere else
  dml_keyword,             // DML_KEYWORD(kw): a bare INSERT/UPDATE/DELETE/MERGE in a query
  side_effect_function,    // SIDE_EFFECT_FUNCTION(name)
  unknown_function,        // UNKNOWN_FUNCTION(name): not built in, not registered read-only
  explain_analyze_write,   // EXPLAIN_ANALYZE_WRITE: EXPLAIN ANALYZE executes its statement
  copy_from,               // COPY_FROM
  copy_to_file,            // COPY_TO_FILE: server-side file or program
  write_statement,         // WRITE_STATEMENT(kw)
  temp_table,              // TEMP_TABLE: creates or reads a temporary relation (pins)
  unterminated,            // UNTERMINATED: unterminated string, identifier, comment, dollar quote
  nul_byte,                // NUL_BYTE: drivers would truncate at it
  unbalanced_parentheses,  // UNBALANCED_PARENTHESES
  unrecognized_statement,  // UNRECOGNIZED_STATEMENT
  execute,                 // EXECUTE: runs a prepared statement we cannot see
  pragma_write,            // PRAGMA_WRITE(name): persistent SQLite setting or action
  unknown_pragma,          // UNKNOWN_PRAGMA(name)
  // session state
  session_state,     // SESSION_STATE(SET | SET LOCAL | RESET | DISCARD | PREPARE | ...)
  listen,            // LISTEN
  cursor_with_hold,  // CURSOR_WITH_HOLD
  cursor,            // CURSOR(DECLARE | FETCH | MOVE | CLOSE)
  session_function,  // SESSION_FUNCTION(name): currval, lastval, last_insert_rowid, ...
  // transaction control
  transaction_control,  // TRANSACTION_CONTROL(BEGIN | BEGIN READ ONLY | COMMIT | ...)
};

// "SELECT", "WRITE_STATEMENT", ... (the reason without its detail).
std::string_view to_string(ReasonCode code) noexcept;
std::string_view to_string(StatementKind kind) noexcept;
std::string_view to_string(Route route) noexcept;

struct Classification {
  StatementKind kind = StatementKind::write;
  // read -> replica, write -> primary, transaction_control -> primary, session_state -> all
  // when it can be replayed on every connection, primary otherwise.
  Route route = Route::primary;
  // Machine-readable and printable: "SELECT", "LOCKING_CLAUSE", "SIDE_EFFECT_FUNCTION(nextval)",
  // "WRITE_STATEMENT(INSERT)", "MULTI_STATEMENT(WRITE_STATEMENT(DROP))", ...
  std::string reason;
  // `reason` without detail; for a multi-statement string, the code of the statement that
  // decided.
  ReasonCode code = ReasonCode::unrecognized_statement;
  // The statement leaves state on its connection that cannot be replayed elsewhere (LISTEN,
  // session advisory locks, temp tables, PREPARE, cursors WITH HOLD, currval/lastval, ATTACH):
  // the logical session must stay on this connection (the primary) from now on.
  bool pins = false;
  bool multi_statement = false;

  bool is_write() const noexcept { return kind == StatementKind::write; }
  bool pins_session() const noexcept { return pins; }
};

class StatementClassifier {
 public:
  explicit StatementClassifier(Dialect dialect);
  StatementClassifier(const StatementClassifier&) = delete;
  StatementClassifier& operator=(const StatementClassifier&) = delete;

  // Declares a user-defined function free of side effects, so calls to it can be reads. Names
  // fold to ASCII lower case. An unqualified name matches unqualified calls only; register
  // "schema.name" for schema-qualified calls. Safe to call concurrently with classify().
  void register_read_only_function(std::string name);

  // Thread-safe. Decisions are remembered in a small per-thread cache keyed by the exact text
  // (ORM statements repeat, with binds as $N), so a repeated statement costs a hash and a
  // compare; registering a function invalidates the cache. Allocation-free apart from the
  // reason string and a cache fill.
  Classification classify(std::string_view sql) const;
  // The same decision without the cache (for benchmarks and tests).
  Classification classify_uncached(std::string_view sql) const;

  Dialect dialect() const { return dialect_; }

  // For the classifier's own use: true if `name` (already folded) was registered.
  bool is_registered_read_only(std::string_view name) const;

 private:
  Dialect dialect_;
  std::uint64_t id_;                          // identifies this instance in the cache
  std::atomic<std::uint64_t> generation_{0};  // bumped by each registration
  mutable std::shared_mutex mutex_;
  std::set<std::string, std::less<>> read_only_functions_;
  std::atomic<bool> any_registered_{false};  // spares the lock while nothing is registered
};

// Shared default classifiers, one per dialect: classify() is thread-safe on them.
const StatementClassifier& default_classifier(Dialect dialect);
// Registers a read-only function on the shared default classifier of `dialect`.
void register_read_only_function(Dialect dialect, std::string name);
// default_classifier(dialect).classify(sql)
Classification classify(Dialect dialect, std::string_view sql);

}  // namespace switchyard::sql

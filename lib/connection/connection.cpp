#include "switchyard/connection/connection.hpp"

#include <utility>

#include "switchyard/errors.hpp"
#include "switchyard/instrument/notifications.hpp"
#include "switchyard/sql/statement_classifier.hpp"

namespace switchyard {

Connection::Connection(DatabaseConfig config, ConnectionIdentity identity)
    : config_(std::move(config)),
      identity_(std::move(identity)),
      dialect_(sql::dialect_for_adapter(config_.adapter())),
      replica_(config_.replica()),
      created_at_(std::chrono::steady_clock::now()),
      last_used_at_(created_at_) {
  if (identity_.database.empty()) identity_.database = config_.name();
  if (identity_.node.empty()) identity_.node = identity_.database;
}

Connection::~Connection() = default;

bool Connection::preventing_writes() const {
  return replica_ || (write_guard_ && *write_guard_ && (*write_guard_)());
}

void Connection::guard(std::string_view sql_text) const {
  if (!preventing_writes()) return;
  if (sql::classify(dialect_, sql_text).is_write())
    throw ReadOnlyError("Write query attempted while in readonly mode: " + std::string(sql_text));
}

Result Connection::execute(std::string_view sql_text, std::span<const Value> binds,
                           const ExecOptions& options) {
  guard(sql_text);  // first: a refused write is a ReadOnlyError whatever its bytes
  // Drivers stop at a NUL byte: the server would run less than the guard and the log saw.
  if (sql_text.find('\0') != std::string_view::npos)
    throw ArgumentError("SQL text contains a NUL byte; pass such data as a bound value");
  const bool observed = instrument::has_sql_subscribers();
  const auto start = std::chrono::steady_clock::now();
  bool cached = false;
  auto emit = [&](std::int64_t rows, std::string_view sqlstate, std::string_view error) {
    if (!observed) return;
    instrument::SqlEvent event;
    event.sql = sql_text;
    event.binds = binds;
    event.bind_names = options.bind_names;
    event.name = options.name;
    event.database = identity_.database;
    event.role = identity_.role;
    event.shard = identity_.shard;
    event.node = identity_.node;
    event.route_reason = options.route_reason;
    event.duration = std::chrono::steady_clock::now() - start;
    event.rows = rows;
    event.sqlstate = sqlstate;
    event.error = error;
    event.cached = cached;
    instrument::emit(event);
  };
  ++statements_;
  touch();
  try {
    Result result = run(sql_text, binds, options.prepare, options.single_statement, cached);
    emit(result.rows.empty() ? result.affected_rows : static_cast<std::int64_t>(result.rows.size()),
         {}, {});
    return result;
  } catch (const StatementInvalid& e) {
    emit(0, e.sqlstate(), e.what());
    throw;
  }
}

void Connection::begin_transaction() {
  const int depth = transaction_depth();
  execute(depth == 0 ? "BEGIN" : "SAVEPOINT sy_savepoint_" + std::to_string(depth),
          std::span<const Value>{}, {.name = "TRANSACTION"});
  savepoint_callbacks_.emplace_back();
}

void Connection::commit_transaction() {
  const int depth = transaction_depth();
  if (depth == 0) throw Error("commit_transaction without an open transaction");
  if (depth == 1) {
    execute("COMMIT", std::span<const Value>{}, {.name = "TRANSACTION"});
    auto callbacks = std::move(savepoint_callbacks_.back().after_commit);
    savepoint_callbacks_.pop_back();
    run_callbacks(callbacks);
    return;
  }
  execute("RELEASE SAVEPOINT sy_savepoint_" + std::to_string(depth - 1), std::span<const Value>{},
          {.name = "TRANSACTION"});
  // A released savepoint's work now belongs to its parent: so do its callbacks.
  Frame done = std::move(savepoint_callbacks_.back());
  savepoint_callbacks_.pop_back();
  auto& parent = savepoint_callbacks_.back();
  for (auto& cb : done.after_commit) parent.after_commit.push_back(std::move(cb));
  for (auto& cb : done.after_rollback) parent.after_rollback.push_back(std::move(cb));
}

void Connection::rollback_transaction() {
  const int depth = transaction_depth();
  if (depth == 0) throw Error("rollback_transaction without an open transaction");
  auto callbacks = std::move(savepoint_callbacks_.back().after_rollback);
  savepoint_callbacks_.pop_back();
  try {
    if (depth == 1) {
      execute("ROLLBACK", std::span<const Value>{}, {.name = "TRANSACTION"});
    } else {
      execute("ROLLBACK TO SAVEPOINT sy_savepoint_" + std::to_string(depth - 1),
              std::span<const Value>{}, {.name = "TRANSACTION"});
    }
  } catch (...) {
    // A dead connection rolled back by itself; the callbacks still learn of it.
    run_callbacks(callbacks);
    throw;
  }
  run_callbacks(callbacks);
}

void Connection::add_transaction_callbacks(std::function<void()> after_commit,
                                           std::function<void()> after_rollback) {
  if (savepoint_callbacks_.empty()) {
    // Not in a transaction: the statement already committed on its own.
    if (after_commit) {
      std::vector<std::function<void()>> now{std::move(after_commit)};
      run_callbacks(now);
    }
    return;
  }
  if (after_commit) savepoint_callbacks_.back().after_commit.push_back(std::move(after_commit));
  if (after_rollback)
    savepoint_callbacks_.back().after_rollback.push_back(std::move(after_rollback));
}

void Connection::run_callbacks(std::vector<std::function<void()>>& callbacks) {
  // A failing callback must not undo the commit nor stop the others: report it and go on.
  for (auto& cb : callbacks) {
    try {
      cb();
    } catch (const std::exception& e) {
      instrument::emit(instrument::Event{
          "callback.error",
          {{"database", identity_.database}, {"role", identity_.role}, {"error", e.what()}}});
    } catch (...) {
      instrument::emit(instrument::Event{
          "callback.error",
          {{"database", identity_.database}, {"role", identity_.role}, {"error", "unknown"}}});
    }
  }
}

void Connection::abandon_transactions() {
  std::vector<std::function<void()>> rollbacks;
  for (auto it = savepoint_callbacks_.rbegin(); it != savepoint_callbacks_.rend(); ++it)
    for (auto& cb : it->after_rollback) rollbacks.push_back(std::move(cb));
  savepoint_callbacks_.clear();
  run_callbacks(rollbacks);
}

void Connection::reset() {
  if (savepoint_callbacks_.empty() && (broken() || !server_in_transaction())) return;
  // A lease returned with a transaction open: roll it back so the next user starts clean.
  try {
    if (!broken()) {
      bool cached = false;
      run("ROLLBACK", {}, false, false, cached);
    }
  } catch (const Error&) {
    // Broken connection: the pool discards it.
  }
  abandon_transactions();
}

void Connection::reconnect() {
  abandon_transactions();
  reopen();
  created_at_ = last_used_at_ = std::chrono::steady_clock::now();
}

}  // namespace switchyard

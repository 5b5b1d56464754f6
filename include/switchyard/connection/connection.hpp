// One physical database connection, and the one execution path every statement takes.
//
// `execute` is the only way switchyard sends SQL: it refuses writes while writes are prevented
// (before anything is sent), times the statement, converts errors into StatementInvalid /
// ConnectionFailed with the SQLSTATE, and emits an instrument::SqlEvent. The adapters
// (PostgresqlConnection, Sqlite3Connection) only implement the driver primitives below it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/config/database_config.hpp"
#include "switchyard/result.hpp"
#include "switchyard/sql/dialect.hpp"
#include "switchyard/value.hpp"

namespace soci {
class session;
}
struct pg_conn;

namespace switchyard {

// Where a connection belongs: the pool key plus the server it talks to.
struct ConnectionIdentity {
  std::string connection_name{};  // owner: "primary", "AnimalsRecord", ...
  std::string role = "writing";
  std::string shard = "default";
  std::string database{};         // config name ("animals_replica")
  std::string node{};             // server label for logs; defaults to `database`
};

struct ExecOptions {
  std::string_view name{};                  // event name: "Dog Load"
  std::span<const std::string> bind_names{};  // for filtered-parameter display
  std::string_view route_reason{};          // set by the router
  bool prepare = false;                     // cache a prepared statement for this SQL text
  // The text must be exactly one statement (the query builder's): the server refuses more, so
  // a fragment that smuggled in `; DROP ...` cannot run a second statement.
  bool single_statement = false;
};

class Connection {
 public:
  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const DatabaseConfig& config() const noexcept { return config_; }
  const ConnectionIdentity& identity() const noexcept { return identity_; }
  sql::Dialect dialect() const noexcept { return dialect_; }

  // The execution path (see above). Multiple statements in one string are allowed only without
  // binds and without `prepare`.
  Result execute(std::string_view sql, std::span<const Value> binds = {},
                 const ExecOptions& options = {});
  Result execute(std::string_view sql, std::initializer_list<Value> binds,
                 const ExecOptions& options = {}) {
    return execute(sql, std::span<const Value>(binds.begin(), binds.size()), options);
  }

  // Whether a write would be refused now: a `replica: true` config always; otherwise what the
  // installed guard says (the context layer installs one per pool: the connected-to stack).
  bool preventing_writes() const;
  void set_write_guard(std::shared_ptr<const std::function<bool()>> guard) {
    write_guard_ = std::move(guard);
  }

  // Transactions. Depth 0 -> BEGIN; deeper -> SAVEPOINT. Callbacks registered while a
  // transaction is open run after the outermost COMMIT (after_commit) or after the ROLLBACK that
  // discards them (after_rollback, also for a savepoint rolled back).
  void begin_transaction();
  void commit_transaction();
  void rollback_transaction();
  int transaction_depth() const noexcept { return static_cast<int>(savepoint_callbacks_.size()); }
  // True when the server says a transaction is open (also one opened by raw SQL).
  virtual bool server_in_transaction() const = 0;
  void add_transaction_callbacks(std::function<void()> after_commit,
                                 std::function<void()> after_rollback);

  // Pool hooks: a round trip to prove the connection works; whether it is known dead; make the
  // session usable again after use (roll back a transaction left open).
  virtual bool ping() = 0;
  virtual bool broken() const = 0;
  void reconnect();  // reopens the session; open transactions are lost (their rollbacks run)
  void reset();

  // Escape hatches for backend-specific work (COPY, LSNs, pipelines). Statements sent through
  // them bypass the guard and instrumentation: the library's own callers are the only ones.
  virtual soci::session& session() = 0;
  virtual pg_conn* pg_handle() noexcept { return nullptr; }

  std::chrono::steady_clock::time_point created_at() const noexcept { return created_at_; }
  std::chrono::steady_clock::time_point last_used_at() const noexcept { return last_used_at_; }
  void touch() noexcept { last_used_at_ = std::chrono::steady_clock::now(); }
  std::uint64_t statements_executed() const noexcept { return statements_; }

 protected:
  Connection(DatabaseConfig config, ConnectionIdentity identity);

  // Driver primitive: send and convert. Throws StatementInvalid / ConnectionFailed. Without
  // binds, `prepare` or `single`, the text may hold several ';'-separated statements.
  virtual Result run(std::string_view sql, std::span<const Value> binds, bool prepare, bool single,
                     bool& cached) = 0;
  // Reopen the session, forgetting per-session caches such as prepared statements.
  virtual void reopen() = 0;

 private:
  void guard(std::string_view sql) const;
  void abandon_transactions();
  void run_callbacks(std::vector<std::function<void()>>& callbacks);

  DatabaseConfig config_;
  ConnectionIdentity identity_;
  sql::Dialect dialect_;
  bool replica_;  // config_.replica(), read once: the guard asks on every statement
  std::shared_ptr<const std::function<bool()>> write_guard_;
  // One frame per open transaction level: the callbacks registered at that level.
  struct Frame {
    std::vector<std::function<void()>> after_commit;
    std::vector<std::function<void()>> after_rollback;
  };
  std::vector<Frame> savepoint_callbacks_;
  std::chrono::steady_clock::time_point created_at_;
  std::chrono::steady_clock::time_point last_used_at_;
  std::uint64_t statements_ = 0;
};

// Opens a connection for `config` with the adapter it names. Replica configs (`replica: true`)
// are opened read-only at the database level: default_transaction_read_only on PostgreSQL,
// readonly (SQLITE_OPEN_READONLY) on SQLite.
std::unique_ptr<Connection> open_connection(const DatabaseConfig& config,
                                            ConnectionIdentity identity);

}  // namespace switchyard

// The SQLite adapter: a SOCI session (soci::sqlite3 backend) owns the database handle; the
// execution path drives the sqlite3 API on it directly, with `$N` parameters and a per-connection
// cache of prepared statements.
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <cctype>
#include <unordered_map>

#include "switchyard/config/connection_params.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/errors.hpp"
#include "soci_backend.hpp"

namespace switchyard {
namespace {

using namespace sqlite_api;  // SOCI wraps sqlite3.h in this namespace

constexpr std::size_t kMaxPrepared = 512;

std::string code_name(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY: return "SQLITE_BUSY";
    case SQLITE_LOCKED: return "SQLITE_LOCKED";
    case SQLITE_READONLY: return "SQLITE_READONLY";
    case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH: return "SQLITE_MISMATCH";
    case SQLITE_RANGE: return "SQLITE_RANGE";
    case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
    case SQLITE_IOERR: return "SQLITE_IOERR";
    case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
    case SQLITE_FULL: return "SQLITE_FULL";
    case SQLITE_NOTADB: return "SQLITE_NOTADB";
    case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
    case SQLITE_INTERRUPT: return "SQLITE_INTERRUPT";
    default: return "SQLITE_ERROR";
  }
}

Value column(sqlite3_stmt* st, int c) {
  switch (sqlite3_column_type(st, c)) {
    case SQLITE_NULL: return nullptr;
    case SQLITE_INTEGER: return static_cast<std::int64_t>(sqlite3_column_int64(st, c));
    case SQLITE_FLOAT: return sqlite3_column_double(st, c);
    default: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(st, c));
      return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st, c)));
    }
  }
}

class Sqlite3Connection final : public Connection {
 public:
  Sqlite3Connection(const DatabaseConfig& config, ConnectionIdentity identity)
      : Connection(config, std::move(identity)) {
    open();
  }
  ~Sqlite3Connection() override { finalize_all(); }

  bool server_in_transaction() const override { return db() && !sqlite3_get_autocommit(db()); }
  bool ping() override { return db() != nullptr; }
  bool broken() const override { return db() == nullptr; }
  soci::session& session() override { return session_; }

 protected:
  Result run(std::string_view sql, std::span<const Value> binds, bool prepare, bool single,
             bool& cached) override {
    if (!prepare && binds.empty() && !single) return run_script(sql);
    sqlite3_stmt* st = nullptr;
    std::string text(sql);
    auto it = prepare ? prepared_.find(text) : prepared_.end();
    if (it != prepared_.end()) {
      st = it->second;
      cached = true;
    } else {
      const bool keep = prepare && prepared_.size() < kMaxPrepared;
      const char* tail = nullptr;
      int rc = sqlite3_prepare_v3(db(), text.data(), static_cast<int>(text.size()),
                                  keep ? SQLITE_PREPARE_PERSISTENT : 0, &st, &tail);
      if (rc != SQLITE_OK) fail(rc, text);
      if (more_statements(tail, text.data() + text.size())) {
        // As PostgreSQL's extended protocol does, instead of silently dropping the rest.
        sqlite3_finalize(st);
        throw StatementInvalid(
            "cannot run several statements with bound values or as one "
            "query [" +
                config().name() + "]: " + text,
            "SQLITE_MISUSE");
      }
      if (keep) prepared_.emplace(text, st);
      else owned_ = st;
    }
    struct Cleanup {
      Sqlite3Connection* self;
      sqlite3_stmt* st;
      ~Cleanup() {
        if (self->owned_ == st) {
          sqlite3_finalize(st);
          self->owned_ = nullptr;
        } else {
          sqlite3_reset(st);
          sqlite3_clear_bindings(st);
        }
      }
    } cleanup{this, st};
    bind(st, binds, text);
    return step_all(st, text);
  }

  void reopen() override {
    finalize_all();
    try {
      session_.close();
    } catch (const std::exception&) {
    }
    open();
  }

 private:
  sqlite3* db() const {
    return detail::soci_native_handle<soci::sqlite3_session_backend>(session_);
  }

  void open() {
    try {
      session_.open(soci::sqlite3, sqlite_soci_connect_string(config(), config().replica()));
    } catch (const soci::soci_error& e) {
      throw ConnectionNotEstablished("cannot open SQLite database '" + config().name() + "' (" +
                                     sqlite_path(config()) + "): " + e.get_error_message());
    }
    run_script("PRAGMA foreign_keys = ON");
  }

  // Whether [tail, end) holds another statement (not just whitespace, comments or ';').
  bool more_statements(const char* tail, const char* end) {
    while (tail && tail < end && (std::isspace(static_cast<unsigned char>(*tail)) || *tail == ';'))
      ++tail;
    if (!tail || tail >= end) return false;
    sqlite3_stmt* next = nullptr;
    const int rc = sqlite3_prepare_v2(db(), tail, static_cast<int>(end - tail), &next, nullptr);
    sqlite3_finalize(next);
    return rc != SQLITE_OK || next != nullptr;
  }

  [[noreturn]] void fail(int rc, const std::string& sql) {
    std::string message = sqlite3_errmsg(db());
    throw StatementInvalid(message + " [" + config().name() + "]: " + sql, code_name(rc));
  }

  void bind(sqlite3_stmt* st, std::span<const Value> binds, const std::string& sql) {
    const int count = sqlite3_bind_parameter_count(st);
    for (int i = 1; i <= count; ++i) {
      // `$N` binds the N-th value wherever it appears; a bare `?` binds by position.
      const char* name = sqlite3_bind_parameter_name(st, i);
      std::size_t index = static_cast<std::size_t>(i);
      if (name && name[0] == '$') index = std::strtoull(name + 1, nullptr, 10);
      if (index == 0 || index > binds.size())
        throw StatementInvalid("parameter " + std::string(name ? name : "?") + " has no bound value (" +
                                   std::to_string(binds.size()) + " given): " + sql,
                               "SQLITE_RANGE");
      const Value& v = binds[index - 1];
      int rc = SQLITE_OK;
      if (is_null(v)) rc = sqlite3_bind_null(st, i);
      else if (auto* b = std::get_if<bool>(&v)) rc = sqlite3_bind_int(st, i, *b ? 1 : 0);
      else if (auto* n = std::get_if<std::int64_t>(&v)) rc = sqlite3_bind_int64(st, i, *n);
      else if (auto* d = std::get_if<double>(&v)) rc = sqlite3_bind_double(st, i, *d);
      else {
        const auto& s = std::get<std::string>(v);
        rc = sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) fail(rc, sql);
    }
  }

  Result step_all(sqlite3_stmt* st, const std::string& sql) {
    Result out;
    const int cols = sqlite3_column_count(st);
    for (int c = 0; c < cols; ++c) out.columns.emplace_back(sqlite3_column_name(st, c));
    for (;;) {
      int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(rc, sql);
      Result::Row row;
      row.reserve(static_cast<std::size_t>(cols));
      for (int c = 0; c < cols; ++c) row.push_back(column(st, c));
      out.rows.push_back(std::move(row));
    }
    out.affected_rows = sqlite3_stmt_readonly(st) ? static_cast<std::int64_t>(out.rows.size())
                                                  : sqlite3_changes64(db());
    return out;
  }

  // Several ';'-separated statements without binds: run each, keep the last one's rows.
  Result run_script(std::string_view sql) {
    Result last;
    std::string text(sql);
    const char* cursor = text.c_str();
    const char* end = cursor + text.size();
    while (cursor < end) {
      sqlite3_stmt* st = nullptr;
      const char* tail = nullptr;
      int rc = sqlite3_prepare_v2(db(), cursor, static_cast<int>(end - cursor), &st, &tail);
      if (rc != SQLITE_OK) fail(rc, text);
      if (!st) break;  // only whitespace or comments left
      try {
        last = step_all(st, text);
      } catch (...) {
        sqlite3_finalize(st);
        throw;
      }
      sqlite3_finalize(st);
      cursor = tail;
    }
    return last;
  }

  void finalize_all() {
    for (auto& [sql, st] : prepared_) sqlite3_finalize(st);
    prepared_.clear();
  }

  soci::session session_;
  std::unordered_map<std::string, sqlite3_stmt*> prepared_;
  sqlite3_stmt* owned_ = nullptr;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite3_connection(const DatabaseConfig& config,
                                                    ConnectionIdentity identity) {
  return std::make_unique<Sqlite3Connection>(config, std::move(identity));
}

}  // namespace switchyard

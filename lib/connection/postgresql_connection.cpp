// The PostgreSQL adapter: a SOCI session (soci::postgresql backend) owns the connection; the
// execution path drives its PGconn directly so that values keep their types (SOCI 4.0.3 has no
// bool/optional and mis-casts bigint in rows) and hot statements stay prepared per connection.
#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <charconv>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include "switchyard/config/connection_params.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/errors.hpp"
#include "soci_backend.hpp"

namespace switchyard {
namespace {

// Statement-cache bound per connection: beyond it, statements run unprepared.
constexpr std::size_t kMaxPrepared = 512;

// Type OIDs from pg_type.h; everything else arrives as text.
constexpr Oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700,
              kFloat8 = 701;

Value convert(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return nullptr;
  const char* text = PQgetvalue(res, row, col);
  const int len = PQgetlength(res, row, col);
  switch (PQftype(res, col)) {
    case kBool:
      return text[0] == 't';
    case kInt8:
    case kInt2:
    case kInt4:
    case kOid: {
      std::int64_t v = 0;
      std::from_chars(text, text + len, v);
      return v;
    }
    case kFloat4:
    case kFloat8:
      return std::strtod(text, nullptr);  // also parses NaN / Infinity
    default:
      return std::string(text, static_cast<std::size_t>(len));
  }
}

bool connection_sqlstate(const std::string& state) {
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03";
}

class PostgresqlConnection final : public Connection {
 public:
  PostgresqlConnection(const DatabaseConfig& config, ConnectionIdentity identity)
      : Connection(config, std::move(identity)) {
    open();
  }

  bool server_in_transaction() const override {
    return PQtransactionStatus(conn()) != PQTRANS_IDLE;
  }
  bool ping() override {
    PGresult* r = PQexec(conn(), "SELECT 1");
    bool ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok;
  }
  bool broken() const override { return PQstatus(conn()) != CONNECTION_OK; }
  soci::session& session() override { return session_; }
  pg_conn* pg_handle() noexcept override { return conn(); }

 protected:
  Result run(std::string_view sql, std::span<const Value> binds, bool prepare,
             bool& cached) override {
    std::vector<std::string> texts(binds.size());
    std::vector<const char*> params(binds.size());
    for (std::size_t i = 0; i < binds.size(); ++i) {
      if (is_null(binds[i])) continue;
      texts[i] = to_text(binds[i]);
      if (std::holds_alternative<bool>(binds[i])) texts[i] = std::get<bool>(binds[i]) ? "t" : "f";
      params[i] = texts[i].c_str();
    }
    const int n = static_cast<int>(binds.size());
    std::string text(sql);
    PGresult* res = nullptr;
    if (prepare && (prepared_.count(text) || prepared_.size() < kMaxPrepared)) {
      auto it = prepared_.find(text);
      if (it == prepared_.end()) {
        std::string name = "sy_" + std::to_string(++prepared_counter_);
        PQclear(check(PQprepare(conn(), name.c_str(), text.c_str(), n, nullptr), text));
        it = prepared_.emplace(text, std::move(name)).first;
      } else {
        cached = true;
      }
      res = PQexecPrepared(conn(), it->second.c_str(), n, params.data(), nullptr, nullptr, 0);
    } else if (binds.empty()) {
      res = PQexec(conn(), text.c_str());  // also runs several ';'-separated statements
    } else {
      res = PQexecParams(conn(), text.c_str(), n, nullptr, params.data(), nullptr, nullptr, 0);
    }
    res = check(res, text);
    const auto status = PQresultStatus(res);
    if (status == PGRES_COPY_OUT || status == PGRES_COPY_IN) return copy_result(res, text);
    return to_result(res);
  }

  void reopen() override {
    prepared_.clear();
    try {
      session_.close();
    } catch (const std::exception&) {
    }
    open();
  }

 private:
  PGconn* conn() const {
    return detail::soci_native_handle<soci::postgresql_session_backend>(session_);
  }

  void open() {
    try {
      session_.open(soci::postgresql, pg_conninfo(config()));
    } catch (const soci::soci_error& e) {
      // libpq's message names host and user, never the password.
      throw ConnectionNotEstablished("cannot connect to '" + config().name() + "' (" +
                                     pg_conninfo_redacted(config()) + "): " + e.get_error_message());
    }
    // Second line of defence for replicas: the server itself refuses writes (SQLSTATE 25006).
    if (config().replica()) {
      bool cached = false;
      run("SET default_transaction_read_only = on", {}, false, cached);
    }
  }

  PGresult* check(PGresult* res, const std::string& sql) {
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY ||
        status == PGRES_COPY_OUT || status == PGRES_COPY_IN)
      return res;
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : "";
    std::string message = res ? PQresultErrorMessage(res) : PQerrorMessage(conn());
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    PQclear(res);
    const bool lost = PQstatus(conn()) != CONNECTION_OK || connection_sqlstate(sqlstate);
    if (lost && sqlstate.empty()) sqlstate = "08006";
    std::string full = message + " [" + config().name() + "]: " + sql;
    if (lost) throw ConnectionFailed(full, sqlstate);
    throw StatementInvalid(full, sqlstate);
  }

  // COPY ... TO STDOUT through execute(): each data line (without its newline) is a row of one
  // text column, "copy". COPY ... FROM STDIN has no data here: it is ended with an error. Either
  // way every result is read, so the connection is idle again afterwards.
  Result copy_result(PGresult* res, const std::string& sql) {
    Result out;
    PGresult* final = nullptr;  // the first error, else the last result
    for (; res != nullptr; res = PQgetResult(conn())) {
      const auto status = PQresultStatus(res);
      if (status == PGRES_COPY_OUT || status == PGRES_COPY_IN) {
        PQclear(res);
        if (status == PGRES_COPY_OUT) read_copy_data(out);
        if (status == PGRES_COPY_IN) {
          PQputCopyEnd(conn(), "COPY FROM STDIN is not supported by execute(): use pg_handle()");
        }
        continue;
      }
      if (final == nullptr || PQresultStatus(final) != PGRES_FATAL_ERROR) {
        PQclear(final);
        final = res;
      } else {
        PQclear(res);
      }
    }
    final = check(final, sql);
    const char* copied = PQcmdTuples(final);
    out.affected_rows = (copied && *copied) ? std::atoll(copied) : 0;
    PQclear(final);
    return out;
  }

  void read_copy_data(Result& out) {
    if (out.columns.empty()) out.columns.emplace_back("copy");
    char* line = nullptr;
    // > 0: a line; -1: done; -2: an error, which the next PQgetResult reports.
    for (int n; (n = PQgetCopyData(conn(), &line, 0)) > 0;) {
      std::string text(line, static_cast<std::size_t>(n));
      PQfreemem(line);
      if (!text.empty() && text.back() == '\n') text.pop_back();
      out.rows.push_back({Value(std::move(text))});
    }
  }

  static Result to_result(PGresult* res) {
    const std::unique_ptr<PGresult, decltype(&PQclear)> owned(res, &PQclear);  // also on throw
    Result out;
    const int cols = PQnfields(res), rows = PQntuples(res);
    out.columns.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) out.columns.emplace_back(PQfname(res, c));
    out.rows.reserve(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      Result::Row row;
      row.reserve(static_cast<std::size_t>(cols));
      for (int c = 0; c < cols; ++c) row.push_back(convert(res, r, c));
      out.rows.push_back(std::move(row));
    }
    const char* affected = PQcmdTuples(res);
    out.affected_rows = (affected && *affected) ? std::atoll(affected) : rows;
    return out;
  }

  soci::session session_;
  std::unordered_map<std::string, std::string> prepared_;
  std::uint64_t prepared_counter_ = 0;
};

}  // namespace

std::unique_ptr<Connection> open_postgresql_connection(const DatabaseConfig& config,
                                                       ConnectionIdentity identity) {
  return std::make_unique<PostgresqlConnection>(config, std::move(identity));
}

}  // namespace switchyard

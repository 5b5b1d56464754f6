// The PostgreSQL adapter: a SOCI session (soci::postgresql backend) owns the connection; the
// execution path drives its PGconn directly so that values keep their types (SOCI 4.0.3 has no
// bool/optional and mis-casts bigint in rows) and hot statements stay prepared per connection.
#include <libpq-fe.h>
#include <poll.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include "switchyard/config/connection_params.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/notifications.hpp"
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

// The server's DETAIL can quote row data: "Key (password)=(...) already exists." and "Failing row
// contains (...)". Key values of filtered columns (instrument::set_filter_parameters) and whole
// failing rows (positional: their columns are not named) become [FILTERED].
std::string redact_detail(std::string message) {
  const std::string key = "Key (", failing = "Failing row contains (";
  for (auto at = message.find(key); at != std::string::npos; at = message.find(key, at + 1)) {
    const auto cols_end = message.find(")=(", at);
    const auto line_end = std::min(message.find('\n', at), message.size());
    if (cols_end == std::string::npos || cols_end > line_end) continue;
    const auto values_end = message.rfind(')', line_end);
    if (values_end == std::string::npos || values_end <= cols_end + 2) continue;
    bool secret = false;
    std::string_view cols(message.data() + at + key.size(), cols_end - at - key.size());
    while (!cols.empty()) {
      const auto comma = std::min(cols.find(", "), cols.size());
      secret = secret || instrument::is_filtered_parameter(cols.substr(0, comma));
      cols.remove_prefix(std::min(comma + 2, cols.size()));
    }
    if (secret) message.replace(cols_end + 3, values_end - cols_end - 3, "[FILTERED]");
  }
  if (auto at = message.find(failing); at != std::string::npos) {
    const auto line_end = std::min(message.find('\n', at), message.size());
    message.replace(at + failing.size(), line_end - at - failing.size(), "[FILTERED])");
  }
  return message;
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
  // Dead by libpq's state, or closed by the server while idle (pg_terminate_backend, a server
  // restart): its socket is then readable and reading it ends in EOF. No round trip.
  bool broken() const override {
    PGconn* c = conn();
    for (int reads = 0; reads < 3; ++reads) {
      if (PQstatus(c) != CONNECTION_OK) return true;
      if (PQisBusy(c)) return false;  // a result is on its way: not idle
      pollfd p{PQsocket(c), POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) return false;
      if (PQconsumeInput(c) == 0) return true;  // EOF or a read error; a NOTIFY is queued
    }
    return PQstatus(c) != CONNECTION_OK;
  }
  soci::session& session() override { return session_; }
  pg_conn* pg_handle() noexcept override { return conn(); }

 protected:
  Result run(std::string_view sql, std::span<const Value> binds, bool prepare, bool single,
             bool& cached) override {
    // Bind texts on the stack for the usual handful of binds: a find is one round trip, and two
    // heap allocations per statement showed in its profile.
    constexpr std::size_t kInline = 8;
    std::array<std::string, kInline> inline_texts;
    std::array<const char*, kInline> inline_params{};
    std::vector<std::string> heap_texts;
    std::vector<const char*> heap_params;
    std::string* texts = inline_texts.data();
    const char** params = inline_params.data();
    if (binds.size() > kInline) {
      heap_texts.resize(binds.size());
      heap_params.assign(binds.size(), nullptr);
      texts = heap_texts.data();
      params = heap_params.data();
    }
    for (std::size_t i = 0; i < binds.size(); ++i) {
      if (is_null(binds[i])) continue;
      texts[i] = to_text(binds[i]);
      if (std::holds_alternative<bool>(binds[i])) texts[i] = std::get<bool>(binds[i]) ? "t" : "f";
      // libpq takes text parameters as C strings: a NUL would silently cut the value short.
      if (texts[i].find('\0') != std::string::npos)
        throw StatementInvalid(
            "value $" + std::to_string(i + 1) +
                " contains a NUL byte, which PostgreSQL text cannot store: " + std::string(sql),
            "22021");
      params[i] = texts[i].c_str();
    }
    const int n = static_cast<int>(binds.size());
    PGresult* res = nullptr;
    if (prepare) {
      // Looked up by the caller's text itself (heterogeneous lookup): copied only when new.
      auto it = prepared_.find(sql);
      if (it == prepared_.end() && prepared_.size() < kMaxPrepared) {
        std::string text(sql);
        std::string name = "sy_" + std::to_string(++prepared_counter_);
        PQclear(check(PQprepare(conn(), name.c_str(), text.c_str(), n, nullptr), text));
        it = prepared_.emplace(std::move(text), std::move(name)).first;
      } else if (it != prepared_.end()) {
        cached = true;
      }
      if (it != prepared_.end()) {
        res = PQexecPrepared(conn(), it->second.c_str(), n, params, nullptr, nullptr, 0);
        if (PQresultStatus(res) == PGRES_TUPLES_OK) return to_result(res);  // the hot path
        return finish(res, it->first);
      }
    }
    const std::string text(sql);
    if (binds.empty() && !single) {
      res = PQexec(conn(), text.c_str());  // also runs several ';'-separated statements
    } else {  // the extended protocol: exactly one statement (42601 otherwise)
      res = PQexecParams(conn(), text.c_str(), n, nullptr, params, nullptr, nullptr, 0);
    }
    return finish(res, text);
  }

  // Errors become exceptions; a COPY is read to its end (or refused) so the connection is idle.
  Result finish(PGresult* res, const std::string& sql) {
    res = check(res, sql);
    if (PQresultStatus(res) == PGRES_COPY_OUT) return copy_out(res, sql);
    if (PQresultStatus(res) == PGRES_COPY_IN) refuse_copy_in(res, sql);
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
      run("SET default_transaction_read_only = on", {}, false, false, cached);
    }
  }

  PGresult* check(PGresult* res, const std::string& sql) {
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY ||
        status == PGRES_COPY_OUT || status == PGRES_COPY_IN)
      return res;
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : "";
    std::string message = redact_detail(res ? PQresultErrorMessage(res) : PQerrorMessage(conn()));
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    PQclear(res);
    const bool lost = PQstatus(conn()) != CONNECTION_OK || connection_sqlstate(sqlstate);
    if (lost && sqlstate.empty()) sqlstate = "08006";
    std::string full = message + " [" + config().name() + "]: " + sql;
    if (lost) throw ConnectionFailed(full, sqlstate);
    throw StatementInvalid(full, sqlstate);
  }

  // COPY ... TO STDOUT through execute(): the data lines become rows of one text column `copy`,
  // and the connection is back to idle afterwards.
  Result copy_out(PGresult* res, const std::string& sql) {
    PQclear(res);
    Result out;
    out.columns.emplace_back("copy");
    char* line = nullptr;
    int len = 0;
    while ((len = PQgetCopyData(conn(), &line, 0)) > 0) {
      std::string text(line, static_cast<std::size_t>(len));
      PQfreemem(line);
      if (!text.empty() && text.back() == '\n') text.pop_back();
      out.rows.push_back({Value{std::move(text)}});
    }
    PGresult* done = check(PQgetResult(conn()), sql);  // the command's own result, or its error
    drain_results();
    const char* affected = PQcmdTuples(done);
    out.affected_rows = (affected && *affected) ? std::atoll(affected)
                                                : static_cast<std::int64_t>(out.rows.size());
    PQclear(done);
    return out;
  }

  // COPY ... FROM STDIN needs a data stream execute() does not have: end it at once (nothing is
  // written) and say so, leaving the connection usable.
  [[noreturn]] void refuse_copy_in(PGresult* res, const std::string& sql) {
    PQclear(res);
    PQputCopyEnd(conn(), "COPY FROM STDIN is not supported through execute()");
    drain_results();
    throw StatementInvalid("COPY ... FROM STDIN cannot run through execute(): it needs a data "
                           "stream (use pg_handle() and libpq's COPY API) [" +
                               config().name() + "]: " + sql,
                           "0A000");
  }

  void drain_results() {
    while (PGresult* extra = PQgetResult(conn())) PQclear(extra);
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
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, std::string, TextHash, std::equal_to<>> prepared_;
  std::uint64_t prepared_counter_ = 0;
};

}  // namespace

std::unique_ptr<Connection> open_postgresql_connection(const DatabaseConfig& config,
                                                       ConnectionIdentity identity) {
  return std::make_unique<PostgresqlConnection>(config, std::move(identity));
}

}  // namespace switchyard

#include "switchyard/routing/route_explain.hpp"

#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "switchyard/routing/decision.hpp"
#include "switchyard/sql/statement_classifier.hpp"

namespace switchyard::routing {
namespace {

using sql::ReasonCode;

// Why the classifier decided, and what would change the route.
std::string_view hint(ReasonCode code) {
  switch (code) {
    case ReasonCode::empty:
      return "nothing to run; an empty string costs a replica nothing";
    case ReasonCode::select:
    case ReasonCode::with:
    case ReasonCode::values:
    case ReasonCode::table:
    case ReasonCode::show:
    case ReasonCode::explain:
    case ReasonCode::copy_to_stdout:
    case ReasonCode::pragma_read:
    case ReasonCode::wait_for_lsn:
      return "a proven read. It goes to the primary instead inside a transaction (IN_TRANSACTION),"
             " in a pinned session (SESSION_PINNED), within proxy_delay of a write (time"
             " stickiness: STICKY_TIME_WINDOW), until a replica has replayed the session's last"
             " write (wal stickiness: STICKY_LSN_NOT_REPLAYED), when the replicas lag"
             " (REPLICA_LAGGING) or are down (ALL_REPLICAS_DOWN); connected_to(role: writing)"
             " always wins";
    case ReasonCode::explain_analyze:
      return "EXPLAIN ANALYZE executes its statement; this one only reads, so a replica may run it";
    case ReasonCode::locking_clause:
      return "FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE takes row locks only the primary can"
             " grant; drop the locking clause to read from a replica";
    case ReasonCode::select_into:
      return "SELECT ... INTO creates a table; use a plain SELECT to read from a replica";
    case ReasonCode::dml_in_cte:
      return "a WITH clause holds INSERT/UPDATE/DELETE/MERGE: the whole statement writes";
    case ReasonCode::dml_in_subquery:
    case ReasonCode::dml_keyword:
      return "a data-modifying statement is nested in the query: it writes";
    case ReasonCode::side_effect_function:
      return "the function has side effects (sequences, locks, settings, notifications...);"
             " nextval/setval also pin the session so that currval/lastval find their value";
    case ReasonCode::unknown_function:
      return "the function is not a known read-only built-in; if it has no side effects,"
             " register it: sql::register_read_only_function(dialect, \"name\")";
    case ReasonCode::explain_analyze_write:
      return "EXPLAIN ANALYZE executes the write it explains";
    case ReasonCode::copy_from:
      return "COPY FROM loads rows";
    case ReasonCode::copy_to_file:
      return "COPY TO a server file or program needs the primary's privileges; COPY ... TO STDOUT"
             " reads from a replica";
    case ReasonCode::write_statement:
      return "a write (or DDL): always the primary";
    case ReasonCode::temp_table:
      return "temporary tables live on one connection: the session is pinned to the primary"
             " until routing::unpin() or the end of the UnitOfWork";
    case ReasonCode::unterminated:
    case ReasonCode::nul_byte:
    case ReasonCode::unbalanced_parentheses:
    case ReasonCode::unrecognized_statement:
      return "the classifier cannot prove it is a read, so it is not one (default-deny); fix the"
             " SQL";
    case ReasonCode::execute:
      return "EXECUTE runs a prepared statement the router cannot see; it was prepared on the"
             " primary and the session is pinned there";
    case ReasonCode::pragma_write:
    case ReasonCode::unknown_pragma:
      return "a PRAGMA that changes the database or is not known to be read-only";
    case ReasonCode::session_state:
      return "a session setting: plain SET/RESET run on the primary now and are replayed on every"
             " connection the session uses; PREPARE and the like pin the session";
    case ReasonCode::listen:
      return "LISTEN registers on one connection: the session is pinned to the primary";
    case ReasonCode::cursor_with_hold:
    case ReasonCode::cursor:
      return "cursors live on one connection: the primary (pinned for WITH HOLD)";
    case ReasonCode::session_function:
      return "currval/lastval read state of this connection: the session is pinned to the"
             " primary where nextval ran";
    case ReasonCode::transaction_control:
      return "transaction control: the primary; the transaction's statements follow it"
             " (IN_TRANSACTION)";
  }
  return "";
}

nlohmann::json explain_json(const sql::StatementClassifier& classifier, std::string_view text) {
  StatementDecision d = decide(classifier, text, SessionView{});
  const auto& c = d.classification;
  return nlohmann::json{{"sql", std::string(text)},
                        {"route", std::string(sql::to_string(c.route))},
                        {"reason", c.reason},
                        {"kind", std::string(sql::to_string(c.kind))},
                        {"pins_session", d.pins_session},
                        {"replayed", d.record_session_state}};
}

void explain_text(const sql::StatementClassifier& classifier, std::string_view text,
                  std::ostream& out) {
  StatementDecision d = decide(classifier, text, SessionView{});
  const auto& c = d.classification;
  out << text << "\n";
  out << "  route:   " << sql::to_string(c.route);
  if (c.route == sql::Route::all) out << " (runs on the primary, replayed on replica connections)";
  out << "\n  reason:  " << c.reason << "\n";
  out << "  kind:    " << sql::to_string(c.kind) << (c.multi_statement ? " (several statements)" : "")
      << "\n";
  if (d.pins_session) out << "  pins:    the session stays on one primary connection from here\n";
  out << "  why:     " << hint(c.code) << "\n";
}

int usage(std::ostream& err) {
  err << "usage: switchyard route explain [--dialect postgresql|sqlite3] "
         "[--read-only-function NAME]... [SQL...]\n"
         "  without SQL: reads JSON lines {\"sql\": \"...\"} on stdin, writes one JSON object "
         "per line\n";
  return 2;
}

}  // namespace

int route_explain(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                  std::ostream& err) {
  sql::Dialect dialect = sql::Dialect::postgresql;
  std::vector<std::string> functions, statements;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--dialect" || a.rfind("--dialect=", 0) == 0) {
      std::string v = a == "--dialect" ? (i + 1 < args.size() ? args[++i] : "") : a.substr(10);
      if (v == "postgresql" || v == "postgres" || v == "pg") {
        dialect = sql::Dialect::postgresql;
      } else if (v == "sqlite3" || v == "sqlite") {
        dialect = sql::Dialect::sqlite3;
      } else {
        err << "route explain: unknown dialect '" << v << "' (postgresql or sqlite3)\n";
        return 2;
      }
    } else if (a == "--read-only-function" && i + 1 < args.size()) {
      functions.push_back(args[++i]);
    } else if (a == "-h" || a == "--help") {
      usage(err);
      return 0;
    } else if (a.rfind("--", 0) == 0 && a != "--") {
      err << "route explain: unknown option '" << a << "'\n";
      return usage(err);
    } else {
      statements.push_back(a);
    }
  }
  sql::StatementClassifier classifier(dialect);
  for (auto& f : functions) classifier.register_read_only_function(f);

  if (!statements.empty()) {
    for (std::size_t i = 0; i < statements.size(); ++i) {
      if (i) out << "\n";
      explain_text(classifier, statements[i], out);
    }
    return 0;
  }
  int status = 0;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json row;
    try {
      auto j = nlohmann::json::parse(line);
      if (!j.is_object() || !j.contains("sql") || !j["sql"].is_string())
        throw std::runtime_error("expected an object with a string \"sql\"");
      row = explain_json(classifier, j["sql"].get<std::string>());
      if (j.contains("id")) row["id"] = j["id"];
    } catch (const std::exception& e) {
      row = {{"line", number}, {"error", e.what()}};
      status = 1;
    }
    out << row.dump() << "\n";
  }
  return status;
}

}  // namespace switchyard::routing

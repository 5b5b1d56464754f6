// Injection attempts through every query-builder entry that takes a value or an identifier,
// against SQLite and PostgreSQL. Values must stay bound data (a row round-trips byte-exact),
// identifiers must be quoted or refused with a clear error, and nothing else may run: a canary
// table must survive every attempt.
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "databases.hpp"
#include "switchyard/instrument/test_helpers.hpp"
#include "switchyard/switchyard.hpp"

namespace sy = switchyard;
using namespace std::string_literals;

namespace {

struct InjRecord : sy::Base<InjRecord> {
  static constexpr auto class_name = "InjRecord";
  static inline const auto connection = sy::connects_to({.writing = "inj"});
};

struct Note : sy::Model<Note, InjRecord> {
  static constexpr auto table = "notes";
  std::int64_t id = 0;
  std::string body;
  std::optional<std::string> tag{};
  std::int64_t n = 0;
  static constexpr auto fields =
      sy::fields(&Note::id, "id", &Note::body, "body", &Note::tag, "tag", &Note::n, "n");
};

const std::string kPgDb = "sy_rel_inject";

// Classic payloads: stacked statements, tautologies, quote and backslash escapes, comments,
// dollar quotes, an identifier with a double quote, and a NUL byte.
const std::vector<std::string> kValuePayloads = {
    "'; DROP TABLE canary; --",
    "1 OR 1=1",
    "' OR '1'='1",
    "Robert'); DROP TABLE canary;--",
    "\\'; DROP TABLE canary; --",
    "back\\slash\\",
    "x\"; DROP TABLE canary; --",
    "$$; DROP TABLE canary; $$",
    "/* */ DROP TABLE canary",
    "?; DELETE FROM canary; -- $1",
    "it''s",
    "\xe2\x80\x99; DROP TABLE canary; --",  // a typographic quote
};

// Strings given where a column name or an SQL expression goes.
const std::vector<std::string> kIdentifierPayloads = {
    "body; DROP TABLE canary; --",
    "body\"; DROP TABLE canary; --",
    "body -- comment out the rest",
    "body /* unterminated",
    "body) OR (1=1",
    "'; DROP TABLE canary; --",
    "1; DELETE FROM canary",
    "body; DELETE FROM canary",
    "\"x\"\"y\"",  // a quoted identifier with a doubled quote: one expression, an unknown column
    "1 OR 1=1",    // one (harmless) expression
};

nlohmann::ordered_json configs_json() {
  nlohmann::ordered_json config;
  const auto file = (sy::test::temp_dir() / "inject.sqlite3").string();
  config["sqlite"] = {{"primary", {{"adapter", "sqlite3"}, {"database", file}}},
                      {"inj", {{"adapter", "sqlite3"}, {"database", file}}}};
  if (sy::test::pg_available()) {
    nlohmann::ordered_json pg = {{"adapter", "postgresql"},
                                 {"host", sy::test::pg_primary().host},
                                 {"port", sy::test::pg_primary().port},
                                 {"database", kPgDb},
                                 {"username", sy::test::pg_user()},
                                 {"password", sy::test::pg_password()}};
    config["postgresql"] = {{"primary", pg}, {"inj", pg}};
  }
  return config;
}

void use_backend(const std::string& env) {
  static std::map<std::string, bool> ready;
  if (env == "postgresql" && !ready[env]) sy::test::fresh_pg_database(kPgDb);
  sy::establish(sy::DatabaseConfigurations(configs_json(), "inject.json", env), env);
  const bool pg = env == "postgresql";
  if (!ready[env]) {
    InjRecord::execute("DROP TABLE IF EXISTS notes");
    InjRecord::execute("DROP TABLE IF EXISTS canary");
    InjRecord::execute(pg ? "CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL, "
                            "tag text, n bigint NOT NULL DEFAULT 0)"
                          : "CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT "
                            "NOT NULL, tag TEXT, n INTEGER NOT NULL DEFAULT 0)");
    InjRecord::execute("CREATE TABLE canary (v integer)");
    InjRecord::execute("INSERT INTO canary VALUES (1)");
    ready[env] = true;
  }
  InjRecord::execute("DELETE FROM notes");
}

std::int64_t canary_rows() {
  return std::get<std::int64_t>(InjRecord::execute("SELECT count(*) FROM canary").scalar());
}
std::int64_t note_rows() {
  return std::get<std::int64_t>(InjRecord::execute("SELECT count(*) FROM notes").scalar());
}

// Runs `attempt`; it may succeed or throw a switchyard::Error (a clear refusal), never anything
// else, and the canary must still be there with its one row.
void attempt(const std::string& what, const std::function<void()>& fn) {
  CAPTURE(what);
  try {
    fn();
  } catch (const sy::Error& e) {
    CHECK(std::string(e.what()).size() > 0);
  }
  REQUIRE(canary_rows() == 1);
}

void values_stay_data(const std::string& env) {
  use_backend(env);
  for (const auto& payload : kValuePayloads) {
    CAPTURE(payload);
    auto created = Note::create({.body = payload, .tag = payload, .n = 7});
    // Round trip, byte-exact, through every value-taking entry.
    CHECK(Note::find(created.id).body == payload);
    CHECK(Note::where("body = ?", payload).count() == 1);
    CHECK(Note::where(&Note::body, payload).first()->tag == payload);
    CHECK(Note::where_not(&Note::body, payload).count() == note_rows() - 1);
    CHECK(Note::where(&Note::body, std::vector<std::string>{payload, "other"}).count() == 1);
    CHECK(Note::where({{"body", payload}}).count() == 1);
    CHECK(Note::where_not({{"tag", payload}}).count() == note_rows() - 1);
    CHECK(Note::find_by(&Note::tag, payload)->id == created.id);
    CHECK(Note::find_by({{"body", payload}})->id == created.id);
    CHECK(Note::where(&Note::id, created.id).pluck(&Note::body) == std::vector{payload});
    CHECK(Note::where(&Note::id, created.id).update_all({{"tag", payload + "!"}}) == 1);
    CHECK(Note::where(&Note::id, created.id).update_all("tag = ?", payload) == 1);
    auto loaded = Note::find(created.id);
    CHECK(loaded.tag == payload);
    loaded.body = payload + payload;
    CHECK(loaded.save());
    CHECK(Note::find(created.id).body == payload + payload);
    // A payload as a primary key is a value too: not found (SQLite) or a type error (PostgreSQL).
    CHECK_THROWS_AS(Note::find(payload), sy::Error);
    CHECK(Note::where(&Note::body, payload).delete_all() == 0);
    REQUIRE(canary_rows() == 1);
  }
  CHECK(note_rows() == static_cast<std::int64_t>(kValuePayloads.size()));
  // A LIKE pattern is a bound value too.
  const std::string stacked = "; DROP TABLE canary;";
  std::int64_t with_stacked = 0;
  for (const auto& p : kValuePayloads) with_stacked += p.find(stacked) != std::string::npos;
  REQUIRE(with_stacked > 3);
  CHECK(Note::where(&Note::tag, "LIKE", "%" + stacked + "%").count() == with_stacked);
  CHECK(Note::where(&Note::tag, "LIKE", "' OR '1'='1").count() == 1);
}

void nul_bytes(const std::string& env) {
  use_backend(env);
  const std::string payload = "before\0'; DROP TABLE canary; --"s;
  REQUIRE(payload.size() == 31);
  if (env == "sqlite") {
    // SQLite stores the bytes as given.
    auto created = Note::create({.body = payload});
    CHECK(Note::find(created.id).body == payload);
    CHECK(Note::where(&Note::body, payload).count() == 1);
  } else {
    // PostgreSQL text cannot hold NUL; a driver that took the value as a C string would store
    // "before" silently. It must be refused instead, with nothing stored.
    try {
      Note::create({.body = payload});
      FAIL("a value with a NUL byte was accepted by PostgreSQL");
    } catch (const sy::StatementInvalid& e) {
      CHECK(std::string(e.what()).find("NUL") != std::string::npos);
    }
    CHECK_THROWS_AS((void)Note::where(&Note::body, payload).count(), sy::StatementInvalid);
    CHECK(note_rows() == 0);
  }
  // NUL in SQL text: the server would see only the part before it. Refused before sending.
  CHECK_THROWS_AS((void)Note::where("body = 'x'\0 OR 1=1"s).count(), sy::Error);
  CHECK(canary_rows() == 1);
}

void identifiers_refused_or_quoted(const std::string& env) {
  use_backend(env);
  Note::create({.body = "keep", .tag = "t"});
  for (const auto& bad : kIdentifierPayloads) {
    // Column names in conditions and assignments must be fields of the model.
    attempt("where(json) " + bad, [&] { (void)Note::where({{bad, "x"}}).count(); });
    attempt("where_not(json) " + bad, [&] { (void)Note::where_not({{bad, "x"}}).count(); });
    attempt("find_by(json) " + bad, [&] { (void)Note::find_by({{bad, "x"}}); });
    attempt("update_all(json) " + bad, [&] { (void)Note::query().update_all({{bad, "x"}}); });
    CHECK_THROWS_AS((void)Note::where({{bad, "x"}}), sy::UnknownAttributeError);
    CHECK_THROWS_AS((void)Note::query().update_all({{bad, "x"}}), sy::UnknownAttributeError);
    // Strings where a column or an expression goes: one expression, or a clear refusal.
    attempt("order " + bad, [&] { (void)Note::order(bad).all(); });
    attempt("reorder " + bad, [&] { (void)Note::order("id").reorder(bad).all(); });
    attempt("select " + bad, [&] { (void)Note::query().select(bad).all(); });
    attempt("group " + bad, [&] { (void)Note::query().group(bad).grouped_count(); });
    attempt("pluck " + bad, [&] { (void)Note::query().pluck(bad); });
    attempt("where(raw) " + bad, [&] { (void)Note::where(bad).count(); });
    attempt("update_all(raw) " + bad, [&] { (void)Note::query().update_all(bad); });
    // A comparison operator is an identifier-like input too.
    attempt("where(op) " + bad, [&] { (void)Note::where(&Note::n, bad, 1).count(); });
    CHECK_THROWS_AS((void)Note::where(&Note::n, bad, 1).count(), sy::Error);
  }
  CHECK(Note::query().count() == 1);
  CHECK(Note::query().pluck(&Note::body) == std::vector<std::string>{"keep"});
}

// Fragments that can end the statement, comment out the rest of it or break out of the
// parentheses a WHERE fragment is wrapped in are refused before anything is sent, with the
// method in the message.
void fragments_refused(const std::string& env) {
  use_backend(env);
  sy::test::QueryRecorder recorder;
  auto refused = [&](const std::function<void()>& fn, const std::string& method) {
    try {
      fn();
      FAIL("not refused: " << method);
    } catch (const sy::ArgumentError& e) {
      CHECK(std::string(e.what()).find(method) != std::string::npos);
    }
  };
  refused([] { (void)Note::order("body; DROP TABLE canary").all(); }, "order");
  refused([] { (void)Note::order("body -- x").all(); }, "order");
  refused([] { (void)Note::query().select("id; DELETE FROM canary").all(); }, "select");
  refused([] { (void)Note::query().group("body /* x */").grouped_count(); }, "group");
  refused([] { (void)Note::query().pluck("1; DELETE FROM canary"); }, "pluck");
  refused([] { (void)Note::where("1=1) OR (1=1").count(); }, "where");
  refused([] { (void)Note::where("body = 'x'; DELETE FROM canary").count(); }, "where");
  refused([] { (void)Note::query().update_all("tag = 'x' -- "); }, "update_all");
  CHECK(recorder.queries().empty());
  CHECK(canary_rows() == 1);
  // Ordinary expressions still work.
  Note::create({.body = "b", .n = 2});
  Note::create({.body = "a", .n = 1});
  CHECK(Note::order("LOWER(body) DESC").pluck(&Note::body) == std::vector<std::string>{"b", "a"});
  CHECK(Note::where("body IN ('a', 'b') AND n > ?", 0).count() == 2);
  CHECK(Note::where("body = ';'").count() == 0);  // a ';' inside a string literal is data
  CHECK(Note::query().pluck("COUNT(n)") == std::vector<sy::Value>{sy::Value{std::int64_t{2}}});
}

// Behind the fragment check: what the builder sends is run as exactly one statement, and a
// statement with binds never runs (or silently drops) a second one.
void one_statement(const std::string& env) {
  use_backend(env);
  sy::test::QueryRecorder recorder;
  const sy::ExecOptions single{.single_statement = true};
  CHECK_THROWS_AS(
      sy::execute(InjRecord::connection_class(), "SELECT 1; DELETE FROM canary", {}, single),
      sy::StatementInvalid);
  CHECK_THROWS_AS(
      sy::execute(InjRecord::connection_class(), "SELECT 1 WHERE 1 = $1; DELETE FROM canary",
                  {sy::Value{std::int64_t{1}}}),
      sy::StatementInvalid);
  CHECK(canary_rows() == 1);
  // Raw SQL without binds keeps running scripts (migrations, setup), as documented.
  sy::execute(InjRecord::connection_class(),
              "INSERT INTO canary VALUES (2); DELETE FROM canary WHERE v = 2");
  CHECK(canary_rows() == 1);
}

}  // namespace

#define SY_BOTH(name, fn)                             \
  TEST_CASE("injection (sqlite): " name) {            \
    fn("sqlite");                                     \
  }                                                   \
  TEST_CASE("injection (postgresql): " name* SY_PG) { \
    fn("postgresql");                                 \
  }

SY_BOTH("values stay bound data through every value-taking entry", values_stay_data)
SY_BOTH("NUL bytes are stored exactly or refused, never truncated", nul_bytes)
SY_BOTH("identifiers are fields or refused; expressions run as one statement",
        identifiers_refused_or_quoted)
SY_BOTH("fragments that end, comment out or break out of the statement are refused",
        fragments_refused)
SY_BOTH("builder statements run as exactly one statement", one_statement)

// Classifier API: kinds, routes, pins, registration, shared defaults, reasons.
#include <doctest/doctest.h>
#include <switchyard/sql/statement_classifier.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace sql = switchyard::sql;
using sql::Dialect;
using sql::Route;
using sql::StatementKind;

namespace {
sql::Classification pg(std::string_view text) {
  return sql::classify(Dialect::postgresql, text);
}
sql::Classification lite(std::string_view text) {
  return sql::classify(Dialect::sqlite3, text);
}
}  // namespace

TEST_CASE("reads go to a replica, writes to the primary") {
  const auto read = pg("SELECT * FROM dogs WHERE id = $1");
  CHECK(read.kind == StatementKind::read);
  CHECK(read.route == Route::replica);
  CHECK(read.reason == "SELECT");
  CHECK(read.code == sql::ReasonCode::select);
  CHECK_FALSE(read.is_write());
  CHECK_FALSE(read.pins_session());
  CHECK_FALSE(read.multi_statement);

  const auto write = pg("UPDATE dogs SET age = 4");
  CHECK(write.kind == StatementKind::write);
  CHECK(write.route == Route::primary);
  CHECK(write.reason == "WRITE_STATEMENT(UPDATE)");
  CHECK(write.code == sql::ReasonCode::write_statement);
  CHECK(write.is_write());
}

TEST_CASE("session state: replayable to all connections, or pinned to the primary") {
  const auto set = pg("SET search_path = app");
  CHECK(set.kind == StatementKind::session_state);
  CHECK(set.route == Route::all);
  CHECK_FALSE(set.pins_session());

  for (const char* text : {"LISTEN ch", "PREPARE p AS SELECT 1", "DEALLOCATE p",
                           "DECLARE c CURSOR WITH HOLD FOR SELECT 1", "SELECT currval('s')",
                           "SELECT * FROM pg_temp.x"}) {
    const auto c = pg(text);
    INFO(text << " -> " << c.reason);
    CHECK(c.kind == StatementKind::session_state);
    CHECK(c.route == Route::primary);
    CHECK(c.pins_session());
  }
  const auto attach = lite("ATTACH 'x.db' AS x");
  CHECK(attach.pins_session());
  CHECK(attach.route == Route::primary);
  CHECK(lite("SELECT last_insert_rowid()").pins_session());
}

TEST_CASE("writes that also pin the session") {
  for (const char* text : {"SELECT pg_advisory_lock(1)", "SELECT set_config('a.b', 'c', false)",
                           "CREATE TEMP TABLE t (a int)", "SELECT * INTO TEMP t FROM u",
                           "INSERT INTO t VALUES (currval('s'))", "EXECUTE p(1)"}) {
    const auto c = pg(text);
    INFO(text << " -> " << c.reason);
    CHECK(c.is_write());
    CHECK(c.pins_session());
  }
  // Transaction-scoped locks and plain writes do not pin.
  CHECK_FALSE(pg("SELECT pg_advisory_xact_lock(1)").pins_session());
  CHECK_FALSE(pg("SELECT nextval('s')").pins_session());
  CHECK_FALSE(pg("INSERT INTO t VALUES (1)").pins_session());
}

TEST_CASE("pins are kept whichever statement decides the route") {
  const auto c = pg("SELECT nextval('s'), pg_advisory_lock(1)");
  CHECK(c.reason == "SIDE_EFFECT_FUNCTION(nextval)");
  CHECK(c.pins_session());
  CHECK(pg("LISTEN a; SELECT 1").pins_session());
}

TEST_CASE("transaction control") {
  const auto begin = pg("BEGIN");
  CHECK(begin.kind == StatementKind::transaction_control);
  CHECK(begin.route == Route::primary);
  CHECK(pg("begin read only").reason == "TRANSACTION_CONTROL(BEGIN READ ONLY)");
  CHECK(pg("BEGIN READ WRITE").reason == "TRANSACTION_CONTROL(BEGIN)");
  CHECK(pg("SET TRANSACTION READ ONLY").kind == StatementKind::transaction_control);
}

TEST_CASE("multiple statements: the most restrictive wins") {
  const auto c = pg("SELECT 1; UPDATE t SET x = 1; SELECT 2");
  CHECK(c.multi_statement);
  CHECK(c.is_write());
  CHECK(c.code == sql::ReasonCode::write_statement);
  CHECK(c.reason == "MULTI_STATEMENT(WRITE_STATEMENT(UPDATE))");
  // Session state mixed with a query cannot be replayed alone.
  const auto mixed = pg("SET a = 1; SELECT 1");
  CHECK(mixed.route == Route::primary);
  CHECK(mixed.pins_session());
  CHECK(pg("SET a = 1; RESET b").route == Route::all);
}

TEST_CASE("empty input") {
  for (const char* text : {"", "   ", ";", "-- c", "/* c */ ;;"}) {
    const auto c = pg(text);
    CHECK(c.code == sql::ReasonCode::empty);
    CHECK(c.reason == "EMPTY");
    CHECK(c.route == Route::primary);
    CHECK_FALSE(c.is_write());
  }
}

TEST_CASE("lexer failures are writes") {
  CHECK(pg("SELECT 'x").reason == "UNTERMINATED");
  CHECK(pg("SELECT 'x").is_write());
  CHECK(pg(std::string_view("SELECT 1\0", 9)).reason == "NUL_BYTE");
}

TEST_CASE("a NUL byte inside a string, identifier or comment is a write too") {
  using namespace std::string_view_literals;
  // Found by fuzz_classifier: the lexer only saw a NUL where a token starts.
  for (std::string_view text : {"SELECT 'a\0b'"sv, "SELECT \"a\0\" FROM t"sv, "SELECT 1 -- \0"sv,
                                "SELECT 1 /* \0 */"sv, "SELECT 'a\\', 'b; DEL\0 t; --'"sv}) {
    CAPTURE(text.size());
    CHECK(pg(text).reason == "NUL_BYTE");
    CHECK(lite(text).reason == "NUL_BYTE");
    CHECK(lite(text).route == Route::primary);
  }
}

TEST_CASE("unbalanced parentheses are a write whatever the statement") {
  // Found by fuzz_classifier: only queries scanned their parentheses.
  for (const char* text : {"EXPLAIN SELECT 1)", "EXPLAIN (VERBOSE) SELECT (1", "EXPLAIN DELETE FROM t)",
                           "SHOW x)", "COPY t TO STDOUT)", "WAIT FOR LSN '0/1')", "SET x = (1",
                           "BEGIN)"}) {
    CAPTURE(text);
    CHECK(pg(text).reason == "UNBALANCED_PARENTHESES");
  }
  CHECK(lite("PRAGMA table_info(x))").reason == "UNBALANCED_PARENTHESES");
  CHECK(lite("EXPLAIN QUERY PLAN SELECT 1)").reason == "UNBALANCED_PARENTHESES");
  CHECK(pg("EXPLAIN (VERBOSE) SELECT (1)").route == Route::replica);
}

TEST_CASE("standard_conforming_strings off is considered when a string holds a backslash") {
  // Read as the server does by default: one string, then a harmless one.
  // With the setting off the first string swallows the comma and the DELETE runs.
  const auto c = pg("SELECT 'a\\', 'b; DELETE FROM t; --'");
  CHECK(c.is_write());
  CHECK(pg("SELECT 'a\\b' FROM t").route == Route::replica);
}

TEST_CASE("register_read_only_function") {
  sql::StatementClassifier classifier(Dialect::postgresql);
  CHECK(classifier.dialect() == Dialect::postgresql);
  CHECK(classifier.classify("SELECT app.slugify(name) FROM t").reason ==
        "UNKNOWN_FUNCTION(app.slugify)");
  CHECK(classifier.classify("SELECT Slugify(name) FROM t").reason == "UNKNOWN_FUNCTION(slugify)");
  classifier.register_read_only_function("SLUGIFY");
  CHECK(classifier.classify("SELECT slugify(name) FROM t").route == Route::replica);
  CHECK(classifier.classify("SELECT Slugify(name) FROM t").route == Route::replica);
  // A qualified call needs the qualified registration.
  CHECK(classifier.classify("SELECT app.slugify(name) FROM t").is_write());
  classifier.register_read_only_function("app.slugify");
  CHECK(classifier.classify("SELECT app.slugify(name) FROM t").route == Route::replica);
  // A quoted name with capitals is a different function.
  CHECK(classifier.classify("SELECT \"Slugify\"(name) FROM t").is_write());
  // Registration never overrides the denylist.
  classifier.register_read_only_function("nextval");
  CHECK(classifier.classify("SELECT nextval('s')").is_write());
  // Other classifiers are unaffected.
  CHECK(sql::classify(Dialect::postgresql, "SELECT slugify(name) FROM t").is_write());
}

TEST_CASE("register on the shared default classifier, concurrently with classify") {
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        if (sql::classify(Dialect::sqlite3, "SELECT * FROM t WHERE id = ?").route != Route::replica)
          ++wrong;
        if (!sql::classify(Dialect::sqlite3, "DELETE FROM t").is_write()) ++wrong;
        (void)sql::classify(Dialect::sqlite3, "SELECT shared_udf_42(x) FROM t");
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    sql::register_read_only_function(Dialect::sqlite3, "udf_" + std::to_string(i));
  }
  sql::register_read_only_function(Dialect::sqlite3, "shared_udf_42");
  stop = true;
  for (auto& t : readers) t.join();
  CHECK(wrong.load() == 0);
  CHECK(sql::classify(Dialect::sqlite3, "SELECT shared_udf_42(x) FROM t").route == Route::replica);
  CHECK(&sql::default_classifier(Dialect::sqlite3) == &sql::default_classifier(Dialect::sqlite3));
  CHECK(sql::default_classifier(Dialect::postgresql).dialect() == Dialect::postgresql);
}

TEST_CASE("reason codes print") {
  CHECK(sql::to_string(sql::ReasonCode::locking_clause) == "LOCKING_CLAUSE");
  CHECK(sql::to_string(sql::ReasonCode::dml_in_cte) == "DML_IN_CTE");
  CHECK(sql::to_string(StatementKind::session_state) == "session_state");
  CHECK(sql::to_string(Route::all) == "all");
}

TEST_CASE("ASCII-only case folding: no locale tricks") {
  // U+0130 (Turkish capital dotted I) is not I: this is not INSERT, and not provably a read.
  const auto c = pg("\xC4\xB0NSERT INTO t VALUES (1)");
  CHECK(c.is_write());
  CHECK(c.reason == "UNRECOGNIZED_STATEMENT");
  // U+017F (long s) is not s.
  CHECK(pg("\xC5\xBF"
           "ELECT 1")
            .is_write());
}

TEST_CASE("decision cache: keyed by classifier and exact text, survives eviction") {
  // The same text means different things per dialect.
  const std::string text = "SELECT 1 -- c\rDELETE FROM t";
  for (int i = 0; i < 3; ++i) {
    CHECK(pg(text).is_write());
    CHECK(lite(text).route == Route::replica);
  }
  // Two instances of the same dialect do not share registrations through the cache.
  sql::StatementClassifier a(Dialect::postgresql);
  sql::StatementClassifier b(Dialect::postgresql);
  a.register_read_only_function("only_in_a");
  for (int i = 0; i < 3; ++i) {
    CHECK(a.classify("SELECT only_in_a()").route == Route::replica);
    CHECK(b.classify("SELECT only_in_a()").is_write());
  }
  // Far more distinct statements than cache slots: every answer stays right.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3000; ++i) {
      const std::string n = std::to_string(i);
      REQUIRE(pg("SELECT * FROM t WHERE id = " + n).route == Route::replica);
      REQUIRE(pg("DELETE FROM t WHERE id = " + n).is_write());
    }
  }
  CHECK(pg("").reason == "EMPTY");
}

#include <soci/soci.h>

#include <atomic>
#include <thread>

#include "databases.hpp"
#include "switchyard/connection/connection_handler.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/log_subscriber.hpp"

using namespace switchyard;

namespace {

DatabaseConfig sqlite_config(const std::string& name, const std::string& file, bool replica = false,
                             nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json s = {{"adapter", "sqlite3"},
                      {"database", (test::temp_dir() / file).string()}};
  if (replica) s["replica"] = true;
  s.update(extra);
  return DatabaseConfig("test", name, s, "test");
}

}  // namespace

TEST_CASE("sqlite3: execute converts types and binds $N parameters") {
  auto conn = open_connection(sqlite_config("primary", "types.sqlite3"), {"primary"});
  conn->execute("DROP TABLE IF EXISTS t; CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BOOLEAN, n TEXT)");
  auto r = conn->execute("INSERT INTO t VALUES ($1, $2, $3, $4, $5)",
                         {Value{std::int64_t{9007199254740993}}, Value{2.5}, Value{std::string("it's")},
                          Value{true}, Value{nullptr}});
  CHECK(r.affected_rows == 1);
  // $2 used before $1 and twice: each binds by its number, not its position.
  auto q = conn->execute("SELECT i, d, s, b, n FROM t WHERE s = $2 AND i = $1 AND s = $2",
                         {Value{std::int64_t{9007199254740993}}, Value{std::string("it's")}});
  REQUIRE(q.size() == 1);
  CHECK(std::get<std::int64_t>(q.at(0, "i")) == 9007199254740993);
  CHECK(std::get<double>(q.at(0, "d")) == 2.5);
  CHECK(std::get<std::string>(q.at(0, "s")) == "it's");
  CHECK(std::get<std::int64_t>(q.at(0, "b")) == 1);
  CHECK(is_null(q.at(0, "n")));
  CHECK_THROWS_WITH_AS(q.at(0, "missing"), doctest::Contains("no column 'missing'"), Error);
}

TEST_CASE("sqlite3: errors carry a result-code name and the statement") {
  auto conn = open_connection(sqlite_config("primary", "errors.sqlite3"), {"primary"});
  conn->execute("CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY)");
  conn->execute("INSERT INTO u VALUES (1)");
  try {
    conn->execute("INSERT INTO u VALUES ($1)", {Value{std::int64_t{1}}});
    FAIL("duplicate key accepted");
  } catch (const StatementInvalid& e) {
    CHECK(e.sqlstate() == "SQLITE_CONSTRAINT");
    CHECK(std::string(e.what()).find("INSERT INTO u") != std::string::npos);
  }
  CHECK_THROWS_AS(conn->execute("SELEC 1"), StatementInvalid);
  CHECK_THROWS_WITH(conn->execute("SELECT $1, $2", {Value{std::int64_t{1}}}),
                    doctest::Contains("has no bound value"));
}

TEST_CASE("sqlite3: prepared statements are cached per connection") {
  auto conn = open_connection(sqlite_config("primary", "cache.sqlite3"), {"primary"});
  std::vector<bool> cached;
  instrument::Subscription sub([&](const instrument::SqlEvent& e) { cached.push_back(e.cached); });
  conn->execute("SELECT $1 AS x", {Value{std::int64_t{1}}}, {.prepare = true});
  auto r = conn->execute("SELECT $1 AS x", {Value{std::int64_t{2}}}, {.prepare = true});
  CHECK(std::get<std::int64_t>(r.scalar()) == 2);
  CHECK(cached == std::vector<bool>{false, true});
}

TEST_CASE("sqlite3: a replica is read-only in the database too, and the guard refuses first") {
  auto writer = open_connection(sqlite_config("primary", "ro.sqlite3"), {"primary"});
  writer->execute("CREATE TABLE IF NOT EXISTS dogs (name TEXT)");
  auto replica = open_connection(sqlite_config("primary_replica", "ro.sqlite3", true),
                                 {"primary", "reading"});
  CHECK(replica->preventing_writes());
  std::vector<std::string> sent;
  instrument::Subscription sub([&](const instrument::SqlEvent& e) { sent.emplace_back(e.sql); });
  CHECK_THROWS_WITH_AS(replica->execute("INSERT INTO dogs VALUES ('Rex')"),
                       "Write query attempted while in readonly mode: INSERT INTO dogs VALUES ('Rex')",
                       ReadOnlyError);
  CHECK(sent.empty());  // refused before it was sent
  // Second line of defence: the handle itself was opened read-only.
  CHECK_THROWS_AS(replica->session() << "INSERT INTO dogs VALUES ('Rex')", soci::soci_error);
  CHECK(replica->execute("SELECT count(*) FROM dogs").size() == 1);
}

TEST_CASE("sqlite3: transactions nest with savepoints; callbacks run after the outermost commit") {
  auto conn = open_connection(sqlite_config("primary", "tx.sqlite3"), {"primary"});
  conn->execute("DROP TABLE IF EXISTS t; CREATE TABLE t (v INTEGER)");
  std::vector<std::string> log;
  conn->begin_transaction();
  conn->execute("INSERT INTO t VALUES (1)");
  conn->add_transaction_callbacks([&] { log.push_back("commit 1"); }, [&] { log.push_back("rollback 1"); });
  conn->begin_transaction();
  conn->execute("INSERT INTO t VALUES (2)");
  conn->add_transaction_callbacks([&] { log.push_back("commit 2"); }, [&] { log.push_back("rollback 2"); });
  conn->rollback_transaction();  // only the savepoint
  CHECK(log == std::vector<std::string>{"rollback 2"});
  conn->begin_transaction();
  conn->execute("INSERT INTO t VALUES (3)");
  conn->add_transaction_callbacks([&] { log.push_back("commit 3"); }, {});
  conn->commit_transaction();  // release: callbacks move to the outer level
  CHECK(log.size() == 1);
  conn->commit_transaction();
  CHECK(log == std::vector<std::string>{"rollback 2", "commit 1", "commit 3"});
  CHECK(conn->execute("SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY v)").scalar() ==
        Value{std::string("1,3")});
  CHECK_THROWS_AS(conn->commit_transaction(), Error);
}

TEST_CASE("sqlite3: a failing after_commit callback is reported, not thrown, and the commit stays") {
  auto conn = open_connection(sqlite_config("primary", "cb.sqlite3"), {"primary"});
  conn->execute("DROP TABLE IF EXISTS t; CREATE TABLE t (v INTEGER)");
  std::vector<std::string> errors;
  instrument::Subscription sub(instrument::EventSubscriber([&](const instrument::Event& e) {
    if (e.name == "callback.error") errors.push_back(e.payload["error"].get<std::string>());
  }));
  bool second_ran = false;
  conn->begin_transaction();
  conn->execute("INSERT INTO t VALUES (1)");
  conn->add_transaction_callbacks([] { throw std::runtime_error("boom"); }, {});
  conn->add_transaction_callbacks([&] { second_ran = true; }, {});
  CHECK_NOTHROW(conn->commit_transaction());
  CHECK(second_ran);
  CHECK(errors == std::vector<std::string>{"boom"});
  CHECK(conn->execute("SELECT count(*) FROM t").scalar() == Value{std::int64_t{1}});
}

TEST_CASE("instrumentation: every statement emits one event with its context") {
  auto conn = open_connection(sqlite_config("animals", "events.sqlite3"),
                              {"AnimalsRecord", "writing", "default"});
  std::vector<instrument::SqlEvent> events;
  std::vector<std::string> sqls, lines;
  instrument::Subscription sub([&](const instrument::SqlEvent& e) {
    sqls.emplace_back(e.sql);
    lines.push_back(instrument::format_log_line(e));
    CHECK(e.database == "animals");
    CHECK(e.role == "writing");
  });
  conn->execute("CREATE TABLE IF NOT EXISTS users (name TEXT, password TEXT)");
  std::vector<std::string> names{"name", "password"};
  conn->execute("INSERT INTO users VALUES ($1, $2)",
                {Value{std::string("ann")}, Value{std::string("hunter2-secret")}},
                {.name = "User Create", .bind_names = names});
  CHECK_THROWS(conn->execute("SELECT * FROM nowhere"));
  REQUIRE(sqls.size() == 3);
  CHECK(lines[1].find("[animals writing] User Create (") == 0);
  CHECK(lines[1].find("[\"ann\", [FILTERED]]") != std::string::npos);
  CHECK(lines[1].find("hunter2") == std::string::npos);
  CHECK(lines[2].find("-- error SQLITE_ERROR") != std::string::npos);
}

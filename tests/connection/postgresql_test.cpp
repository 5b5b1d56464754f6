#include <libpq-fe.h>

#include <thread>

#include "databases.hpp"
#include "switchyard/connection/connection_handler.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/notifications.hpp"

using namespace switchyard;
using namespace std::chrono_literals;

namespace {

const std::string kDb = "sy_connection";

DatabaseConfig pg(const std::string& name, const test::PgServer& server, bool replica = false) {
  nlohmann::json s = {{"adapter", "postgresql"},       {"host", server.host},
                      {"port", server.port},           {"database", kDb},
                      {"username", test::pg_user()},   {"password", test::pg_password()}};
  if (replica) s["replica"] = true;
  return DatabaseConfig("test", name, s, "test");
}

struct Fixture {
  Fixture() {
    static bool once = [] {
      test::fresh_pg_database(kDb);
      return true;
    }();
    (void)once;
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "postgresql: values keep their types" * SY_PG) {
  auto conn = open_connection(pg("primary", test::pg_primary()), {"primary"});
  auto r = conn->execute(
      "SELECT $1::bigint AS i, $2::float8 AS d, $3::text AS s, $4::boolean AS b, NULL::int AS n, "
      "'{\"a\": 1}'::jsonb AS j, 2::smallint AS small",
      {Value{std::int64_t{9007199254740993}}, Value{0.1}, Value{std::string("x'y")}, Value{false}});
  CHECK(std::get<std::int64_t>(r.at(0, "i")) == 9007199254740993);
  CHECK(std::get<double>(r.at(0, "d")) == 0.1);
  CHECK(std::get<std::string>(r.at(0, "s")) == "x'y");
  CHECK(std::get<bool>(r.at(0, "b")) == false);
  CHECK(is_null(r.at(0, "n")));
  CHECK(std::get<std::string>(r.at(0, "j")) == "{\"a\": 1}");
  CHECK(std::get<std::int64_t>(r.at(0, "small")) == 2);
}

TEST_CASE_FIXTURE(Fixture, "postgresql: errors carry SQLSTATE; prepared statements are reused" * SY_PG) {
  auto conn = open_connection(pg("primary", test::pg_primary()), {"primary"});
  try {
    conn->execute("SELECT * FROM no_such_table");
    FAIL("no error");
  } catch (const StatementInvalid& e) {
    CHECK(e.sqlstate() == "42P01");
  }
  conn->execute("SELECT $1::int AS v", {Value{std::int64_t{1}}}, {.prepare = true});
  auto r = conn->execute("SELECT $1::int AS v", {Value{std::int64_t{2}}}, {.prepare = true});
  CHECK(r.scalar() == Value{std::int64_t{2}});
  auto n = conn->execute("SELECT count(*) FROM pg_prepared_statements").scalar();
  CHECK(n == Value{std::int64_t{1}});
}

TEST_CASE_FIXTURE(Fixture, "postgresql: COPY through execute() reads its data; the connection stays usable" * SY_PG) {
  // Found by the ASan run: the COPY result leaked and left the connection in COPY state.
  auto conn = open_connection(pg("primary", test::pg_primary()), {"primary"});
  auto r = conn->execute("COPY (SELECT g, 'x' || g FROM generate_series(1, 3) g) TO STDOUT");
  REQUIRE(r.columns == std::vector<std::string>{"copy"});
  REQUIRE(r.rows.size() == 3);
  CHECK(std::get<std::string>(r.rows[2][0]) == "3\tx3");
  CHECK(r.affected_rows == 3);
  CHECK(conn->execute("COPY (SELECT 1 WHERE false) TO STDOUT").rows.empty());
  CHECK(std::get<std::int64_t>(conn->execute("SELECT 7 AS v").at(0, "v")) == 7);

  conn->execute("CREATE TABLE IF NOT EXISTS copy_in (v int)");
  CHECK_THROWS_AS(conn->execute("COPY copy_in FROM STDIN"), StatementInvalid);
  CHECK(std::get<std::int64_t>(conn->execute("SELECT count(*) AS n FROM copy_in").at(0, "n")) == 0);
  CHECK_THROWS_AS(conn->execute("COPY no_such_table TO STDOUT"), StatementInvalid);
  CHECK(std::get<std::int64_t>(conn->execute("SELECT 8 AS v").at(0, "v")) == 8);
}

TEST_CASE_FIXTURE(Fixture, "postgresql: a replica refuses writes before sending and at the server" * SY_PG) {
  auto primary = open_connection(pg("primary", test::pg_primary()), {"primary"});
  primary->execute("CREATE TABLE IF NOT EXISTS dogs (id bigserial primary key, name text)");
  test::pg_wait_catchup(kDb);
  auto replica = open_connection(pg("primary_replica", test::pg_replica(), true), {"primary", "reading"});
  CHECK(replica->execute("SELECT pg_is_in_recovery()").scalar() == Value{true});
  CHECK_THROWS_AS(replica->execute("INSERT INTO dogs (name) VALUES ('Rex')"), ReadOnlyError);
  // Bypassing the guard, the server refuses too: the session is default_transaction_read_only.
  PGresult* res = PQexec(replica->pg_handle(), "SELECT set_config('application_name', 'x', false)");
  PQclear(res);
  res = PQexec(replica->pg_handle(), "CREATE TEMP TABLE t (v int)");
  CHECK(std::string(PQresultErrorField(res, PG_DIAG_SQLSTATE)) == "25006");
  PQclear(res);
  CHECK(replica->execute("SHOW default_transaction_read_only").scalar() == Value{std::string("on")});
}

TEST_CASE_FIXTURE(Fixture, "postgresql: the pool replaces a connection terminated while idle" * SY_PG) {
  auto pool = ConnectionPool::create(pg("primary", test::pg_primary()), {"primary"},
                                     PoolOptions{.size = 1, .verify_after_idle = 0ms});
  std::int64_t pid = 0;
  {
    auto lease = pool->lease();
    pid = std::get<std::int64_t>(lease->execute("SELECT pg_backend_pid()::bigint").scalar());
  }
  test::pg_exec(test::pg_primary(), kDb, "SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  std::this_thread::sleep_for(50ms);
  auto lease = pool->lease();
  auto now = std::get<std::int64_t>(lease->execute("SELECT pg_backend_pid()::bigint").scalar());
  CHECK(now != pid);
  CHECK(pool->stats().replaced == 1);
}

TEST_CASE_FIXTURE(Fixture, "postgresql: a connection killed while leased fails clearly, then recovers" * SY_PG) {
  auto pool = ConnectionPool::create(pg("primary", test::pg_primary()), {"primary"},
                                     PoolOptions{.size = 1});
  {
    auto lease = pool->lease();
    auto pid = std::get<std::int64_t>(lease->execute("SELECT pg_backend_pid()::bigint").scalar());
    test::pg_exec(test::pg_primary(), kDb, "SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
    std::this_thread::sleep_for(50ms);
    try {
      lease->execute("SELECT 1");
      FAIL("query on a terminated connection succeeded");
    } catch (const ConnectionFailed& e) {
      CHECK((e.sqlstate() == "57P01" || e.sqlstate().rfind("08", 0) == 0));
    }
    CHECK(lease->broken());
  }
  auto lease = pool->lease();  // the dead one was discarded; a fresh one opens
  CHECK(lease->execute("SELECT 1").size() == 1);
  CHECK(pool->stats().created == 2);
}

TEST_CASE_FIXTURE(Fixture, "postgresql: threads share a pool without sharing connections" * SY_PG) {
  auto pool = ConnectionPool::create(pg("primary", test::pg_primary()), {"primary"},
                                     PoolOptions{.size = 3});
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        try {
          auto lease = pool->lease();
          lease->begin_transaction();
          lease->execute("SELECT pg_backend_pid()");
          lease->commit_transaction();
        } catch (...) {
          ++errors;
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK(errors == 0);
  CHECK(pool->stats().connections <= 3);
}

TEST_CASE("postgresql: a wrong password is reported without the password" * SY_PG) {
  auto config = pg("primary", test::pg_primary());
  nlohmann::json s = config.settings();
  s["password"] = "wrong-Pw-Zebra-991";
  DatabaseConfig bad("test", "primary", s, "test");
  try {
    open_connection(bad, {"primary"});
    FAIL("connected with a wrong password");
  } catch (const ConnectionNotEstablished& e) {
    std::string msg = e.what();
    CHECK(msg.find("wrong-Pw-Zebra-991") == std::string::npos);
    CHECK(msg.find("[FILTERED]") != std::string::npos);
  }
}

TEST_CASE_FIXTURE(Fixture, "postgresql: COPY through execute: out returns lines, in is refused cleanly" * SY_PG) {
  auto conn = open_connection(pg("primary", test::pg_primary()), {"primary"});
  conn->execute("DROP TABLE IF EXISTS copy_probe");
  conn->execute("CREATE TABLE copy_probe (id int, name text)");
  conn->execute("INSERT INTO copy_probe VALUES (1, 'a'), (2, NULL)");

  std::vector<std::string> events;
  instrument::Subscription sub(instrument::SqlSubscriber([&](const instrument::SqlEvent& e) {
    events.push_back(std::string(e.sql) + " rows=" + std::to_string(e.rows));
  }));
  auto r = conn->execute("COPY (SELECT * FROM copy_probe ORDER BY id) TO STDOUT");
  REQUIRE(r.rows.size() == 2);
  CHECK(r.columns == std::vector<std::string>{"copy"});
  CHECK(std::get<std::string>(r.rows[0][0]) == "1\ta");
  CHECK(std::get<std::string>(r.rows[1][0]) == "2\t\\N");
  CHECK(r.affected_rows == 2);
  REQUIRE(events.size() == 1);
  CHECK(events[0].find("rows=2") != std::string::npos);

  try {
    conn->execute("COPY copy_probe FROM STDIN");
    FAIL("COPY FROM STDIN ran without data");
  } catch (const StatementInvalid& e) {
    CHECK(std::string(e.what()).find("FROM STDIN cannot run through execute()") != std::string::npos);
  }
  // The connection is idle again, and nothing was written.
  CHECK(std::get<std::int64_t>(conn->execute("SELECT count(*) AS n FROM copy_probe").at(0, "n")) == 2);
}

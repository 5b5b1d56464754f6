// Proxy mode against the real primary and hot standby, without disturbing the cluster (the
// destructive checks live in failover_test.cpp).
#include <atomic>
#include <set>
#include <thread>

#include "../sql/corpus.hpp"
#include "routing_fixtures.hpp"
#include "switchyard/errors.hpp"

namespace sy = switchyard;
namespace routing = switchyard::routing;

namespace {

const std::string kDb = "sy_routing";

// Tables and types the corpus's read statements name, so that most of them run for real.
const char* kSchema = R"sql(
CREATE TABLE dogs (id bigserial PRIMARY KEY, name text, age int, owner_id bigint, created_at timestamptz DEFAULT now());
CREATE TABLE owners (id bigserial PRIMARY KEY, name text);
CREATE TABLE t (id int, name text, x int, y int, z int, a int, b int, c int, d int,
  v int, created_at timestamptz, data jsonb, "update" int, "delete" int, "insert" int);
CREATE TABLE u (id int, a int, b int);
CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE c (id int);
CREATE TABLE "for update" ("weird""name" int);
CREATE TABLE users (id int, name text); CREATE TABLE posts (id int, user_id int);
INSERT INTO dogs (name, age) VALUES ('Rex', 3), ('Fido', 5);
INSERT INTO t (id, name, x, y) VALUES (1, 'a', 1, 2);
)sql";

void fresh() {
  static bool once = [] {
    sy::test::fresh_pg_database(kDb);
    sy::test::pg_exec(sy::test::pg_primary(), kDb, kSchema);
    sy::test::pg_wait_catchup(kDb);
    return true;
  }();
  (void)once;
  rt::setup(kDb);
}

}  // namespace

TEST_CASE("pg proxy: every corpus statement routed to the replica runs on the standby" * SY_PG) {
  fresh();
  rt::Recorder rec;
  auto corpus = sy::test::load_corpus();
  int ran = 0, failed_otherwise = 0, checked = 0;
  for (const auto& k : corpus) {
    if (k.dialect != sy::sql::Dialect::postgresql || k.route != "replica") continue;
    // COPY ... TO STDOUT needs the COPY protocol, not a statement.
    if (k.sql.find("COPY") != std::string::npos || k.sql.find("copy") != std::string::npos) continue;
    CAPTURE(k.line);
    CAPTURE(k.sql);
    ++checked;
    rec.clear();
    try {
      rt::run(rt::pg_main(), k.sql);
      ++ran;
    } catch (const sy::StatementInvalid& e) {
      // Errors of the statement itself (a function newer than the server, missing binds) are
      // fine; a read-only refusal would mean a write was let through.
      CHECK(e.sqlstate() != "25006");
      ++failed_otherwise;
    }
    auto events = rec.events();
    REQUIRE_FALSE(events.empty());
    for (const auto& e : events) {
      if (e.name == "SESSION REPLAY") continue;
      CHECK(e.node == "pg_main_replica");
      CHECK(e.reason != "REPLICA_READ_ONLY_ERROR");
    }
  }
  MESSAGE(checked << " replica statements: " << ran << " ran on the standby, " << failed_otherwise
                  << " failed for their own reasons (none read-only)");
  CHECK(checked >= 80);
  CHECK(ran >= checked * 3 / 4);
}

TEST_CASE("pg proxy: WAL stickiness reads every write back fresh" * SY_PG) {
  fresh();
  rt::Recorder rec;
  std::map<std::string, int> reasons;
  for (int i = 0; i < 100; ++i) {
    auto name = "w" + std::to_string(i);
    rt::run(rt::pg_main(), "INSERT INTO owners (name) VALUES ('" + name + "')");
    auto got = rt::run(rt::pg_main(), "SELECT count(*) FROM owners WHERE name = '" + name + "'");
    REQUIRE(rt::scalar_text(got) == "1");
    ++reasons[rec.last("SELECT count(*) FROM owners WHERE name = '" + name + "'").reason];
  }
  for (const auto& [r, n] : reasons) MESSAGE(r << ": " << n);
  auto token = routing::current_token("pg_main");
  REQUIRE(token);
  CHECK(token->system_identifier != 0);
  CHECK(token->timeline >= 1);
  // Once the standby has caught up, reads go back to it.
  sy::test::pg_wait_catchup(kDb);
  routing::replica_set("pg_main")->probe_now();
  rt::run(rt::pg_main(), "SELECT 1 AS caught_up");
  CHECK(rec.last("SELECT 1 AS caught_up").node == "pg_main_replica");
}

TEST_CASE("pg proxy: SET is replayed on replica connections, RESET ALL undoes it" * SY_PG) {
  fresh();
  rt::Recorder rec;
  rt::run(rt::pg_main(), "SET statement_timeout = '1234ms'");
  CHECK(rec.last("SET statement_timeout = '1234ms'").node == "pg_main");
  const std::string q = "SELECT current_setting('statement_timeout')";
  CHECK(rt::scalar_text(rt::run(rt::pg_main(), q)) == "1234ms");
  CHECK(rec.last(q).node == "pg_main_replica");
  // The replica connection stays read-only whatever the session set.
  rt::run(rt::pg_main(), "SET default_transaction_read_only = off");
  const std::string ro = "SELECT current_setting('default_transaction_read_only')";
  CHECK(rt::scalar_text(rt::run(rt::pg_main(), ro)) == "on");
  CHECK(rec.last(ro).node == "pg_main_replica");
  rt::run(rt::pg_main(), "RESET ALL");
  CHECK(rt::scalar_text(rt::run(rt::pg_main(), q)) == "0");
  // Another thread's session does not see this one's settings.
  rt::run(rt::pg_main(), "SET statement_timeout = '4321ms'");
  std::string other;
  std::thread([&] { other = rt::scalar_text(rt::run(rt::pg_main(), q)); }).join();
  CHECK(other == "0");
  routing::reset_session();
}

TEST_CASE("pg proxy: temp tables, nextval/currval and LISTEN pin the session" * SY_PG) {
  fresh();
  rt::Recorder rec;
  {
    routing::UnitOfWork uow;
    rt::run(rt::pg_main(), "CREATE TEMP TABLE scratch AS SELECT 1 AS v");
    CHECK(routing::pinned("pg_main"));
    CHECK(rt::scalar_text(rt::run(rt::pg_main(), "SELECT v FROM scratch")) == "1");
    auto e = rec.last("SELECT v FROM scratch");
    CHECK(e.node == "pg_main");
    CHECK(e.reason == "SESSION_PINNED");
  }
  CHECK_FALSE(routing::pinned("pg_main"));
  {
    routing::UnitOfWork uow;
    auto n = rt::scalar_text(rt::run(rt::pg_main(), "SELECT nextval('dogs_id_seq')"));
    CHECK(rt::scalar_text(rt::run(rt::pg_main(), "SELECT currval('dogs_id_seq')")) == n);
    rt::run(rt::pg_main(), "LISTEN sy_jobs");
    CHECK(routing::pinned("pg_main"));
  }
  // The pinned connection went back clean: no temp table, no listener.
  auto t = sy::connected_to(rt::pg_main(), {.role = sy::writing}, [] {
    return rt::scalar_text(rt::run(rt::pg_main(),
                                   "SELECT count(*) FROM pg_listening_channels()"));
  });
  CHECK(t == "0");
}

TEST_CASE("pg proxy: a token exported after a write makes another thread read fresh" * SY_PG) {
  fresh();
  rt::run(rt::pg_main(), "INSERT INTO owners (name) VALUES ('handoff')");
  std::string token = routing::export_token();
  CHECK(token.find("pg_main=") != std::string::npos);
  auto parsed = routing::parse_tokens(token);
  REQUIRE(parsed);
  CHECK(parsed->at("pg_main").lsn > 0);
  std::string got;
  std::thread([&] {
    routing::UnitOfWork uow(token);
    got = rt::scalar_text(
        rt::run(rt::pg_main(), "SELECT count(*) FROM owners WHERE name = 'handoff'"));
  }).join();
  CHECK(got == "1");
  routing::reset_session();
}

TEST_CASE("pg proxy: metrics report the replica's position and lag" * SY_PG) {
  fresh();
  rt::run(rt::pg_main(), "SELECT 1");
  auto set = routing::replica_set("pg_main");
  REQUIRE(set);
  set->probe_now();
  auto j = routing::metrics().to_json();
  bool found = false;
  for (const auto& s : j["sets"])
    if (s["database"] == "pg_main") {
      CHECK(s["primary_down"] == false);
      CHECK_FALSE(s["primary_lsn"].get<std::string>().empty());
      REQUIRE(s["replicas"].size() == 1);
      const auto& r = s["replicas"][0];
      CHECK(r["node"] == "pg_main_replica");
      CHECK(r["state"] == "closed");
      CHECK(r["in_recovery"] == true);
      CHECK(r["lag_bytes"].get<std::int64_t>() >= 0);
      found = true;
    }
  CHECK(found);
}

TEST_CASE("pg proxy: concurrent readers and writers all read their own writes" * SY_PG) {
  fresh();
  std::atomic<int> stale{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < 40; ++i) {
          auto name = "c" + std::to_string(t) + "_" + std::to_string(i);
          rt::run(rt::pg_main(), "INSERT INTO owners (name) VALUES ('" + name + "')");
          auto n = rt::scalar_text(
              rt::run(rt::pg_main(), "SELECT count(*) FROM owners WHERE name = '" + name + "'"));
          if (n != "1") ++stale;
        }
      } catch (const std::exception&) {
        ++errors;
      }
      routing::reset_session();
    });
  for (auto& th : threads) th.join();
  CHECK(stale == 0);
  CHECK(errors == 0);
}

TEST_CASE("pg proxy: a replica that is not a standby (promoted) serves no reads" * SY_PG) {
  fresh();
  rt::Recorder rec;
  rt::run(rt::pg_outsider(false), "SELECT 1 AS outsider_strict");
  auto strict = rec.last("SELECT 1 AS outsider_strict");
  CHECK(strict.node == "pg_outsider");
  CHECK(strict.reason == "ALL_REPLICAS_DOWN");
  // Opted out (e.g. a logical-replication subscriber): it is read from like any replica.
  rt::run(rt::pg_outsider(true), "SELECT 1 AS outsider_allowed");
  CHECK(rec.last("SELECT 1 AS outsider_allowed").node == "pg_not_standby");
  sy::routing::reset_session();
}

// Against the real servers: reads in a reading scope run on the hot standby, writes there are
// refused before they are sent (checked for every write of the sql layer's labelled corpus, on
// PostgreSQL and on a SQLite replica), and read-your-writes positions.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "fixtures.hpp"
#include "pg_fixtures.hpp"
#include "switchyard/connection/connection_pool.hpp"
#include "switchyard/context/context_snapshot.hpp"
#include "switchyard/context/wal_position.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/test_helpers.hpp"
#include "switchyard/sql/statement_classifier.hpp"

#if __has_include("../sql/corpus.hpp")
#include "../sql/corpus.hpp"
#define SY_HAVE_CORPUS 1
#endif

using namespace ctx_test;
namespace sy = switchyard;
using namespace std::chrono_literals;

namespace {

const std::string kDb = "sy_context";

struct PgFixture {
  PgFixture() {
    static bool once = [] {
      sy::test::fresh_pg_database(kDb);
      sy::test::pg_exec(sy::test::pg_primary(), kDb,
                        "CREATE TABLE dogs (id bigserial PRIMARY KEY, name text, age int);"
                        "CREATE TABLE t (v text); INSERT INTO dogs (name, age) VALUES ('Rex', 3)");
      sy::test::pg_wait_catchup(kDb);
      return true;
    }();
    (void)once;
    register_classes();
    sy::clear_connected_to_stack();
    sy::establish(pg_configs(kDb), "test");
  }
  ~PgFixture() { sy::clear_connected_to_stack(); }
};

sy::Value scalar(const sy::ConnectionClass& k, const std::string& sql) {
  return sy::execute(k, sql, {}).scalar();
}

// The classifier in this build is the real one (not the interim prefix check).
bool real_classifier() {
  return sy::sql::classify(sy::sql::Dialect::postgresql, "SELECT nextval('s')").is_write();
}

}  // namespace

TEST_CASE_FIXTURE(PgFixture, "pg: reads in a reading scope run on the hot standby" * SY_PG) {
  CHECK(scalar(dog(), "SELECT pg_is_in_recovery()") == sy::Value{false});
  CHECK_TOUCHED_EXACTLY({{"animals_replica", "reading"}}, [] {
    sy::connected_to(animals(), {.role = sy::reading}, [] {
      CHECK(scalar(dog(), "SELECT pg_is_in_recovery()") == sy::Value{true});
      CHECK(scalar(dog(), "SELECT name FROM dogs WHERE id = 1") == sy::Value{std::string("Rex")});
      // The replica session is also read-only at the database level.
      if (real_classifier())
        CHECK(scalar(dog(), "SHOW default_transaction_read_only") == sy::Value{std::string("on")});
    });
  });
  // Global: every class with a reading role reads its replica.
  sy::connected_to({.role = sy::reading}, [] {
    CHECK(scalar(dog(), "SELECT pg_is_in_recovery()") == sy::Value{true});
  });
}

TEST_CASE_FIXTURE(PgFixture, "pg: a write in a reading scope is refused before it is sent" * SY_PG) {
  sy::test::QueryRecorder recorder;
  const std::string insert = "INSERT INTO dogs (name) VALUES ('Ghost')";
  sy::connected_to(animals(), {.role = sy::reading}, [&] {
    CHECK_THROWS_WITH_AS(sy::execute(dog(), insert, {}),
                         ("Write query attempted while in readonly mode: " + insert).c_str(),
                         sy::ReadOnlyError);
  });
  // On the primary with prevent_writes, and under while_preventing_writes: refused too.
  sy::connected_to(animals(), {.role = sy::writing, .prevent_writes = true}, [&] {
    CHECK(scalar(dog(), "SELECT pg_is_in_recovery()") == sy::Value{false});
    CHECK_THROWS_AS(sy::execute(dog(), insert, {}), sy::ReadOnlyError);
  });
  sy::while_preventing_writes([&] { CHECK_THROWS_AS(sy::execute(dog(), insert, {}), sy::ReadOnlyError); });
  CHECK_FALSE(recorder.sent(insert));
  CHECK(sy::test::pg_scalar(sy::test::pg_primary(), kDb, "SELECT count(*) FROM dogs WHERE name = 'Ghost'") == "0");
}

#ifdef SY_HAVE_CORPUS
namespace {
// Reasons the corpus routes to the primary without being writes: these are sent even while
// writes are prevented (routing pins them to the primary; the guard has nothing to refuse), so
// they are not part of this check. TEMP_TABLE covers both creating a temporary table (a write)
// and reading one (pinned, not a write): those cases follow the classifier's kind.
bool non_write_reason(std::string reason, sy::sql::Dialect dialect, const std::string& sql) {
  while (reason.rfind("MULTI_STATEMENT(", 0) == 0) reason = reason.substr(16);
  for (const char* p : {"TRANSACTION_CONTROL", "SESSION_STATE", "CURSOR", "LISTEN",
                        "SESSION_FUNCTION", "EMPTY"})
    if (reason.rfind(p, 0) == 0) return true;
  if (reason.rfind("TEMP_TABLE", 0) == 0) return !sy::sql::classify(dialect, sql).is_write();
  return false;
}

// Every corpus write of `dialect` is refused before sending; every corpus read is sent and is not
// refused by the server as a write.
void run_corpus(sy::sql::Dialect dialect, const sy::ConnectionClass& klass, int& writes, int& reads) {
  auto cases = sy::test::load_corpus();
  for (const auto& c : cases) {
    if (c.dialect != dialect || c.route == "all" || non_write_reason(c.reason, c.dialect, c.sql)) continue;
    sy::test::QueryRecorder recorder(true);
    sy::connected_to({.role = sy::reading}, [&] {
      if (c.route == "primary") {
        ++writes;
        bool refused = false;
        try {
          sy::execute(klass, c.sql, {});
        } catch (const sy::ReadOnlyError&) {
          refused = true;
        } catch (const std::exception&) {
        }
        INFO("corpus line ", c.line, ": ", c.sql);
        CHECK(refused);
        CHECK(recorder.size() == 0);
      } else {
        ++reads;
        std::string sqlstate;
        try {
          sy::execute(klass, c.sql, {});
        } catch (const sy::ReadOnlyError& e) {
          sqlstate = "refused";
        } catch (const sy::StatementInvalid& e) {
          sqlstate = e.sqlstate();
        } catch (const std::exception& e) {
          sqlstate = std::string("other: ") + e.what();
        }
        INFO("corpus line ", c.line, ": ", c.sql, " -> ", sqlstate);
        CHECK(sqlstate != "refused");
        CHECK(sqlstate != "25006");           // PostgreSQL: read-only transaction
        CHECK(sqlstate.find("READONLY") == std::string::npos);  // SQLite
        CHECK(sqlstate.rfind("other:", 0) == std::string::npos);  // only database errors
        CHECK(recorder.size() >= 1);  // it was sent
      }
    });
  }
}
}  // namespace

TEST_CASE_FIXTURE(PgFixture, "pg: the labelled corpus through a reading scope on the standby" * SY_PG) {
  if (!real_classifier()) {
    MESSAGE("interim classifier in this build: corpus check skipped");
    return;
  }
  int writes = 0, reads = 0;
  run_corpus(sy::sql::Dialect::postgresql, dog(), writes, reads);
  MESSAGE("postgresql corpus: ", writes, " writes refused before sending, ", reads, " reads sent");
  CHECK(writes >= 80);
  CHECK(reads >= 40);
}

TEST_CASE("sqlite: the labelled corpus through a reading scope on a read-only replica") {
  if (!real_classifier()) {
    MESSAGE("interim classifier in this build: corpus check skipped");
    return;
  }
  establish_sqlite();
  int writes = 0, reads = 0;
  run_corpus(sy::sql::Dialect::sqlite3, dog(), writes, reads);
  MESSAGE("sqlite3 corpus: ", writes, " writes refused before sending, ", reads, " reads sent");
  CHECK(writes >= 30);
  CHECK(reads >= 10);
  sy::clear_connected_to_stack();
}
#endif

TEST_CASE_FIXTURE(PgFixture, "pg: tricky writes are refused in a reading scope on the standby" * SY_PG) {
  sy::test::QueryRecorder recorder;
  std::vector<std::string> writes = {
      "INSERT INTO dogs (name) VALUES ('x')",
      "  /* comment */ (UPDATE dogs SET age = 1)",
      "DELETE FROM dogs",
      "TRUNCATE dogs",
      "CREATE TABLE x (v int)",
      "-- SELECT\nINSERT INTO t VALUES ('a')",
  };
  if (real_classifier()) {
    for (const char* s : {"WITH d AS (DELETE FROM dogs RETURNING *) SELECT * FROM d",
                          "SELECT * FROM dogs FOR UPDATE", "SELECT * FROM dogs FOR NO KEY UPDATE SKIP LOCKED",
                          "SELECT nextval('dogs_id_seq')", "SELECT pg_advisory_lock(1)",
                          "SELECT * INTO copy_of_dogs FROM dogs", "EXPLAIN ANALYZE DELETE FROM dogs",
                          "SELECT 1; DROP TABLE dogs", "SELECT set_config('x.y', '1', false)",
                          "COPY dogs FROM STDIN", "select txid_current()"})
      writes.emplace_back(s);
  }
  sy::connected_to({.role = sy::reading}, [&] {
    for (const auto& w : writes) {
      INFO(w);
      CHECK_THROWS_AS(sy::execute(dog(), w, {}), sy::ReadOnlyError);
    }
  });
  CHECK(recorder.size() == 0);
}

TEST_CASE_FIXTURE(PgFixture, "pg: a reading scope carried to a worker thread reads the standby" * SY_PG) {
  auto job = sy::connected_to(animals(), {.role = sy::reading},
                              [] { return sy::bind_context([] { return scalar(dog(), "SELECT pg_is_in_recovery()"); }); });
  sy::Value in_worker;
  std::thread([&] { in_worker = job(); }).join();
  CHECK(in_worker == sy::Value{true});
}

TEST_CASE_FIXTURE(PgFixture, "pg: WAL positions — cluster identity, capture after commit, replica freshness" * SY_PG) {
  auto primary_pool = sy::connection_handler().retrieve_connection_pool_strict({"AnimalsRecord", "writing"});
  auto replica_pool = sy::connection_handler().retrieve_connection_pool_strict({"AnimalsRecord", "reading"});
  auto pid = sy::cluster_identity(*primary_pool);
  auto rid = sy::cluster_identity(*replica_pool);
  REQUIRE(pid);
  REQUIRE(rid);
  CHECK(pid->system_identifier == rid->system_identifier);
  CHECK(pid->timeline_id == rid->timeline_id);
  auto second_pool = sy::connection_handler().retrieve_connection_pool_strict({"MeowRecord", "writing"});
  CHECK(sy::cluster_identity(*second_pool)->system_identifier != pid->system_identifier);

  // Inside a transaction the position would precede the COMMIT: refused.
  {
    sy::Lease lease = primary_pool->lease();
    lease->begin_transaction();
    CHECK_THROWS_AS(sy::capture_primary_position(*primary_pool), sy::Error);
    lease->rollback_transaction();
  }

  sy::QueryingReplicaPositionSource source;
  PausedReplay paused;
  sy::execute(dog(), "INSERT INTO dogs (name) VALUES ('Lagging')", {});
  auto token = sy::capture_primary_position(*primary_pool);
  REQUIRE(token);
  sy::WalTokens tokens;
  tokens.merge(*token);
  CHECK(sy::replica_freshness(*replica_pool, tokens, source) == sy::ReplicaFreshness::behind);
  {
    sy::WalTokensScope scope(tokens);
    CHECK_FALSE(sy::replica_caught_up(animals()));
    // reading_your_writes: the primary (with writes prevented) until the standby catches up.
    auto name = sy::reading_your_writes(animals(), [] {
      CHECK(sy::current_preventing_writes(dog()));
      return scalar(dog(), "SELECT name FROM dogs ORDER BY id DESC LIMIT 1");
    });
    CHECK(name == sy::Value{std::string("Lagging")});
    // The standby has not replayed it.
    CHECK(sy::connected_to(animals(), {.role = sy::reading},
                           [] { return scalar(dog(), "SELECT count(*) FROM dogs WHERE name = 'Lagging'"); }) ==
          sy::Value{std::int64_t{0}});
    // A token of another cluster does not hold the standby back; one of an older timeline is stale.
    sy::WalTokens other;
    other.merge({{pid->system_identifier + 1, 1}, token->lsn + 1000});
    CHECK(sy::replica_freshness(*replica_pool, other, source) == sy::ReplicaFreshness::caught_up);
    sy::WalTokens old_timeline;
    old_timeline.merge({{pid->system_identifier, pid->timeline_id + 1}, token->lsn});
    std::vector<std::uint64_t> stale;
    CHECK(sy::replica_freshness(*replica_pool, old_timeline, source, nullptr, &stale) ==
          sy::ReplicaFreshness::caught_up);
    CHECK(stale.size() == 1);
  }
  sy::test::pg_cluster("resume-replay");
  sy::test::pg_wait_catchup(kDb);
  std::vector<std::uint64_t> passed;
  CHECK(sy::replica_freshness(*replica_pool, tokens, source, &passed) == sy::ReplicaFreshness::caught_up);
  CHECK(passed == std::vector<std::uint64_t>{pid->system_identifier});
  sy::WalTokensScope scope(tokens);
  CHECK(sy::reading_your_writes(animals(), [] { return scalar(dog(), "SELECT pg_is_in_recovery()"); }) ==
        sy::Value{true});
}

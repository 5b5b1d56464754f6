// Destructive: stops the second primary (the sync target) and pauses replay on the replica. Runs
// alone (is_parallel: false); guards restore the servers even when a check fails.
#include <doctest/doctest.h>

#include <thread>

#include "switchyard/sync/outbox.hpp"
#include "switchyard/sync/verify.hpp"
#include "switchyard/sync/worker.hpp"
#include "sync_support.hpp"

using namespace switchyard;
namespace sy = switchyard::sync;

namespace {

constexpr const char* kDogs = "CREATE TABLE dogs (id bigint PRIMARY KEY, name text NOT NULL, age int)";

struct SecondDownGuard {
  ~SecondDownGuard() {
    try {
      test::pg_cluster("start-second");
    } catch (...) {
    }
  }
};

struct ReplayPausedGuard {
  ~ReplayPausedGuard() {
    try {
      test::pg_cluster("resume-replay");
    } catch (...) {
    }
  }
};

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

}  // namespace

TEST_CASE("pg sync: the target down for a while leaves a backlog that drains" * SY_PG) {
  const std::string db = "sy_sync_down";
  sy::TableSync spec = test::pg_dogs_sync(db, kDogs);
  auto src = test::connect(spec.source);
  sy::WorkerOptions o;
  o.poll_interval = std::chrono::milliseconds(20);
  o.unavailable_max = std::chrono::milliseconds(500);
  o.max_attempts = 3;  // an outage must not turn rows into dead letters
  sy::Worker worker(spec, o);
  worker.start();

  src->execute("INSERT INTO dogs (id, name) SELECT i, 'before' FROM generate_series(1, 100) i");
  REQUIRE(eventually([&] { return test::count(*src, "SELECT count(*) FROM switchyard_sync_outbox") == 0; },
                     std::chrono::seconds(20)));
  {
    SecondDownGuard guard;
    test::pg_cluster("stop-second");
    src->execute("INSERT INTO dogs (id, name) SELECT i, 'during' FROM generate_series(101, 1100) i");
    src->execute("UPDATE dogs SET age = 1 WHERE id <= 50");
    src->execute("DELETE FROM dogs WHERE id BETWEEN 51 AND 60");
    std::this_thread::sleep_for(std::chrono::seconds(3));
    auto st = sy::status(*src, "dogs");
    REQUIRE(st.size() == 1);
    MESSAGE("backlog while the target is down: " << st[0].backlog << ", oldest "
                                                 << st[0].oldest_age_seconds.value_or(-1) << "s");
    CHECK(st[0].backlog == 1060);
    CHECK(st[0].dead == 0);
    CHECK(st[0].retrying == 0);
    CHECK(worker.stats().unavailable > 0);
    test::pg_cluster("start-second");
  }
  CHECK(eventually([&] { return test::count(*src, "SELECT count(*) FROM switchyard_sync_outbox") == 0; },
                   std::chrono::seconds(60)));
  worker.stop();
  CHECK(test::count(*src, "SELECT count(*) FROM switchyard_sync_dead") == 0);
  auto report = sy::verify(spec);
  CHECK(report.equal());
  CHECK(report.target_rows == 1090);
}

TEST_CASE("pg sync: records are read from the replica only once it has replayed the change" * SY_PG) {
  const std::string db = "sy_sync_lsn";
  sy::TableSync spec = test::pg_dogs_sync(db, kDogs);
  spec.source_replica = test::pg_config("animals_replica", test::pg_replica(), db, true);
  auto src = test::connect(spec.source);
  test::pg_wait_catchup(db);
  sy::Worker worker(spec);

  src->execute("INSERT INTO dogs (id, name) VALUES (1, 'first')");
  test::pg_wait_catchup(db);
  CHECK(worker.drain() == 1);
  CHECK(worker.stats().replica_reads == 1);
  {
    ReplayPausedGuard guard;
    test::pg_cluster("pause-replay");
    src->execute("UPDATE dogs SET name = 'second' WHERE id = 1");
    CHECK(worker.drain() == 1);
    CHECK(worker.stats().primary_reads == 1);  // the replica had not replayed it
    CHECK(test::pg_scalar(test::pg_second(), db, "SELECT name FROM dogs WHERE id = 1") == "second");
  }
}

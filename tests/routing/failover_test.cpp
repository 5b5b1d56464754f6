// Destructive checks against the real cluster: replay paused, replica killed and restarted,
// primary stopped and restarted. Runs alone (is_parallel: false) and puts the cluster back in
// guards, also when a check fails.
#include <atomic>
#include <chrono>
#include <thread>

#include "routing_fixtures.hpp"
#include "switchyard/context/wal_position.hpp"
#include "switchyard/errors.hpp"

namespace sy = switchyard;
namespace routing = switchyard::routing;
using namespace std::chrono_literals;

namespace {

const std::string kDb = "sy_routing_fo";

void fresh() {
  static bool once = [] {
    sy::test::fresh_pg_database(kDb);
    sy::test::pg_exec(sy::test::pg_primary(), kDb,
                      "CREATE TABLE counters (id int PRIMARY KEY, v bigint);"
                      "INSERT INTO counters VALUES (1, 0);"
                      "CREATE TABLE dogs (id bigserial PRIMARY KEY, name text);"
                      "INSERT INTO dogs (name) VALUES ('Rex')");
    sy::test::pg_wait_catchup(kDb);
    return true;
  }();
  (void)once;
  rt::setup(kDb);
}

// Restores the cluster whatever happened: replay resumed, replica and primary running.
struct ClusterGuard {
  ~ClusterGuard() {
    for (const char* step : {"resume-replay", "start-primary", "start-replica", "resume-replay"}) {
      try {
        sy::test::pg_cluster(step);
      } catch (const std::exception& e) {
        MESSAGE("cluster restore step " << std::string(step) << " failed: " << std::string(e.what()));
      }
    }
  }
};

template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

}  // namespace

TEST_CASE("failover: replay paused -> no stale read in WAL mode; lagging replica skipped" * SY_PG) {
  fresh();
  ClusterGuard guard;
  rt::Recorder rec;
  sy::test::pg_cluster("pause-replay");
  std::map<std::string, int> reasons;
  for (int i = 1; i <= 30; ++i) {
    rt::run(rt::pg_main(), "UPDATE counters SET v = " + std::to_string(i) + " WHERE id = 1");
    auto v = rt::scalar_text(rt::run(rt::pg_main(), "SELECT v FROM counters WHERE id = 1"));
    REQUIRE(v == std::to_string(i));  // never stale
    ++reasons[rec.last("SELECT v FROM counters WHERE id = 1").reason];
  }
  for (const auto& [r, n] : reasons) MESSAGE("paused replay, own writes: " << r << " x" << n);
  CHECK(reasons["STICKY_LSN_NOT_REPLAYED"] == 30);

  // A session without writes still reads the (stale) replica: that is what replicas are for.
  std::string other_node;
  std::thread([&] {
    rt::run(rt::pg_main(), "SELECT v FROM counters WHERE id = 1 /* other */");
    other_node = rec.last("SELECT v FROM counters WHERE id = 1 /* other */").node;
  }).join();
  CHECK(other_node == "pg_main_replica");

  // The same session's tokens carried to another thread the way the HTTP selector's cookie or
  // capture_context() carries them (context/wal_position.hpp): that thread reads fresh too.
  const sy::WalTokens carried = sy::current_wal_tokens();
  REQUIRE_FALSE(carried.empty());
  std::string carried_value, carried_reason;
  std::thread([&] {
    sy::WalTokensScope scope(carried);
    carried_value = rt::scalar_text(rt::run(rt::pg_main(), "SELECT v FROM counters WHERE id = 1 /* carried */"));
    carried_reason = rec.last("SELECT v FROM counters WHERE id = 1 /* carried */").reason;
  }).join();
  CHECK(carried_value == "30");
  CHECK(carried_reason == "STICKY_LSN_NOT_REPLAYED");

  // With a byte-lag limit the lagging replica is skipped for everyone.
  auto set = routing::replica_set("pg_main");
  REQUIRE(set);
  set->probe_now();
  std::thread([&] {
    rt::run(rt::pg_lagcheck(), "SELECT 1 AS lagcheck");
  }).join();
  auto lag = rec.last("SELECT 1 AS lagcheck");
  CHECK(lag.reason == "REPLICA_LAGGING");
  CHECK(lag.node == "pg_lagcheck");
  auto m = routing::metrics();
  for (const auto& s : m.sets)
    if (s.database == "pg_main") {
      REQUIRE(s.replicas.size() == 1);
      CHECK(s.replicas[0].lag_bytes > 0);
      MESSAGE("lag while paused: " << s.replicas[0].lag_bytes << " bytes, "
                                   << s.replicas[0].lag_seconds << " s");
    }

  sy::test::pg_cluster("resume-replay");
  sy::test::pg_wait_catchup(kDb);
  CHECK(wait_until([&] {
    rt::run(rt::pg_main(), "SELECT v FROM counters WHERE id = 1 /* after */");
    return rec.last("SELECT v FROM counters WHERE id = 1 /* after */").node == "pg_main_replica";
  }, 5000ms));
  routing::reset_session();
}

TEST_CASE("failover: replica killed during a read load -> no failed read; restarted -> readmitted" * SY_PG) {
  fresh();
  ClusterGuard guard;
  rt::Recorder rec;
  rt::EventRecorder events;
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, failures{0};
  std::mutex err_mutex;
  std::string first_error;
  std::vector<std::thread> readers;
  struct Joiner {  // stops and joins the readers also when a check throws
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& th : threads)
        if (th.joinable()) th.join();
    }
  } joiner{stop, readers};
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      while (!stop) {
        try {
          auto n = rt::scalar_text(rt::run(rt::pg_main(), "SELECT count(*) FROM dogs"));
          if (n != "1") throw std::runtime_error("unexpected count " + n);
          ++reads;
        } catch (const std::exception& e) {
          ++failures;
          std::lock_guard lock(err_mutex);
          if (first_error.empty()) first_error = e.what();
        }
        std::this_thread::sleep_for(2ms);
      }
    });
  std::this_thread::sleep_for(300ms);
  const auto t_kill = std::chrono::steady_clock::now();
  sy::test::pg_cluster("kill-replica");
  std::this_thread::sleep_for(1500ms);
  const int reads_while_down_start = reads;
  std::this_thread::sleep_for(500ms);
  CHECK(reads > reads_while_down_start);  // the primary kept serving
  sy::test::pg_cluster("start-replica");
  const auto t_start = std::chrono::steady_clock::now();
  rec.clear();
  bool readmitted = wait_until([&] {
    for (const auto& e : rec.events())
      if (e.node == "pg_main_replica" && e.sql == "SELECT count(*) FROM dogs") return true;
    return false;
  }, 30000ms);
  const auto t_back = std::chrono::steady_clock::now();
  stop = true;
  for (auto& th : readers) th.join();
  CHECK(readmitted);
  CHECK(events.saw("routing.replica_down"));
  CHECK(events.saw("routing.replica_readmitted"));
  CHECK(failures == 0);
  if (failures) MESSAGE("first failure: " << first_error);
  (void)joiner;
  auto m = routing::metrics();
  MESSAGE("reads: " << reads.load() << ", failed: " << failures.load() << ", retried: " << m.retries
                    << ", served by primary because all replicas were down: "
                    << m.all_replicas_down_reads);
  MESSAGE("replica readmitted "
          << std::chrono::duration_cast<std::chrono::milliseconds>(t_back - t_start).count()
          << " ms after start-replica returned ("
          << std::chrono::duration_cast<std::chrono::milliseconds>(t_back - t_kill).count()
          << " ms after the kill)");
  CHECK(m.all_replicas_down_reads > 0);
}

TEST_CASE("failover: primary stopped -> writes fail clearly, reads continue on the replica" * SY_PG) {
  fresh();
  ClusterGuard guard;
  rt::Recorder rec;
  rt::EventRecorder events;
  // Warm the replica pool so that reads do not depend on anything the primary serves.
  rt::run(rt::pg_main(), "SELECT count(*) FROM dogs");
  sy::test::pg_cluster("stop-primary");
  // The first write learns it the hard way or from the probe; every one fails with the name.
  for (int i = 0; i < 3; ++i) {
    try {
      rt::run(rt::pg_main(), "INSERT INTO dogs (name) VALUES ('while down')");
      FAIL("a write succeeded with the primary stopped");
    } catch (const sy::ConnectionNotEstablished& e) {
      CHECK(std::string(e.what()).find("pg_main") != std::string::npos);
      if (i == 2) MESSAGE("write error: " << std::string(e.what()));
    } catch (const sy::ConnectionFailed& e) {
      CHECK(std::string(e.what()).find("pg_main") != std::string::npos);
    }
  }
  CHECK(wait_until([] { return routing::replica_set("pg_main")->primary_down(); }, 2000ms));
  const auto t0 = std::chrono::steady_clock::now();
  try {
    rt::run(rt::pg_main(), "DELETE FROM dogs");
  } catch (const sy::ConnectionNotEstablished& e) {
    CHECK(std::string(e.what()).find("primary database 'pg_main' is unavailable") !=
          std::string::npos);
  }
  const auto fail_fast_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - t0)
                                .count();
  MESSAGE("write refused in " << fail_fast_us << " us once the primary is known down");
  CHECK(events.saw("routing.primary_down"));
  // Reads go on, from the replica, also for this session that just tried to write.
  for (int i = 0; i < 20; ++i) {
    CHECK(rt::scalar_text(rt::run(rt::pg_main(), "SELECT count(*) FROM dogs")) == "1");
    CHECK(rec.last("SELECT count(*) FROM dogs").node == "pg_main_replica");
  }
  sy::test::pg_cluster("start-primary");
  CHECK(wait_until([] { return !routing::replica_set("pg_main")->primary_down(); }, 10000ms));
  CHECK(events.saw("routing.primary_up"));
  bool wrote = wait_until([] {
    try {
      rt::run(rt::pg_main(), "UPDATE dogs SET name = 'Rex' WHERE id = 1");
      return true;
    } catch (const sy::Error&) {
      return false;
    }
  }, 10000ms);
  CHECK(wrote);
  routing::reset_session();
}

// Faults injected into the real servers while a load runs: the replica crashes and restarts
// under read-your-writes traffic, the primary stops under concurrent writes, and backends are
// terminated server-side while leased and while idle in the pool. Each case asserts its outcome
// (no failed read, no stale read, a clear error, nothing acknowledged lost, nothing duplicated)
// and prints the figures docs/reliability.md reports. Runs alone (is_parallel: false); the
// cluster is restored in guards, also when a check fails.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "databases.hpp"
#include "switchyard/routing/proxy.hpp"
#include "switchyard/switchyard.hpp"

namespace sy = switchyard;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kDb = "sy_rel_faults";

// Proxy mode: statements are routed (reads to the standby, read-your-writes by WAL position).
sy::ConnectionClass& routed() {
  static sy::ConnectionClass k("FaultsRouted", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "routed", .reading = "routed_replica"}));
  return k;
}
// Role-based (no proxy): writes to the primary, explicit reading scopes on the standby.
sy::ConnectionClass& plain() {
  static sy::ConnectionClass k("FaultsPlain", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "plain", .reading = "plain_replica"}));
  return k;
}

// Role-based too, on a pool of its own: connections that mostly sit idle.
sy::ConnectionClass& resting() {
  static sy::ConnectionClass k("FaultsResting", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "resting"}));
  return k;
}

nlohmann::ordered_json pg(const sy::test::PgServer& s, int pool) {
  return {{"adapter", "postgresql"},
          {"host", s.host},
          {"port", s.port},
          {"database", kDb},
          {"username", sy::test::pg_user()},
          {"password", sy::test::pg_password()},
          {"connect_timeout", 2},
          {"pool", pool},
          {"checkout_timeout", 10}};
}

void setup() {
  static bool once = [] {
    sy::test::fresh_pg_database(kDb);
    sy::test::pg_exec(sy::test::pg_primary(), kDb,
                      "CREATE TABLE counters (id int PRIMARY KEY, v bigint NOT NULL);"
                      "CREATE TABLE writes (id bigint PRIMARY KEY, worker int NOT NULL, seq int "
                      "NOT NULL, UNIQUE (worker, seq))");
    sy::test::pg_wait_catchup(kDb);
    return true;
  }();
  (void)once;
  nlohmann::ordered_json env;
  env["primary"] = pg(sy::test::pg_primary(), 2);
  auto routed = pg(sy::test::pg_primary(), 8);
  routed["adapter"] = "postgresql_proxy";
  routed["replica_probe_interval"] = 0.05;
  routed["circuit_breaker"] = {{"base_backoff", 0.2}, {"max_backoff", 1}};
  env["routed"] = routed;
  env["routed_replica"] = pg(sy::test::pg_replica(), 8);
  env["routed_replica"]["replica"] = true;
  env["plain"] = pg(sy::test::pg_primary(), 8);
  env["resting"] = pg(sy::test::pg_primary(), 8);
  env["plain_replica"] = pg(sy::test::pg_replica(), 8);
  env["plain_replica"]["replica"] = true;
  nlohmann::ordered_json tree;
  tree["faults"] = env;
  auto configs = sy::DatabaseConfigurations(tree, "faults.json", "faults");
  sy::routing::uninstall();
  sy::routing::reset_session();
  sy::establish(configs, "faults");
  sy::routing::install(configs);
  sy::routing::reset_metrics();
}

// Puts the cluster back whatever happened.
struct ClusterGuard {
  ~ClusterGuard() {
    for (const char* step : {"resume-replay", "start-primary", "start-replica"}) {
      try {
        sy::test::pg_cluster(step);
      } catch (const std::exception& e) {
        MESSAGE("cluster restore step " << std::string(step)
                                        << " failed: " << std::string(e.what()));
      }
    }
  }
};

// Threads that stop and join on scope exit, also when a check throws.
class Load {
 public:
  ~Load() { stop(); }
  template <typename Fn>
  void spawn(Fn fn) {
    threads_.emplace_back([this, fn, id = static_cast<int>(threads_.size())]() mutable {
      while (!stop_) fn(id);
    });
  }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// Which server ran each statement of the load (by the node its event names).
class NodeCounter {
 public:
  NodeCounter()
      : sub_(sy::instrument::SqlSubscriber([this](const sy::instrument::SqlEvent& e) {
          if (e.sql.rfind("SELECT v FROM counters", 0) != 0) return;
          std::lock_guard lock(mutex_);
          ++by_node_[std::string(e.node)];
        })) {}
  std::map<std::string, int> snapshot() const {
    std::lock_guard lock(mutex_);
    return by_node_;
  }
  int count(const std::string& node) const {
    std::lock_guard lock(mutex_);
    auto it = by_node_.find(node);
    return it == by_node_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> by_node_;
  sy::instrument::Subscription sub_;
};

bool clear_connection_error(const sy::Error& e) {
  if (dynamic_cast<const sy::ConnectionNotEstablished*>(&e)) return true;
  if (const auto* f = dynamic_cast<const sy::ConnectionFailed*>(&e)) return !f->sqlstate().empty();
  return false;
}

int at(const std::map<std::string, int>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

// The ids in `writes` on `server`, read in one round trip.
std::multiset<std::int64_t> write_ids(const sy::test::PgServer& server) {
  const auto text =
      sy::test::pg_scalar(server, kDb, "SELECT string_agg(id::text, ',' ORDER BY id) FROM writes");
  std::multiset<std::int64_t> ids;
  for (std::size_t at = 0; at < text.size();) {
    const auto comma = std::min(text.find(',', at), text.size());
    ids.insert(std::stoll(text.substr(at, comma - at)));
    at = comma + 1;
  }
  return ids;
}

std::int64_t scalar_int(const sy::Result& r) {
  return std::get<std::int64_t>(r.scalar());
}

}  // namespace

TEST_CASE("faults: replica crash and restart under read-your-writes load" * SY_PG) {
  setup();
  ClusterGuard guard;
  constexpr int kWriters = 4;
  for (int i = 0; i < kWriters; ++i)
    sy::test::pg_exec(sy::test::pg_primary(), kDb,
                      "INSERT INTO counters VALUES (" + std::to_string(i) +
                          ", 0) ON CONFLICT (id) "
                          "DO UPDATE SET v = 0");
  sy::test::pg_exec(sy::test::pg_primary(), kDb,
                    "INSERT INTO counters VALUES (100, 42) ON CONFLICT (id) DO UPDATE SET v = 42");
  sy::test::pg_wait_catchup(kDb);
  NodeCounter nodes;
  std::atomic<int> reads{0}, failed{0}, stale{0}, scoped_ok{0}, scoped_clear{0}, scoped_other{0};
  std::mutex err_mutex;
  std::string first_error;
  Load load;
  // Each writer bumps its own counter, then reads it back through the router: the value it just
  // wrote, whichever server serves the read.
  for (int w = 0; w < kWriters; ++w)
    load.spawn([&, v = std::int64_t{0}](int id) mutable {
      try {
        ++v;
        sy::execute(routed(), "UPDATE counters SET v = $1 WHERE id = $2",
                    {sy::Value{v}, sy::Value{std::int64_t{id}}});
        const auto got = scalar_int(sy::execute(routed(), "SELECT v FROM counters WHERE id = $1",
                                                {sy::Value{std::int64_t{id}}}));
        ++reads;
        if (got != v) ++stale;
      } catch (const std::exception& e) {
        ++failed;
        std::lock_guard lock(err_mutex);
        if (first_error.empty()) first_error = e.what();
      }
      std::this_thread::sleep_for(2ms);
    });
  // Two readers without writes of their own: the replica serves them whenever it is up.
  for (int r = 0; r < 2; ++r)
    load.spawn([&](int) {
      try {
        const auto got = scalar_int(sy::execute(routed(), "SELECT v FROM counters WHERE id = 100"));
        ++reads;
        if (got != 42) ++stale;
      } catch (const std::exception& e) {
        ++failed;
        std::lock_guard lock(err_mutex);
        if (first_error.empty()) first_error = e.what();
      }
      std::this_thread::sleep_for(2ms);
    });
  // One thread reads in an explicit reading scope (no router): while the standby is down it gets
  // a clear connection error, never a hang or a wrong answer.
  load.spawn([&](int) {
    try {
      sy::connected_to(plain(), {.role = sy::reading}, [&] {
        (void)scalar_int(sy::execute(plain(), "SELECT count(*) FROM counters"));
      });
      ++scoped_ok;
    } catch (const sy::Error& e) {
      ++(clear_connection_error(e) ? scoped_clear : scoped_other);
    }
    std::this_thread::sleep_for(5ms);
  });
  // Warm up until the replica serves (pools opened, first probe done; slow on a loaded box).
  CHECK(wait_until([&] { return nodes.count("routed_replica") > 20; }, 20000ms));
  const auto before = nodes.snapshot();
  sy::test::pg_cluster("kill-replica");
  const auto t_killed = Clock::now();
  std::this_thread::sleep_for(2000ms);
  const auto during = nodes.snapshot();
  const int scoped_ok_down = scoped_ok;
  const auto t_start_cmd = Clock::now();
  sy::test::pg_cluster("start-replica");
  const auto t_started = Clock::now();
  const bool back = wait_until(
      [&] { return nodes.count("routed_replica") > at(during, "routed_replica") + 20; }, 30000ms);
  const auto t_back = Clock::now();
  const bool scoped_back = wait_until([&] { return scoped_ok > scoped_ok_down + 5; }, 30000ms);
  std::this_thread::sleep_for(300ms);
  load.stop();
  const auto after = nodes.snapshot();
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  MESSAGE("replica crash: " << kWriters << " write-then-read threads + 2 readers, " << reads.load()
                            << " reads (" << at(after, "routed_replica") << " on the replica, "
                            << at(after, "routed") << " on the primary), failed: " << failed.load()
                            << ", stale: " << stale.load() << "; start-replica took "
                            << ms(t_started - t_start_cmd) << " ms, replica serving again "
                            << ms(t_back - t_started) << " ms after it returned ("
                            << ms(t_back - t_killed) << " ms after the kill); reading scope: "
                            << scoped_ok.load() << " ok, " << scoped_clear.load()
                            << " clear connection errors, " << scoped_other.load() << " other");
  if (failed) MESSAGE("first failure: " << first_error);
  CHECK(failed == 0);
  CHECK(stale == 0);
  CHECK(back);
  CHECK(scoped_back);
  CHECK(scoped_other == 0);
  CHECK(scoped_clear > 0);
  CHECK(at(before, "routed_replica") > 0);             // the replica served reads before the crash,
  CHECK(at(during, "routed") > at(before, "routed"));  // the primary while it was down,
  CHECK(at(after, "routed_replica") > at(during, "routed_replica"));  // and it again after
  sy::routing::reset_session();
}

TEST_CASE("faults: primary stopped during concurrent writes loses no acknowledged write" * SY_PG) {
  setup();
  ClusterGuard guard;
  sy::test::pg_exec(sy::test::pg_primary(), kDb, "TRUNCATE writes");
  constexpr int kWriters = 4;
  std::mutex mutex;
  std::set<std::int64_t> acknowledged, in_doubt;
  std::map<std::string, int> errors;
  std::atomic<int> unclear{0};
  std::vector<int> seq(kWriters, 0);
  Load load;
  for (int w = 0; w < kWriters; ++w)
    load.spawn([&](int id) {
      const int s = ++seq[static_cast<std::size_t>(id)];
      const std::int64_t key = std::int64_t{id} * 1000000 + s;
      try {
        sy::execute(plain(), "INSERT INTO writes (id, worker, seq) VALUES ($1, $2, $3)",
                    {sy::Value{key}, sy::Value{std::int64_t{id}}, sy::Value{std::int64_t{s}}});
        std::lock_guard lock(mutex);
        acknowledged.insert(key);
      } catch (const sy::Error& e) {
        std::lock_guard lock(mutex);
        in_doubt.insert(key);  // may or may not have committed: the connection died
        if (!clear_connection_error(e)) {
          ++unclear;
          MESSAGE("unclear write error: " << std::string(e.what()));
        }
        ++errors[dynamic_cast<const sy::ConnectionFailed*>(&e) ? "ConnectionFailed"
                 : dynamic_cast<const sy::ConnectionNotEstablished*>(&e)
                     ? "ConnectionNotEstablished"
                     : "other"];
        std::this_thread::sleep_for(20ms);
      }
      std::this_thread::sleep_for(1ms);
    });
  std::this_thread::sleep_for(500ms);
  sy::test::pg_cluster("stop-primary");
  std::this_thread::sleep_for(1500ms);
  std::size_t acked_while_down = 0;
  {
    std::lock_guard lock(mutex);
    acked_while_down = acknowledged.size();
  }
  std::this_thread::sleep_for(500ms);
  {
    std::lock_guard lock(mutex);
    CHECK(acknowledged.size() == acked_while_down);  // nothing acknowledged while it was down
  }
  const auto t_start_cmd = Clock::now();
  sy::test::pg_cluster("start-primary");
  const auto t_started = Clock::now();
  const bool recovered = wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return acknowledged.size() > acked_while_down + 50;
      },
      30000ms);
  const auto recovery_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t_started).count();
  load.stop();
  CHECK(recovered);
  CHECK(unclear == 0);
  // Every acknowledged write is on the primary, once; the standby has them all too.
  const auto present = write_ids(sy::test::pg_primary());
  std::size_t lost = 0, doubt_committed = 0;
  for (auto key : acknowledged) lost += present.count(key) != 1;
  for (auto key : in_doubt) doubt_committed += present.count(key);
  CHECK(lost == 0);
  CHECK(present.size() == acknowledged.size() + doubt_committed);  // nothing else, nothing twice
  sy::test::pg_wait_catchup(kDb);
  CHECK(write_ids(sy::test::pg_replica()) == present);
  std::string error_summary;
  for (const auto& [k, n] : errors) error_summary += " " + k + " x" + std::to_string(n);
  MESSAGE("primary stop: "
          << kWriters << " writer threads, " << acknowledged.size() << " writes acknowledged, "
          << in_doubt.size() << " failed (" << doubt_committed
          << " of them committed anyway), lost: " << lost << ", errors:" << error_summary
          << "; start-primary took "
          << std::chrono::duration_cast<std::chrono::milliseconds>(t_started - t_start_cmd).count()
          << " ms, 50 more writes acknowledged " << recovery_ms << " ms after it returned");
}

TEST_CASE("faults: backends terminated server-side while leased and while idle" * SY_PG) {
  setup();
  sy::test::pg_exec(sy::test::pg_primary(), kDb, "TRUNCATE writes");
  constexpr int kWorkers = 4;
  std::mutex mutex;
  std::set<std::int64_t> acknowledged;
  std::atomic<int> ok{0}, unclear{0};
  std::atomic<int> clear[2] = {0, 0};  // per group: busy, resting
  std::vector<int> seq(kWorkers, 0);
  Load load;
  // Two busy workers on `plain` (their connections are mostly leased when killed) and two on
  // `resting` that pause between transactions (theirs mostly sit idle in their pool).
  for (int w = 0; w < kWorkers; ++w)
    load.spawn([&](int id) {
      const bool busy = id < 2;
      const auto& klass = busy ? plain() : resting();
      const int s = ++seq[static_cast<std::size_t>(id)];
      const std::int64_t key = std::int64_t{id} * 1000000 + s;
      try {
        // A leased connection used for two statements in a transaction, then returned idle.
        sy::transaction(klass, [&] {
          sy::execute(klass, "INSERT INTO writes (id, worker, seq) VALUES ($1, $2, $3)",
                      {sy::Value{key}, sy::Value{std::int64_t{id}}, sy::Value{std::int64_t{s}}});
          (void)sy::execute(klass, "SELECT pg_sleep(0.002)");
        });
        std::lock_guard lock(mutex);
        acknowledged.insert(key);
        ++ok;
      } catch (const sy::Error& e) {
        if (clear_connection_error(e)) {
          ++clear[busy ? 0 : 1];
        } else {
          ++unclear;
          MESSAGE("unclear error: " << std::string(e.what()));
        }
      }
      std::this_thread::sleep_for(busy ? 1ms : 150ms);
    });
  // Kill every backend of the test database but our own, 20 times.
  int killed = 0;
  for (int round = 0; round < 20; ++round) {
    std::this_thread::sleep_for(100ms);
    killed += std::stoi(sy::test::pg_scalar(
        sy::test::pg_primary(), kDb,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + kDb +
            "' AND pid <> pg_backend_pid() AND backend_type = 'client backend'"));
  }
  const int ok_after_kills = ok;
  CHECK(wait_until([&] { return ok > ok_after_kills + 40; }, 20000ms));  // recovered
  load.stop();
  const auto present = write_ids(sy::test::pg_primary());
  std::size_t lost = 0;
  for (auto key : acknowledged) lost += present.count(key) != 1;
  CHECK(present.size() >= acknowledged.size());
  auto stats = [](const sy::ConnectionClass& k) {
    return sy::connection_handler()
        .retrieve_connection_pool_strict(sy::current_pool_key(k))
        ->stats();
  };
  const auto busy = stats(plain()), rest = stats(resting());
  MESSAGE("terminated backends: " << killed << " killed in 20 rounds under " << kWorkers
                                  << " threads; " << ok.load()
                                  << " transactions committed; busy pool: " << clear[0].load()
                                  << " clear connection errors, " << busy.replaced
                                  << " replaced silently; resting pool: " << clear[1].load()
                                  << " clear connection errors, " << rest.replaced
                                  << " replaced silently; other errors: " << unclear.load()
                                  << ", acknowledged lost: " << lost);
  CHECK(killed > 0);
  CHECK(unclear == 0);
  CHECK(clear[0] > 0);  // killed while leased: the statement fails, clearly
  // Killed while idle: replaced at checkout without an error — once the backend has exited (a
  // checkout while a loaded server is still taking it down fails like a leased one; the
  // deterministic check is in pool_recovery_test.cpp).
  CHECK(rest.replaced > 0);
  CHECK(lost == 0);
}

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "databases.hpp"
#include "switchyard/connection/connection_pool.hpp"
#include "switchyard/errors.hpp"

using namespace switchyard;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<ConnectionPool> sqlite_pool(const std::string& file, PoolOptions options) {
  DatabaseConfig config("test", "primary",
                        {{"adapter", "sqlite3"}, {"database", (test::temp_dir() / file).string()}},
                        "test");
  return ConnectionPool::create(config, {"primary"}, options);
}

}  // namespace

TEST_CASE("pool: options come from the config with Rails' defaults") {
  DatabaseConfig config("test", "primary", {{"adapter", "sqlite3"}, {"database", "x"}}, "test");
  auto o = PoolOptions::from_config(config);
  CHECK(o.size == 5);
  CHECK(o.checkout_timeout == 5000ms);
  CHECK(o.idle_timeout == std::optional<std::chrono::milliseconds>(300000ms));
  DatabaseConfig tuned("test", "primary",
                       {{"adapter", "sqlite3"}, {"database", "x"}, {"pool", 2},
                        {"checkout_timeout", 0.25}, {"idle_timeout", 0}, {"max_lifetime", 60}},
                       "test");
  auto t = PoolOptions::from_config(tuned);
  CHECK(t.size == 2);
  CHECK(t.checkout_timeout == 250ms);
  CHECK_FALSE(t.idle_timeout.has_value());
  CHECK(t.max_lifetime == std::optional<std::chrono::milliseconds>(60000ms));
}

TEST_CASE("pool: connections open lazily, are reused, and leases nest per thread") {
  auto pool = sqlite_pool("lazy.sqlite3", {.size = 2});
  CHECK(pool->stats().connections == 0);
  Connection* first = nullptr;
  {
    auto a = pool->lease();
    first = a.get();
    auto b = pool->lease();  // same thread: same connection, no second checkout
    CHECK(b.get() == a.get());
    CHECK(pool->stats().in_use == 1);
    CHECK(pool->held_by_current_thread());
  }
  CHECK_FALSE(pool->held_by_current_thread());
  auto s = pool->stats();
  CHECK(s.connections == 1);
  CHECK(s.idle == 1);
  CHECK(s.checkouts == 1);
  CHECK(pool->lease().get() == first);
}

TEST_CASE("pool: checkout times out with Rails' message when every connection is in use") {
  auto pool = sqlite_pool("timeout.sqlite3", {.size = 1, .checkout_timeout = 150ms});
  std::atomic<bool> held{false}, done{false};
  std::thread holder([&] {
    auto lease = pool->lease();
    held = true;
    while (!done) std::this_thread::sleep_for(1ms);
  });
  while (!held) std::this_thread::sleep_for(1ms);
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH_AS(pool->lease(),
                       doctest::Contains("could not obtain a connection from the pool within 0.150 "
                                         "seconds (waited 0.1"),
                       ConnectionTimeoutError);
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
  CHECK(pool->stats().timeouts == 1);
  done = true;
  holder.join();
  CHECK_NOTHROW(pool->lease());
}

TEST_CASE("pool: a waiting thread gets the connection as soon as it is returned") {
  auto pool = sqlite_pool("handoff.sqlite3", {.size = 1, .checkout_timeout = 5000ms});
  auto lease = std::make_unique<Lease>(pool->lease());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto l = pool->lease();
    got = true;
  });
  while (pool->stats().waiting == 0) std::this_thread::sleep_for(1ms);
  CHECK_FALSE(got);
  lease.reset();
  waiter.join();
  CHECK(got);
}

TEST_CASE("pool: many threads never share a connection and never exceed the bound") {
  auto pool = sqlite_pool("threads.sqlite3", {.size = 3, .checkout_timeout = 10000ms});
  std::mutex m;
  std::set<Connection*> in_use;
  std::atomic<int> violations{0}, max_seen{0}, current{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto lease = pool->lease();
        {
          std::lock_guard lock(m);
          if (!in_use.insert(lease.get()).second) ++violations;
        }
        int now = ++current;
        int prev = max_seen.load();
        while (now > prev && !max_seen.compare_exchange_weak(prev, now)) {
        }
        lease->execute("SELECT 1");
        --current;
        std::lock_guard lock(m);
        in_use.erase(lease.get());
      }
    });
  for (auto& t : threads) t.join();
  CHECK(violations == 0);
  CHECK(max_seen <= 3);
  auto s = pool->stats();
  CHECK(s.checkouts == 400);
  CHECK(s.connections <= 3);
  CHECK(s.in_use == 0);
}

TEST_CASE("pool: a transaction left open is rolled back on return") {
  auto pool = sqlite_pool("reset.sqlite3", {.size = 1});
  {
    auto lease = pool->lease();
    lease->execute("DROP TABLE IF EXISTS t; CREATE TABLE t (v INTEGER)");
    lease->execute("BEGIN");  // raw BEGIN, not through begin_transaction
    lease->execute("INSERT INTO t VALUES (1)");
    CHECK(lease->server_in_transaction());
  }
  auto lease = pool->lease();
  CHECK_FALSE(lease->server_in_transaction());
  CHECK(lease->execute("SELECT count(*) FROM t").scalar() == Value{std::int64_t{0}});
}

TEST_CASE("pool: reap closes connections idle past idle_timeout or older than max_lifetime") {
  auto pool = sqlite_pool("reap.sqlite3", {.size = 2,
                                           .idle_timeout = 50ms,
                                           .reaping_frequency = std::nullopt});
  {
    auto lease = pool->lease();
  }
  CHECK(pool->stats().idle == 1);
  CHECK(pool->reap() == 0);
  std::this_thread::sleep_for(80ms);
  CHECK(pool->reap() == 1);
  auto s = pool->stats();
  CHECK(s.connections == 0);
  CHECK(s.reaped == 1);
}

TEST_CASE("pool: the background reaper runs at reaping_frequency") {
  auto pool = sqlite_pool("reaper.sqlite3", {.size = 1, .idle_timeout = 20ms,
                                             .reaping_frequency = 30ms});
  { auto lease = pool->lease(); }
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (pool->stats().reaped == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  CHECK(pool->stats().reaped == 1);
}

TEST_CASE("pool: a connection that cannot be opened is reported and its slot freed") {
  DatabaseConfig bad("test", "broken",
                     {{"adapter", "sqlite3"}, {"database", "/nonexistent-dir/x/y.sqlite3"}}, "test");
  auto pool = ConnectionPool::create(bad, {"broken"}, PoolOptions{.size = 1});
  CHECK_THROWS_AS(pool->lease(), ConnectionNotEstablished);
  CHECK(pool->stats().connections == 0);
  CHECK_THROWS_AS(pool->lease(), ConnectionNotEstablished);  // not a timeout: the slot was freed
}

TEST_CASE("pool: leases outlive nothing they depend on") {
  Lease lease;
  {
    auto pool = sqlite_pool("lifetime.sqlite3", {.size = 1});
    lease = pool->lease();
  }  // the pool handle is gone; the lease keeps the pool alive
  CHECK(lease->execute("SELECT 1").size() == 1);
  lease.release();
  CHECK_FALSE(lease);
}

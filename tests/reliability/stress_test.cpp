// Stress on the real servers: many threads nesting role and shard switches at random while
// leasing connections. Each statement reports the backend it ran on (pid, port, recovery state):
// no backend may be held by two threads at once, and every statement must land on the server the
// thread's own scope names, never on one another thread chose.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "databases.hpp"
#include "switchyard/switchyard.hpp"

namespace sy = switchyard;

namespace {

const std::string kDb = "sy_rel_stress";

struct StressRecord : sy::Base<StressRecord> {
  static constexpr auto class_name = "StressRecord";
  static inline const auto connection = sy::connects_to_shards({
      {"one", {.writing = "one", .reading = "one_replica"}},
      {"two", {.writing = "two", .reading = "two_replica"}},
  });
};

nlohmann::ordered_json pg(const sy::test::PgServer& server, bool replica) {
  nlohmann::ordered_json s = {{"adapter", "postgresql"},
                              {"host", server.host},
                              {"port", server.port},
                              {"database", kDb},
                              {"username", sy::test::pg_user()},
                              {"password", sy::test::pg_password()},
                              {"pool", 4},
                              {"checkout_timeout", 30}};
  if (replica) s["replica"] = true;
  return s;
}

void establish() {
  static bool once = [] {
    sy::test::fresh_pg_database(kDb);
    return true;
  }();
  (void)once;
  using namespace sy::test;
  // Shard one: the primary and its standby. Shard two: the independent second primary, "read"
  // through a second pool on it (a replica: true config, so the session is read-only).
  nlohmann::ordered_json config;
  config["stress"] = {{"primary", pg(pg_primary(), false)},
                      {"one", pg(pg_primary(), false)},
                      {"one_replica", pg(pg_replica(), true)},
                      {"two", pg(pg_second(), false)},
                      {"two_replica", pg(pg_second(), true)}};
  sy::establish(sy::DatabaseConfigurations(config, "stress.json", "stress"), "stress");
}

struct Expected {
  int port;
  bool read_only;
};

Expected expected(const std::string& role, const std::string& shard) {
  const bool one = shard == "one";
  const auto server = one ? (role == sy::reading ? sy::test::pg_replica() : sy::test::pg_primary())
                          : sy::test::pg_second();
  return {server.port, role == sy::reading};
}

// Which thread holds which backend (server port, pid) right now.
class Holders {
 public:
  // False when another thread holds it.
  bool acquire(int port, std::int64_t pid, int thread) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = held_.try_emplace({port, pid}, Entry{thread, 0});
    if (!inserted && it->second.thread != thread) return false;
    ++it->second.depth;
    ++distinct_[{port, pid}];
    return true;
  }
  void release(int port, std::int64_t pid) {
    std::lock_guard lock(mutex_);
    auto it = held_.find({port, pid});
    if (it != held_.end() && --it->second.depth == 0) held_.erase(it);
  }
  std::size_t backends() const {
    std::lock_guard lock(mutex_);
    return distinct_.size();
  }

 private:
  struct Entry {
    int thread;
    int depth;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<int, std::int64_t>, Entry> held_;
  std::map<std::pair<int, std::int64_t>, int> distinct_;
};

struct Counters {
  std::atomic<int> statements{0}, wrong_server{0}, wrong_scope{0}, shared{0}, errors{0},
      max_depth{0};
};

class Worker {
 public:
  Worker(int id, Holders& holders, Counters& counters)
      : id_(id),
        rng_(static_cast<unsigned>(id) * 2654435761u + 7u),
        holders_(holders),
        counters_(counters) {}

  void run(int iterations) {
    for (int i = 0; i < iterations; ++i) {
      try {
        nest(1 + static_cast<int>(rng_() % 3));
      } catch (const std::exception& e) {
        ++counters_.errors;
        MESSAGE("thread " << id_ << ": " << std::string(e.what()));
      }
      if (!sy::connected_to_stack().empty()) ++counters_.wrong_scope;  // every scope popped
    }
  }

 private:
  // Opens `levels` nested scopes, checking and querying in each.
  void nest(int levels) {
    if (levels == 0) return;
    const std::string role = rng_() % 2 ? sy::reading : sy::writing;
    const std::string shard = rng_() % 2 ? "one" : "two";
    const bool global = rng_() % 3 == 0;  // on the base class instead of StressRecord
    auto body = [&] {
      if (sy::current_role(StressRecord::connection_class()) != role ||
          sy::current_shard(StressRecord::connection_class()) != shard)
        ++counters_.wrong_scope;
      check_statement(role, shard);
      nest(levels - 1);
      check_statement(role, shard);  // the inner scopes restored ours
    };
    sy::ConnectedToOptions options{.role = role, .shard = shard};
    if (global)
      sy::connected_to(options, body);
    else
      StressRecord::connected_to(options, body);
  }

  void check_statement(const std::string& role, const std::string& shard) {
    auto lease = StressRecord::lease_connection();
    auto r = lease->execute(
        "SELECT pg_backend_pid()::bigint AS pid, inet_server_port()::bigint AS port, "
        "current_setting('default_transaction_read_only') AS ro");
    const auto pid = std::get<std::int64_t>(r.at(0, "pid"));
    const int port = static_cast<int>(std::get<std::int64_t>(r.at(0, "port")));
    if (!holders_.acquire(port, pid, id_)) ++counters_.shared;
    const auto want = expected(role, shard);
    const bool ro = std::get<std::string>(r.at(0, "ro")) == "on";
    if (port != want.port || ro != want.read_only) ++counters_.wrong_server;
    // The same thread leasing again inside its scope gets the same connection.
    auto again = StressRecord::lease_connection();
    if (std::get<std::int64_t>(again->execute("SELECT pg_backend_pid()::bigint").scalar()) != pid)
      ++counters_.shared;
    std::this_thread::yield();
    holders_.release(port, pid);
    ++counters_.statements;
  }

  int id_;
  std::mt19937 rng_;
  Holders& holders_;
  Counters& counters_;
};

}  // namespace

TEST_CASE("stress (postgresql): 16 threads nest role and shard switches while leasing" * SY_PG) {
  establish();
  constexpr int kThreads = 16;
  constexpr int kIterations = 60;
  Holders holders;
  Counters counters;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] { Worker(t, holders, counters).run(kIterations); });
  for (auto& th : threads) th.join();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  MESSAGE("stress: " << kThreads << " threads x " << kIterations << " nested switch rounds, "
                     << counters.statements.load() << " checked statements on "
                     << holders.backends() << " backends in " << ms << " ms; shared: "
                     << counters.shared.load() << ", wrong server: " << counters.wrong_server.load()
                     << ", wrong scope: " << counters.wrong_scope.load()
                     << ", errors: " << counters.errors.load());
  CHECK(counters.statements.load() >= kThreads * kIterations * 2);
  CHECK(counters.shared == 0);
  CHECK(counters.wrong_server == 0);
  CHECK(counters.wrong_scope == 0);
  CHECK(counters.errors == 0);
  // Four pools (two shards x two roles), at most `pool` connections each.
  CHECK(holders.backends() <= 4 * 4);
  CHECK(sy::connected_to_stack().empty());
}

// Per-thread scopes: no leaks across threads, a stress run of many threads switching and leasing,
// and carrying a scope into another thread with capture_context / with_context / bind_context.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <future>
#include <queue>
#include <random>
#include <thread>

#include "fixtures.hpp"
#include "switchyard/context/context_snapshot.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/test_helpers.hpp"

using namespace ctx_test;
namespace sy = switchyard;

namespace {
struct SqliteFixture {
  SqliteFixture() { establish_sqlite(); }
  ~SqliteFixture() { sy::clear_connected_to_stack(); }
};
std::string db_of(const sy::ConnectionClass& k) { return sy::lease_connection(k)->identity().database; }
}  // namespace

TEST_CASE_FIXTURE(SqliteFixture, "threads: a scope on one thread is invisible on another") {
  std::promise<void> entered, done;
  std::thread reader([&] {
    sy::connected_to({.role = sy::reading}, [&] {
      CHECK(sy::current_role(dog()) == "reading");
      entered.set_value();
      done.get_future().wait();
    });
  });
  entered.get_future().wait();
  CHECK(sy::current_role(dog()) == "writing");
  CHECK(sy::connected_to_stack().empty());
  CHECK(db_of(dog()) == "animals");
  done.set_value();
  reader.join();
}

TEST_CASE_FIXTURE(SqliteFixture, "threads: stress — many threads switching roles and shards while leasing") {
  constexpr int kThreads = 16;
  constexpr int kIterations = 150;
  std::atomic<int> mismatches{0}, statements{0};
  sy::test::QueryRecorder recorder;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1);
      for (int i = 0; i < kIterations; ++i) {
        const bool read = rng() % 2;
        const bool shard_two = rng() % 2;
        const bool global = rng() % 3 == 0;
        const std::string role = read ? sy::reading : sy::writing;
        const std::string shard = shard_two ? "shard_two" : "shard_one";
        auto body = [&] {
          // nested: the sharded class picks its shard; animals follows the outer role.
          sy::connected_to(sharded(), {.shard = shard}, [&] {
            const std::string expect_shard = shard + (read ? "_replica" : "");
            const std::string expect_dog = read ? "animals_replica" : "animals";
            auto r1 = sy::lease_connection(sharded());
            if (r1->identity().database != expect_shard) ++mismatches;
            r1.release();
            if (db_of(dog()) != expect_dog) ++mismatches;
            sy::execute(dog(), "SELECT 1", {});
            sy::execute(sharded(), "SELECT 2", {});
            statements += 2;
            if (read && !sy::current_preventing_writes(dog())) ++mismatches;
            if (!read && sy::current_preventing_writes(dog())) ++mismatches;
          });
        };
        if (global) {
          sy::connected_to({.role = role}, body);
        } else {
          sy::connected_to_many({&animals(), &sharded()}, {.role = role}, body);
        }
        if (!sy::connected_to_stack().empty()) ++mismatches;
        std::this_thread::yield();
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches.load() == 0);
  CHECK(statements.load() == kThreads * kIterations * 2);
  // Every statement ran where its thread's scope said: only these pairs were touched.
  auto touched = recorder.touched();
  CHECK(touched == sy::test::to_touches({{"animals", "writing"},
                                         {"animals_replica", "reading"},
                                         {"shard_one", "writing"},
                                         {"shard_one_replica", "reading"},
                                         {"shard_two", "writing"},
                                         {"shard_two_replica", "reading"}}));
  for (const auto& r : recorder.queries()) {
    const bool replica = r.database.find("_replica") != std::string::npos;
    if (replica != (r.role == "reading")) FAIL("statement on " << r.database << " with role " << r.role);
  }
}

TEST_CASE_FIXTURE(SqliteFixture, "background work: bind_context carries the scope to another thread") {
  std::function<std::string()> job;
  sy::connected_to(animals(), {.role = sy::reading}, [&] {
    job = sy::bind_context([] { return db_of(dog()); });
  });
  // Without the snapshot a thread starts with no scope.
  std::string plain, bound;
  std::thread([&] { plain = db_of(dog()); }).join();
  std::thread([&] {
    bound = job();
    CHECK(sy::connected_to_stack().empty());  // restored after the job
  }).join();
  CHECK(plain == "animals");
  CHECK(bound == "animals_replica");
  // Running it here also applies the captured scope, then restores ours.
  sy::connected_to(animals(), {.role = sy::writing}, [&] {
    CHECK(job() == "animals_replica");
    CHECK(db_of(dog()) == "animals");
  });
}

TEST_CASE_FIXTURE(SqliteFixture, "background work: a task queue of snapshots; prevent_writes and shard lock carried") {
  std::queue<std::function<void()>> queue;
  std::vector<std::string> log;
  std::mutex log_mutex;
  auto note = [&](std::string s) {
    std::lock_guard lock(log_mutex);
    log.push_back(std::move(s));
  };
  sy::connected_to(sharded(), {.role = sy::writing, .shard = "shard_two", .prevent_writes = true}, [&] {
    sy::prohibit_shard_swapping([&] {
      queue.push(sy::bind_context([&] {
        note(db_of(sharded()));
        try {
          sy::execute(sharded(), "INSERT INTO t VALUES ('bg')", {});
          note("written");
        } catch (const sy::ReadOnlyError&) {
          note("refused");
        }
        try {
          sy::connected_to(sharded(), {.shard = "shard_one"}, [] {});
        } catch (const sy::ArgumentError&) {
          note("locked");
        }
      }));
    });
  });
  std::thread worker([&] {
    while (!queue.empty()) {
      queue.front()();
      queue.pop();
    }
    CHECK_FALSE(sy::shard_swapping_prohibited());
  });
  worker.join();
  CHECK(log == std::vector<std::string>{"shard_two", "refused", "locked"});
}

TEST_CASE_FIXTURE(SqliteFixture, "background work: with_context and exceptions; WAL tokens travel") {
  sy::ContextSnapshot snap;
  {
    sy::ConnectedToScope scope(meow(), {.role = sy::reading});
    sy::WalTokensScope tokens({});
    sy::record_wal_token({{42, 1}, 0x1000});
    snap = sy::capture_context();
  }
  CHECK(sy::current_wal_tokens().empty());
  CHECK(snap.frames.size() == 1);
  CHECK(snap.wal_tokens.find(42) != nullptr);
  std::thread([&] {
    sy::with_context(snap, [] {
      CHECK(sy::current_role(cat()) == "reading");
      REQUIRE(sy::current_wal_tokens().find(42) != nullptr);
      CHECK(sy::current_wal_tokens().find(42)->lsn == 0x1000);
    });
    CHECK_THROWS_AS(sy::with_context(snap, []() -> int { throw std::runtime_error("job failed"); }),
                    std::runtime_error);
    CHECK(sy::connected_to_stack().empty());
    CHECK(sy::current_wal_tokens().empty());
  }).join();
}

TEST_CASE("WAL tokens: merge, serialize, parse") {
  sy::WalTokens t;
  t.merge({{7, 1}, 0x10});
  t.merge({{7, 1}, 0x08});  // older position on the same timeline: kept the larger
  t.merge({{9, 3}, 0x2000000FF});
  CHECK(t.size() == 2);
  CHECK(t.find(7)->lsn == 0x10);
  t.merge({{7, 2}, 0x01});  // newer timeline replaces
  CHECK(t.find(7)->cluster.timeline_id == 2);
  CHECK(t.find(7)->lsn == 0x01);
  t.merge({{7, 1}, 0xFFFF});  // older timeline ignored
  CHECK(t.find(7)->lsn == 0x01);
  CHECK(t.serialize() == "7:2:0/1,9:3:2/FF");
  auto back = sy::WalTokens::parse(t.serialize());
  REQUIRE(back);
  CHECK(*back == t);
  CHECK(sy::WalTokens::parse("")->empty());
  CHECK_FALSE(sy::WalTokens::parse("7:2"));
  CHECK_FALSE(sy::WalTokens::parse("7:2:zz/1"));
  CHECK_FALSE(sy::WalTokens::parse("x:2:0/1"));
  CHECK(sy::parse_lsn("16/B374D848") == (std::uint64_t{0x16} << 32 | 0xB374D848));
  CHECK(sy::format_lsn(std::uint64_t{0x16} << 32 | 0xB374D848) == "16/B374D848");
  CHECK_FALSE(sy::parse_lsn("16B374D848"));
  CHECK_FALSE(sy::parse_lsn("1/"));
}

// Role and shard switching: the spec's granular, nested, global and shard scenarios, prevent_writes
// resolution, every error text, and the Rails traps switchyard does not reproduce.
#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/test_helpers.hpp"

using namespace ctx_test;
namespace sy = switchyard;

namespace {

// Where a statement from `k` would run now.
std::string db_of(const sy::ConnectionClass& k) { return sy::lease_connection(k)->identity().database; }

struct SqliteFixture {
  SqliteFixture() { establish_sqlite(); }
  ~SqliteFixture() { sy::clear_connected_to_stack(); }
};

const sy::ConnectedToOptions kReading{.role = sy::reading};
const sy::ConnectedToOptions kWriting{.role = sy::writing};

}  // namespace

TEST_CASE_FIXTURE(SqliteFixture, "defaults: writing role, each class's first shard, writes allowed") {
  CHECK(sy::current_role(dog()) == "writing");
  CHECK(sy::current_shard(dog()) == "default");
  CHECK(sy::current_shard(sharded()) == "shard_one");
  CHECK_FALSE(sy::current_preventing_writes(dog()));
  CHECK(db_of(dog()) == "animals");
  CHECK(db_of(base()) == "primary");
  CHECK(db_of(sharded()) == "shard_one");
  CHECK(sy::connected_to_stack().empty());
}

TEST_CASE_FIXTURE(SqliteFixture, "granular: a connection class's frame applies to its models only") {
  sy::connected_to(animals(), kReading, [] {
    CHECK(sy::current_role(dog()) == "reading");
    CHECK(sy::current_role(animals()) == "reading");
    CHECK(sy::current_role(cat()) == "writing");
    CHECK(sy::current_role(base()) == "writing");
    CHECK(sy::current_preventing_writes(dog()));
    CHECK_FALSE(sy::current_preventing_writes(cat()));
    CHECK(db_of(dog()) == "animals_replica");
    CHECK(db_of(cat()) == "meow");
    CHECK_TOUCHED_EXACTLY({{"animals_replica", "reading"}, {"meow", "writing"}}, [] {
      sy::execute(dog(), "SELECT count(*) FROM t", {});
      sy::execute(cat(), "SELECT count(*) FROM t", {});
    });
  });
  CHECK(sy::current_role(dog()) == "writing");
  CHECK(sy::connected_to_stack().empty());
}

TEST_CASE_FIXTURE(SqliteFixture, "global: a frame on the base class applies to every class") {
  sy::connected_to(kReading, [] {
    CHECK(sy::current_role(dog()) == "reading");
    CHECK(sy::current_role(cat()) == "reading");
    CHECK(sy::current_role(sharded()) == "reading");
    CHECK(db_of(sharded()) == "shard_one_replica");
    CHECK_TOUCHED_EXACTLY({{"animals_replica", "reading"}, {"meow_replica", "reading"}}, [] {
      sy::execute(dog(), "SELECT 1", {});
      sy::execute(cat(), "SELECT 1", {});
    });
  });
}

TEST_CASE_FIXTURE(SqliteFixture, "nested: the newest applicable frame wins; exits restore exactly") {
  sy::connected_to(kReading, [] {
    sy::connected_to(animals(), kWriting, [] {
      CHECK(sy::current_role(dog()) == "writing");
      CHECK_FALSE(sy::current_preventing_writes(dog()));
      CHECK(sy::current_role(cat()) == "reading");
      sy::connected_to(kReading, [] {  // a newer global frame overrides the class frame
        CHECK(sy::current_role(dog()) == "reading");
      });
      CHECK(sy::current_role(dog()) == "writing");
    });
    CHECK(sy::current_role(dog()) == "reading");
    CHECK(sy::connected_to_stack().size() == 1);
  });
  CHECK(sy::connected_to_stack().empty());
}

TEST_CASE_FIXTURE(SqliteFixture, "role, shard and prevent_writes resolve independently") {
  sy::connected_to(sharded(), kReading, [] {
    sy::connected_to(sharded(), {.shard = "shard_two"}, [] {
      CHECK(sy::current_role(sharded()) == "reading");  // inherited from the outer frame
      CHECK(sy::current_shard(sharded()) == "shard_two");
      CHECK(sy::current_preventing_writes(sharded()));
      CHECK(db_of(sharded()) == "shard_two_replica");
    });
    CHECK(sy::current_shard(sharded()) == "shard_one");
  });
  // A shard-only frame does not reset prevent_writes (Rails' shard-only frame carries
  // prevent_writes: false and would re-allow writes on the primary here).
  sy::connected_to({.role = sy::writing, .prevent_writes = true}, [] {
    sy::connected_to(sharded(), {.shard = "shard_two"}, [] {
      CHECK(sy::current_preventing_writes(sharded()));
      CHECK(db_of(sharded()) == "shard_two");
    });
  });
}

TEST_CASE_FIXTURE(SqliteFixture, "prevent_writes: forced by reading; refused writes are never sent") {
  sy::connected_to({.role = sy::reading, .prevent_writes = false}, [] {
    CHECK(sy::current_preventing_writes(dog()));  // explicit false ignored, as in Rails
  });
  sy::test::QueryRecorder recorder;
  sy::connected_to({.role = sy::writing, .prevent_writes = true}, [] {
    CHECK(db_of(dog()) == "animals");
    CHECK_THROWS_WITH_AS(sy::execute(dog(), "INSERT INTO t VALUES ('x')", {}),
                         "Write query attempted while in readonly mode: INSERT INTO t VALUES ('x')",
                         sy::ReadOnlyError);
    CHECK(sy::execute(dog(), "SELECT count(*) FROM t", {}).scalar() == sy::Value{std::int64_t{0}});
  });
  CHECK_FALSE(recorder.sent("INSERT INTO t VALUES ('x')"));
  CHECK(recorder.sent("SELECT count(*) FROM t"));
  // Writing again outside: allowed.
  sy::execute(dog(), "INSERT INTO t VALUES ('y')", {});
  CHECK(recorder.sent("INSERT INTO t VALUES ('y')"));
}

TEST_CASE_FIXTURE(SqliteFixture, "a reading pool refuses writes even through a lease kept past its scope") {
  sy::Lease kept = sy::connected_to(animals(), kReading, [] { return sy::lease_connection(dog()); });
  CHECK(sy::current_role(dog()) == "writing");
  CHECK_THROWS_AS(kept->execute("DELETE FROM t"), sy::ReadOnlyError);
}

TEST_CASE_FIXTURE(SqliteFixture, "an exception restores the stack and the prohibition flag") {
  CHECK_THROWS_AS(sy::connected_to(kReading,
                                   [] {
                                     sy::prohibit_shard_swapping([] {
                                       sy::connected_to(animals(), kWriting,
                                                        []() -> int { throw std::runtime_error("boom"); });
                                     });
                                   }),
                  std::runtime_error);
  CHECK(sy::connected_to_stack().empty());
  CHECK_FALSE(sy::shard_swapping_prohibited());
}

TEST_CASE_FIXTURE(SqliteFixture, "connected_to errors (exact texts)") {
  CHECK_THROWS_WITH_AS(sy::connected_to(dog(), kReading, [] {}),
                       "calling `connected_to` is only allowed on ActiveRecord::Base or abstract classes.",
                       sy::NotImplementedError);
  CHECK_THROWS_WITH_AS(
      sy::connected_to(loose(), kReading, [] {}),
      "calling `connected_to` is only allowed on the abstract class that established the connection.",
      sy::NotImplementedError);
  CHECK_THROWS_WITH_AS(sy::connected_to(animals(), {}, [] {}), "must provide a `shard` and/or `role`.",
                       sy::ArgumentError);
  CHECK_THROWS_WITH_AS(sy::connected_to({.prevent_writes = true}, [] {}),
                       "must provide a `shard` and/or `role`.", sy::ArgumentError);
  CHECK(sy::connected_to_stack().empty());
}

TEST_CASE_FIXTURE(SqliteFixture, "missing pools: Rails' ConnectionNotEstablished messages") {
  sy::connected_to(kReading, [] {
    CHECK_THROWS_WITH_AS(sy::execute(writer_only(), "SELECT 1", {}),
                         "No connection pool for 'WriterOnlyRecord' found for the 'reading' role.",
                         sy::ConnectionNotEstablished);
  });
  sy::connected_to(animals(), {.shard = "nope"}, [] {
    CHECK_THROWS_WITH_AS(sy::execute(dog(), "SELECT 1", {}),
                         "No connection pool for 'AnimalsRecord' found for the 'nope' shard.",
                         sy::ConnectionNotEstablished);
  });
}

TEST_CASE_FIXTURE(SqliteFixture, "shard swapping: prohibited inside, role switches allowed, caller's frame kept") {
  sy::connected_to(sharded(), {.role = sy::reading, .shard = "shard_two"}, [] {
    sy::prohibit_shard_swapping([] {
      CHECK(sy::shard_swapping_prohibited());
      const auto before = sy::connected_to_stack().size();
      CHECK_THROWS_WITH_AS(sy::connected_to(sharded(), {.shard = "shard_one"}, [] {}),
                           "cannot swap `shard` while shard swapping is prohibited.", sy::ArgumentError);
      // Even re-selecting the current shard is a swap (as in Rails).
      CHECK_THROWS_AS(sy::connected_to(sharded(), {.role = sy::writing, .shard = "shard_two"}, [] {}),
                      sy::ArgumentError);
      CHECK_THROWS_AS(sy::connecting_to(sharded(), {.role = sy::writing}), sy::ArgumentError);
      CHECK_THROWS_AS(sy::connected_to_many({&sharded()}, {.role = sy::writing, .shard = "shard_two"}, [] {}),
                      sy::ArgumentError);
      // Rails 7.1/7.2.0 popped the caller's frame here; the caller's scope is intact.
      CHECK(sy::connected_to_stack().size() == before);
      CHECK(sy::current_shard(sharded()) == "shard_two");
      CHECK(sy::current_role(sharded()) == "reading");
      sy::connected_to(sharded(), kWriting, [] {  // role-only switch: fine
        CHECK(db_of(sharded()) == "shard_two");
      });
      sy::prohibit_shard_swapping(false, [] {
        CHECK_FALSE(sy::shard_swapping_prohibited());
        sy::connected_to(sharded(), {.shard = "shard_one"}, [] { CHECK(db_of(sharded()) == "shard_one_replica"); });
      });
      CHECK(sy::shard_swapping_prohibited());
    });
    CHECK_FALSE(sy::shard_swapping_prohibited());
  });
}

TEST_CASE_FIXTURE(SqliteFixture, "connected_to_many: one frame for several classes, on the base only") {
  sy::connected_to_many({&animals(), &meow()}, kReading, [] {
    CHECK(sy::current_role(dog()) == "reading");
    CHECK(sy::current_role(cat()) == "reading");
    CHECK(sy::current_role(base()) == "writing");
    CHECK(sy::current_role(sharded()) == "writing");
    CHECK(sy::current_preventing_writes(cat()));
  });
  CHECK_THROWS_WITH_AS(sy::connected_to_many(animals(), {&meow()}, kReading, [] {}),
                       "connected_to_many can only be called on ActiveRecord::Base.",
                       sy::NotImplementedError);
  CHECK_THROWS_WITH_AS(sy::connected_to_many({&animals(), &base()}, kReading, [] {}),
                       "connected_to_many can only be called on ActiveRecord::Base.",
                       sy::NotImplementedError);
  CHECK_THROWS_WITH_AS(sy::connected_to_many({&animals()}, {.shard = "default"}, [] {}),
                       "missing keyword: :role", sy::ArgumentError);
  CHECK_THROWS_AS(sy::connected_to_many({&dog()}, kReading, [] {}), sy::ArgumentError);
  {
    sy::ConnectedToManyScope scope({&meow()}, {.role = sy::reading, .prevent_writes = false});
    CHECK(sy::current_preventing_writes(cat()));
  }
  CHECK(sy::connected_to_stack().empty());
}

TEST_CASE_FIXTURE(SqliteFixture, "connecting_to: pushes without popping; an enclosing scope drops it") {
  sy::connecting_to(animals(), kReading);
  CHECK(sy::current_role(dog()) == "reading");
  CHECK(sy::current_shard(dog()) == "default");
  CHECK(sy::current_preventing_writes(dog()));
  sy::connecting_to(sharded());  // defaults: writing, the class's first shard
  CHECK(sy::connected_to_stack().back().shard == "shard_one");
  CHECK(sy::connected_to_stack().back().role == "writing");
  CHECK(sy::connected_to_stack().size() == 2);
  sy::connected_to(meow(), kReading, [] { sy::connecting_to(kWriting); });
  CHECK(sy::connected_to_stack().size() == 2);  // Rails would keep the inner frame and lose meow's
  CHECK(sy::current_role(cat()) == "writing");
  CHECK_THROWS_AS(sy::connecting_to(dog(), kReading), sy::NotImplementedError);
  sy::clear_connected_to_stack();
  CHECK(sy::current_role(dog()) == "writing");
}

TEST_CASE_FIXTURE(SqliteFixture, "while_preventing_writes: global, and it keeps every class's role") {
  sy::while_preventing_writes([] {
    CHECK(sy::current_preventing_writes(dog()));
    CHECK(sy::current_preventing_writes(base()));
    CHECK(sy::current_role(dog()) == "writing");
    CHECK_THROWS_AS(sy::execute(base(), "INSERT INTO t VALUES ('a')", {}), sy::ReadOnlyError);
  });
  CHECK_FALSE(sy::current_preventing_writes(dog()));
  // Rails pushes {role: writing, klasses: [Base]} here and moves Dog back to the primary.
  sy::connected_to(animals(), kReading, [] {
    sy::while_preventing_writes([] {
      CHECK(sy::current_role(dog()) == "reading");
      CHECK(db_of(dog()) == "animals_replica");
    });
    // Allowing writes cannot open a reading connection class.
    sy::while_preventing_writes(false, [] {
      CHECK(sy::current_role(dog()) == "reading");
      CHECK(sy::current_preventing_writes(dog()));
      CHECK_FALSE(sy::current_preventing_writes(cat()));
    });
  });
  // ... but it lifts a prevent_writes on the writing role.
  sy::connected_to({.role = sy::writing, .prevent_writes = true}, [] {
    sy::while_preventing_writes(false, [] {
      CHECK_FALSE(sy::current_preventing_writes(dog()));
      sy::execute(dog(), "INSERT INTO t VALUES ('w')", {});
    });
    CHECK(sy::current_preventing_writes(dog()));
  });
  // On one connection class only.
  sy::while_preventing_writes(meow(), true, [] {
    CHECK(sy::current_preventing_writes(cat()));
    CHECK_FALSE(sy::current_preventing_writes(dog()));
  });
  {
    sy::WhilePreventingWritesScope scope;
    CHECK(sy::current_preventing_writes(cat()));
  }
  CHECK_FALSE(sy::current_preventing_writes(cat()));
}

TEST_CASE_FIXTURE(SqliteFixture, "connected_to?: role and the receiver's own default shard") {
  CHECK(sy::is_connected_to(animals(), "writing"));
  CHECK(sy::is_connected_to(animals(), "writing", "default"));
  CHECK_FALSE(sy::is_connected_to(animals(), "reading"));
  // Rails compares Base's default shard and answers false here.
  CHECK(sy::is_connected_to(sharded(), "writing"));
  CHECK_FALSE(sy::is_connected_to(sharded(), "writing", "default"));
  sy::connected_to(sharded(), {.role = sy::reading, .shard = "shard_two"}, [] {
    CHECK(sy::is_connected_to(sharded(), "reading", "shard_two"));
    CHECK_FALSE(sy::is_connected_to(sharded(), "reading"));
    CHECK(sy::is_connected_to(animals(), "writing"));
  });
}

TEST_CASE_FIXTURE(SqliteFixture, "RAII scope forms") {
  {
    sy::ConnectedToScope reading(animals(), kReading);
    CHECK(db_of(dog()) == "animals_replica");
    {
      sy::ProhibitShardSwappingScope lock;
      CHECK(sy::shard_swapping_prohibited());
      sy::ConnectedToScope writing(animals(), kWriting);
      CHECK(db_of(dog()) == "animals");
    }
    CHECK_FALSE(sy::shard_swapping_prohibited());
    CHECK(db_of(dog()) == "animals_replica");
  }
  CHECK(sy::connected_to_stack().empty());
}

namespace {
// Stands in for a lazy relation: runs its query when loaded.
struct LazyQuery {
  std::string loaded_on;
  int value = 0;
  bool loaded() const { return !loaded_on.empty(); }
  void load() {
    loaded_on = sy::lease_connection(dog())->identity().database;
    value = static_cast<int>(std::get<std::int64_t>(sy::execute(dog(), "SELECT 7", {}).scalar()));
  }
};
}  // namespace

TEST_CASE_FIXTURE(SqliteFixture, "a lazy result returned from a scope is loaded inside it") {
  LazyQuery q = sy::connected_to(animals(), kReading, [] { return LazyQuery{}; });
  CHECK(q.loaded_on == "animals_replica");
  CHECK(q.value == 7);
  // References are returned as is (nothing to load).
  static LazyQuery shared;
  LazyQuery& ref = sy::connected_to(animals(), kReading, []() -> LazyQuery& { return shared; });
  CHECK(&ref == &shared);
  CHECK(shared.loaded_on.empty());
  // A lazy query that caches nothing cannot leave the scope unloaded (compile-time check).
  struct Unloaded {
    using lazy_query_tag = void;
  };
  static_assert(sy::detail::LazyQuery<Unloaded>);
  static_assert(!sy::detail::LoadsInScope<Unloaded>);
  static_assert(sy::detail::LoadsInScope<LazyQuery>);
}

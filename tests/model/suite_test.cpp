// The model suite: every case runs against SQLite files and against PostgreSQL (primary, the
// hot standby for the reading role, and the independent second primary for shard_two).
#include <doctest/doctest.h>

#include <mutex>

#include "test_models.hpp"

using namespace switchyard;
using namespace model_test;

namespace {

// Records the SQL sent while alive.
struct SqlLog {
  std::vector<std::string> sql;
  std::vector<std::string> names;
  std::vector<bool> cached;
  std::vector<std::string> databases;
  instrument::Subscription sub{instrument::SqlSubscriber([this](const instrument::SqlEvent& e) {
    sql.emplace_back(e.sql);
    names.emplace_back(e.name);
    cached.push_back(e.cached);
    databases.emplace_back(e.database);
  })};
  std::size_t count_containing(std::string_view text) const {
    std::size_t n = 0;
    for (const auto& s : sql)
      if (s.find(text) != std::string::npos) ++n;
    return n;
  }
};

// Events emitted while alive (callback errors, ...).
struct EventLog {
  std::vector<instrument::Event> events;
  instrument::Subscription sub{instrument::EventSubscriber([this](const instrument::Event& e) {
    events.push_back(e);
  })};
};

Clock::time_point at(const char* text) { return Clock::time_point(*parse_timestamp(text)); }

}  // namespace

MODEL_CASE("create, find and the values of every field type round-trip") {
  Owner o{.name = "Ada", .email = "ada@example.com", .active = false, .score = 2.5,
          .prefs = {{"theme", "dark"}, {"n", 3}}};
  CHECK(o.new_record());
  o.save_or_throw();
  CHECK(o.persisted());
  CHECK(o.id > 0);
  CHECK(o.created_at.time_since_epoch().count() != 0);
  CHECK(o.updated_at == o.created_at);

  Owner found = Owner::find(o.id);
  CHECK(found.persisted());
  CHECK(found.name == "Ada");
  CHECK(found.email == std::optional<std::string>("ada@example.com"));
  CHECK(found.active == false);
  CHECK(found.score == 2.5);
  CHECK(found.prefs == nlohmann::json{{"theme", "dark"}, {"n", 3}});
  CHECK(found.created_at == o.created_at);  // microseconds survive timestamptz and text
  CHECK(found.updated_at == o.updated_at);  // and timestamp without time zone
  CHECK_FALSE(found.changed());

  auto rex = Dog::create({.name = "Rex", .age = 3, .born_at = at("2019-03-04 05:06:07.080910"),
                          .tags = {"good", "boy"}});
  auto again = Dog::find(rex.id);
  CHECK(again.age == 3);
  CHECK(again.born_at == at("2019-03-04 05:06:07.080910"));
  CHECK(again.tags == nlohmann::json{"good", "boy"});
  CHECK(again.good);
  CHECK(again.created_at.has_value());
  auto nameless = Dog::create({.name = "Nobody"});
  CHECK_FALSE(Dog::find(nameless.id).age.has_value());
  CHECK_FALSE(Dog::find(nameless.id).born_at.has_value());
}

MODEL_CASE("find raises RecordNotFound with Rails' message; find_by returns nullopt") {
  try {
    Dog::find(987654);
    FAIL("no exception");
  } catch (const RecordNotFound& e) {
    CHECK(std::string(e.what()) == "Couldn't find Dog with 'id'=987654");
    CHECK(e.model() == "Dog");
    CHECK(e.id() == "987654");
  }
  CHECK_FALSE(Dog::find_by(&Dog::name, "Nobody"));
  Dog::create({.name = "Rex", .age = 3});
  auto rex = Dog::find_by(&Dog::name, "Rex");
  REQUIRE(rex);
  CHECK(rex->age == 3);
  CHECK(Dog::find_by("age = ?", 3)->name == "Rex");
  CHECK(Dog::find_by({{"name", "Rex"}})->age == 3);
  CHECK(Dog::exists(rex->id));
  CHECK_FALSE(Dog::exists(rex->id + 1000));
}

MODEL_CASE("save updates only the changed columns, and nothing when unchanged") {
  auto rex = Dog::create({.name = "Rex", .age = 3});
  const auto created = rex.updated_at;
  {
    // Dog has save callbacks, so its saves run in a transaction: BEGIN/COMMIT, but no UPDATE.
    SqlLog log;
    CHECK(rex.save());
    CHECK(log.count_containing("UPDATE") == 0);
    CHECK(log.sql.size() == 2);
  }
  {
    // Toy has no callbacks: an unchanged save sends nothing at all.
    auto toy = Toy::create({.dog_id = 1, .label = "ball"});
    SqlLog log;
    CHECK(toy.save());
    CHECK(log.sql.empty());
  }
  rex.age = 4;
  CHECK(rex.changed());
  CHECK(rex.changed_columns() == std::vector<std::string>{"age"});
  CHECK(rex.attribute_changed(&Dog::age));
  CHECK_FALSE(rex.attribute_changed(&Dog::name));
  CHECK(rex.attribute_was("age") == Value{std::int64_t{3}});
  SqlLog log;
  CHECK(rex.save());
  REQUIRE(log.count_containing("UPDATE") == 1);
  std::string update;
  for (const auto& s : log.sql)
    if (s.starts_with("UPDATE")) update = s;
  CHECK(update == R"(UPDATE "dogs" SET "age" = $1, "updated_at" = $2 WHERE "id" = $3)");
  CHECK_FALSE(rex.changed());
  CHECK(rex.updated_at >= created);
  auto fresh = Dog::find(rex.id);
  CHECK(fresh.age == 4);
  CHECK(fresh.name == "Rex");
}

MODEL_CASE("update, reload, destroy") {
  auto rex = Dog::create({.name = "Rex", .age = 3});
  CHECK(rex.update({{"age", 5}}));
  CHECK(Dog::find(rex.id).age == 5);
  CHECK(rex.update([](Dog& d) { d.name = "Rex II"; }));
  CHECK(Dog::find(rex.id).name == "Rex II");
  CHECK_FALSE(rex.update({{"name", ""}}));  // invalid: not saved
  CHECK(rex.errors().on("name") == std::vector<std::string>{"can't be blank"});
  rex.reload();
  CHECK(rex.name == "Rex II");
  CHECK_FALSE(rex.changed());
  CHECK(rex.errors().empty());

  Dog::where(&Dog::id, rex.id).update_all({{"age", 9}});
  CHECK(rex.age == 5);
  rex.reload();
  CHECK(rex.age == 9);

  CHECK(rex.destroy());
  CHECK(rex.destroyed());
  CHECK_FALSE(rex.persisted());
  CHECK_FALSE(Dog::exists(rex.id));
  CHECK_THROWS_AS(rex.reload(), RecordNotFound);
  CHECK_THROWS_AS(rex.save(), Error);
}

MODEL_CASE("query builder: where forms, order, limit, offset, first, last, take") {
  for (auto [name, age] : {std::pair{"Rex", 3}, {"Fido", 5}, {"Ace", 1}, {"Bolt", 5}})
    Dog::create({.name = name, .age = age});
  Dog::create({.name = "Ghost"});  // age NULL

  auto names = [](const std::vector<Dog>& dogs) {
    std::vector<std::string> out;
    for (const auto& d : dogs) out.push_back(d.name);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(names(Dog::where("age > ?", 2).order("name").all()) == V{"Bolt", "Fido", "Rex"});
  CHECK(names(Dog::where(&Dog::age, 5).order("name DESC").all()) == V{"Fido", "Bolt"});
  CHECK(names(Dog::where(&Dog::age, std::vector<int>{1, 3}).order(&Dog::name).all()) == V{"Ace", "Rex"});
  CHECK(names(Dog::where(&Dog::age, std::nullopt).all()) == V{"Ghost"});
  CHECK(names(Dog::where({{"age", 5}, {"name", "Bolt"}}).all()) == V{"Bolt"});
  CHECK(names(Dog::where(&Dog::age, ">=", 3).where_not(&Dog::name, "Rex").order("name").all()) ==
        V{"Bolt", "Fido"});
  CHECK(names(Dog::where_not({{"age", nullptr}}).order("age DESC").order("name").limit(2).all()) ==
        V{"Bolt", "Fido"});
  CHECK(names(Dog::query().order("name").limit(2).offset(1).all()) == V{"Bolt", "Fido"});
  CHECK(names(Dog::query().order("name").offset(3).all()) == V{"Ghost", "Rex"});
  CHECK(names(Dog::query().order("LOWER(name) DESC").limit(1).all()) == V{"Rex"});
  CHECK(Dog::first()->name == "Rex");  // by primary key
  CHECK(Dog::last()->name == "Ghost");
  CHECK(Dog::order("name").first()->name == "Ace");
  CHECK(Dog::order("name").last()->name == "Rex");
  CHECK_THROWS_AS(Dog::order("LOWER(name)").last(), IrreversibleOrderError);
  CHECK(Dog::where("name = ?", "Nobody").first() == std::nullopt);
  CHECK_THROWS_WITH_AS(Dog::where("name = ?", "Nobody").first_or_throw(), "Couldn't find Dog", RecordNotFound);
  CHECK(Dog::where(&Dog::name, "Ace").take()->age == 1);
  // A value with a quote is bound, never spliced.
  CHECK(Dog::where("name = ?", "x' OR '1'='1").count() == 0);
}

MODEL_CASE("count, exists, pluck, select, group, distinct, ids") {
  for (auto [name, age] : {std::pair{"Rex", 3}, {"Fido", 5}, {"Ace", 1}, {"Bolt", 5}})
    Dog::create({.name = name, .age = age});
  CHECK(Dog::count() == 4);
  CHECK(Dog::where("age > ?", 2).count() == 3);
  CHECK(Dog::query().limit(2).count() == 2);
  CHECK(Dog::exists());
  CHECK_FALSE(Dog::where(&Dog::name, "Zed").exists());
  CHECK(Dog::order("name").pluck(&Dog::name) == std::vector<std::string>{"Ace", "Bolt", "Fido", "Rex"});
  auto pairs = Dog::order("name").limit(2).pluck(&Dog::name, &Dog::age);
  REQUIRE(pairs.size() == 2);
  CHECK(pairs[0] == std::tuple<std::string, std::optional<int>>{"Ace", 1});
  auto ages = Dog::order("age").distinct().pluck(&Dog::age);
  CHECK(ages == std::vector<std::optional<int>>{1, 3, 5});
  CHECK(Dog::query().distinct().select(&Dog::age).count() == 3);
  auto totals = Dog::pluck("SUM(age)");
  REQUIRE(totals.size() == 1);
  CHECK(field_traits<int>::from_value(totals[0]) == 14);
  auto grouped = Dog::group(&Dog::age).grouped_count();
  CHECK(grouped.at(Value{std::int64_t{5}}) == 2);
  CHECK(grouped.at(Value{std::int64_t{1}}) == 1);
  CHECK_THROWS_AS(Dog::group(&Dog::age).count(), ArgumentError);
  // Partial selects leave the other fields at their defaults.
  auto partial = Dog::select(&Dog::id, &Dog::name).order("name").first();
  REQUIRE(partial);
  CHECK(partial->name == "Ace");
  CHECK_FALSE(partial->age.has_value());
  CHECK(Dog::ids().size() == 4);
}

MODEL_CASE("find_each and find_in_batches walk by primary key") {
  for (int i = 0; i < 25; ++i) Toy::create({.dog_id = i, .label = "toy" + std::to_string(i)});
  std::vector<std::size_t> sizes;
  Toy::find_in_batches([&](std::vector<Toy>& batch) { sizes.push_back(batch.size()); }, 10);
  CHECK(sizes == std::vector<std::size_t>{10, 10, 5});
  std::vector<std::int32_t> seen;
  Toy::order("label DESC").find_each([&](Toy& t) { seen.push_back(t.dog_id); }, 7);
  REQUIRE(seen.size() == 25);
  CHECK(std::is_sorted(seen.begin(), seen.end()));  // by id, not by the relation's order
  std::size_t limited = 0;
  Toy::where("dog_id >= ?", 5).limit(12).find_each([&](Toy&) { ++limited; }, 5);
  CHECK(limited == 12);
  SqlLog log;
  Toy::find_in_batches([](std::vector<Toy>&) {}, 25);
  CHECK(log.sql.size() == 2);  // the full batch, then the empty one that ends the walk
}

MODEL_CASE("update_all, delete_all, destroy_all, find_by_sql, raw execute") {
  for (int i = 0; i < 5; ++i) Toy::create({.dog_id = i, .label = "t"});
  CHECK(Toy::where("dog_id < ?", 3).update_all({{"label", "low"}}) == 3);
  CHECK(Toy::where(&Toy::label, "low").count() == 3);
  CHECK(Toy::query().update_all("dog_id = dog_id + ?", 10) == 5);
  CHECK(Toy::where("dog_id >= ?", 10).count() == 5);
  CHECK_THROWS_AS(Toy::update_all({{"nope", 1}}), UnknownAttributeError);
  auto rows = Toy::find_by_sql("SELECT * FROM toys WHERE label = ? ORDER BY dog_id", "low");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].dog_id == 10);
  CHECK(rows[0].persisted());
  auto r = AnimalsRecord::execute("SELECT COUNT(*) AS n FROM toys WHERE dog_id > $1", {std::int64_t{11}});
  CHECK(r.scalar() == Value{std::int64_t{3}});
  CHECK(Toy::where(&Toy::label, "low").delete_all() == 3);
  CHECK(Toy::count() == 2);

  Dog::create({.name = "A"});
  Dog::create({.name = "B"});
  events().clear();
  CHECK(Dog::destroy_all() == 2);
  CHECK(Dog::count() == 0);
  CHECK(std::count(events().begin(), events().end(), "after_destroy:A") == 1);
}

MODEL_CASE("validations stop the save; save_or_throw and create throw RecordInvalid") {
  Dog bad{.name = "", .age = 50};
  CHECK_FALSE(bad.save());
  CHECK(bad.new_record());
  CHECK(bad.errors().size() == 2);
  try {
    bad.save_or_throw();
    FAIL("no exception");
  } catch (const RecordInvalid& e) {
    CHECK(std::string(e.what()) == "Validation failed: Name can't be blank, Age must be less than 40");
    CHECK(e.full_messages().size() == 2);
  }
  CHECK_THROWS_AS(Dog::create({.name = "Cat"}), RecordInvalid);
  CHECK(Dog::count() == 0);
}

MODEL_CASE("callbacks run in Rails' order; after_commit after the commit") {
  auto rex = Dog::create({.name = "Rex"});
  CHECK(events() == std::vector<std::string>{
                        "before_validation:Rex", "after_validation:Rex", "before_save:Rex",
                        "before_create:Rex", "after_create:Rex", "after_save:Rex", "after_commit:Rex",
                        "after_commit_2:Rex", "after_create_commit:Rex"});
  events().clear();
  rex.age = 2;
  rex.save();
  CHECK(events() == std::vector<std::string>{"before_validation:Rex", "after_validation:Rex",
                                             "before_save:Rex", "before_update:Rex", "after_update:Rex",
                                             "after_save:Rex", "after_commit:Rex", "after_commit_2:Rex"});
  events().clear();
  rex.destroy();
  CHECK(events() == std::vector<std::string>{"before_destroy:Rex", "after_destroy:Rex",
                                             "after_commit:Rex", "after_commit_2:Rex"});
}

MODEL_CASE("a before_save returning false halts the save and rolls back") {
  Dog::halt_save = true;
  Dog d{.name = "Stop"};
  SqlLog log;
  CHECK_FALSE(d.save());
  CHECK(d.new_record());
  CHECK(log.count_containing("INSERT") == 0);
  CHECK(log.count_containing("ROLLBACK") == 1);
  CHECK_THROWS_WITH_AS(d.save_or_throw(), "Failed to save the record", RecordNotSaved);
  Dog::halt_save = false;
  CHECK(d.save());
  CHECK(Dog::count() == 1);
}

MODEL_CASE("after_commit waits for the outermost commit of that connection; after_rollback on rollback") {
  Dog::transaction([&] {
    Dog::create({.name = "In"});
    Dog::transaction([&] { Dog::create({.name = "Nested"}); });
    // Nothing committed yet: the nested level was a savepoint.
    CHECK(std::count(events().begin(), events().end(), "after_commit:In") == 0);
    CHECK(std::count(events().begin(), events().end(), "after_commit:Nested") == 0);
  });
  CHECK(std::count(events().begin(), events().end(), "after_commit:In") == 1);
  CHECK(std::count(events().begin(), events().end(), "after_commit:Nested") == 1);

  events().clear();
  CHECK_THROWS_AS(Dog::transaction([&] {
                    Dog::create({.name = "Doomed"});
                    throw std::runtime_error("boom");
                  }),
                  std::runtime_error);
  CHECK(events().back() == "after_rollback:Doomed");
  CHECK(std::count(events().begin(), events().end(), "after_commit:Doomed") == 0);
  CHECK_FALSE(Dog::find_by(&Dog::name, "Doomed"));

  // A write on another database inside the transaction commits on its own connection at once.
  events().clear();
  Owner::transaction([&] {
    Dog::create({.name = "Elsewhere"});
    CHECK(std::count(events().begin(), events().end(), "after_commit:Elsewhere") == 1);
    throw Rollback{};
  });
  CHECK(Dog::find_by(&Dog::name, "Elsewhere"));
}

MODEL_CASE("an exception in after_commit is reported, never thrown, and the commit stands") {
  Dog::throw_in_after_commit = true;
  EventLog log;
  Dog rex{.name = "Rex"};
  CHECK_NOTHROW(rex.save());
  CHECK(rex.persisted());
  CHECK(Dog::exists(rex.id));
  // The next callback still ran.
  CHECK(std::count(events().begin(), events().end(), "after_commit_2:Rex") == 1);
  bool reported = false;
  for (const auto& e : log.events)
    if (e.name == "callback.error" && e.payload["error"] == "after_commit failed") reported = true;
  CHECK(reported);
}

MODEL_CASE("transactions: exceptions roll back and propagate; Rollback is swallowed at its level") {
  CHECK_THROWS_WITH(Dog::transaction([] {
                      Dog::create({.name = "A"});
                      throw std::runtime_error("fail");
                    }),
                    "fail");
  CHECK(Dog::count() == 0);

  bool committed = Dog::transaction([] {
    Dog::create({.name = "Outer"});
    bool inner = Dog::transaction([] {
      Dog::create({.name = "Inner"});
      throw Rollback{};
    });
    CHECK_FALSE(inner);
  });
  CHECK(committed);
  CHECK(Dog::order("name").pluck(&Dog::name) == std::vector<std::string>{"Outer"});

  // Joining the enclosing transaction: a Rollback rolls back the level that owns it.
  bool outer = Dog::transaction([] {
    Dog::create({.name = "Joined"});
    Dog::transaction([] { throw Rollback{}; }, {.requires_new = false});
    FAIL("not reached");
  });
  CHECK_FALSE(outer);
  CHECK_FALSE(Dog::find_by(&Dog::name, "Joined"));

  auto value = Dog::transaction([] { return Dog::create({.name = "Value"}).id; });
  REQUIRE(value);
  CHECK(Dog::find(*value).name == "Value");
  auto none = Dog::transaction([]() -> int { throw Rollback{}; });
  CHECK_FALSE(none);

  // The connection is pinned: every statement of the block ran on it, in one transaction.
  SqlLog log;
  Dog::transaction([] {
    auto lease = Dog::lease_connection();
    CHECK(lease->transaction_depth() == 1);
    Dog::create({.name = "Pinned"});
    CHECK(Dog::where(&Dog::name, "Pinned").exists());
  });
  CHECK(log.sql.front() == "BEGIN");
  CHECK(log.sql.back() == "COMMIT");
}

MODEL_CASE("two databases in nested blocks are two independent transactions") {
  // Rollback inside the inner (animals) block: only animals rolls back.
  Owner::transaction([] {
    Owner::create({.name = "Keeper"});
    Dog::transaction([] {
      Dog::create({.name = "Lost"});
      throw Rollback{};
    });
  });
  CHECK(Owner::where(&Owner::name, "Keeper").exists());
  CHECK_FALSE(Dog::where(&Dog::name, "Lost").exists());

  // An exception propagating out of both rolls back both.
  CHECK_THROWS_AS(Owner::transaction([] {
                    Owner::create({.name = "Gone"});
                    Dog::transaction([] {
                      Dog::create({.name = "AlsoGone"});
                      throw std::logic_error("both");
                    });
                  }),
                  std::logic_error);
  CHECK_FALSE(Owner::where(&Owner::name, "Gone").exists());
  CHECK_FALSE(Dog::where(&Dog::name, "AlsoGone").exists());

  // The inner database commits before the outer: a failure after it leaves the inner committed
  // (no two-phase commit).
  CHECK_THROWS(Owner::transaction([] {
    Owner::create({.name = "Late"});
    Dog::transaction([] { Dog::create({.name = "Early"}); });
    throw std::runtime_error("after inner commit");
  }));
  CHECK_FALSE(Owner::where(&Owner::name, "Late").exists());
  CHECK(Dog::where(&Dog::name, "Early").exists());

  // Seed 003: the transaction of the class whose database is written.
  SqlLog log;
  AnimalsRecord::transaction([] { Dog::create({.name = "Seed"}); });
  REQUIRE(log.databases.size() >= 3);
  CHECK(log.sql.front() == "BEGIN");
  CHECK(log.databases.front() == "animals");
}

MODEL_CASE("the reading role reads the replica and refuses writes") {
  auto rex = Dog::create({.name = "Rex", .age = 3});
  db.catch_up();
  SqlLog log;
  auto old = AnimalsRecord::connected_to({.role = reading}, [&] {
    CHECK(Dog::current_role() == "reading");
    if (db.pg()) CHECK(AnimalsRecord::execute("SELECT pg_is_in_recovery()").scalar() == Value{true});
    CHECK_THROWS_AS(Dog::create({.name = "Nope"}), ReadOnlyError);
    rex.age = 4;
    CHECK_THROWS_AS(rex.save(), ReadOnlyError);
    CHECK_THROWS_AS(Dog::query().delete_all(), ReadOnlyError);
    return Dog::where("age > ?", 2).order("name").all();
  });
  REQUIRE(old.size() == 1);
  CHECK(old[0].name == "Rex");
  CHECK(std::find(log.databases.begin(), log.databases.end(), "animals_replica") != log.databases.end());
  // Other classes are not switched by AnimalsRecord's scope.
  AnimalsRecord::connected_to({.role = reading}, [] { CHECK(Owner::current_role() == "writing"); });
  if (db.pg()) CHECK(AnimalsRecord::execute("SELECT pg_is_in_recovery()").scalar() == Value{false});
  // The RAII form.
  {
    auto scope = AnimalsRecord::connected_to_scope({.role = reading});
    CHECK(Dog::current_role() == "reading");
    CHECK_THROWS_AS(Toy::create({.dog_id = 1, .label = "x"}), ReadOnlyError);
  }
  CHECK(Dog::current_role() == "writing");
  // sy::Record switches everyone.
  Record::connected_to({.role = reading}, [] { CHECK(Dog::current_role() == "reading"); });
  // prevent_writes without changing role
  AnimalsRecord::while_preventing_writes([] {
    CHECK_THROWS_AS(Dog::create({.name = "Nope"}), ReadOnlyError);
    CHECK(Dog::current_role() == "writing");
  });
  // Inside a reading scope it keeps the role (Rails' version would move the class back to writing).
  AnimalsRecord::connected_to({.role = reading}, [] {
    AnimalsRecord::while_preventing_writes([] { CHECK(Dog::current_role() == "reading"); });
  });
  // `false` lifts an outer prevention for the writing role.
  AnimalsRecord::while_preventing_writes([] {
    AnimalsRecord::while_preventing_writes(false, [] {
      auto nope = Dog::create({.name = "Allowed"});
      nope.destroy();
    });
  });
  rex.reload();
  CHECK(rex.age == 3);
}

MODEL_CASE("shards: each shard is its own database; the first declared is the default") {
  CHECK(Order::current_shard() == "shard_one");
  // connected_to? without a shard compares the class's own default shard, not "default".
  CHECK(ShardRecord::is_connected_to("writing"));
  CHECK_FALSE(ShardRecord::is_connected_to("writing", "shard_two"));
  Order::create({.sku = "one-a"});
  ShardRecord::connected_to({.shard = "shard_two"}, [] {
    CHECK(Order::current_shard() == "shard_two");
    Order::create({.sku = "two-a", .qty = 2});
    Order::create({.sku = "two-b", .qty = 3});
    CHECK(Order::count() == 2);
  });
  CHECK(Order::count() == 1);
  CHECK(Order::first()->sku == "one-a");
  if (db.pg()) {
    using namespace switchyard::test;
    CHECK(pg_scalar(pg_second(), "sy_model_shards", "SELECT string_agg(sku, ',' ORDER BY sku) FROM orders") ==
          "two-a,two-b");
    CHECK(pg_scalar(pg_primary(), "sy_model_shards", "SELECT string_agg(sku, ',') FROM orders") == "one-a");
  }
  // Transactions follow the shard in effect.
  ShardRecord::connected_to({.shard = "shard_two"}, [] {
    Order::transaction([] {
      Order::create({.sku = "two-c"});
      throw Rollback{};
    });
    CHECK(Order::count() == 2);
  });
  // Reading role on shard_one goes to its replica.
  db.catch_up();
  ShardRecord::connected_to({.role = reading, .shard = "shard_one"}, [&] {
    CHECK(Order::count() == 1);
    CHECK_THROWS_AS(Order::create({.sku = "ro"}), ReadOnlyError);
    if (db.pg()) CHECK(ShardRecord::execute("SELECT pg_is_in_recovery()").scalar() == Value{true});
  });
  // shard_two has no reading role configured.
  CHECK_THROWS_AS(ShardRecord::connected_to({.role = reading, .shard = "shard_two"}, [] { return Order::count(); }),
                  ConnectionNotEstablished);
}

MODEL_CASE("attributes copy a record to another database") {
  auto rex = Dog::create({.name = "Rex", .age = 3, .born_at = at("2018-01-01 00:00:00.000001"),
                          .tags = {{"k", "v"}}});
  ArchivedDog copy;
  copy.assign_attributes(rex.attributes());
  copy.save_or_throw();
  auto back = ArchivedDog::find(rex.id);
  CHECK(back.attributes() == rex.attributes());
  CHECK(nlohmann::json(back) == nlohmann::json(rex));

  // The idempotent form: the upsert statement, sent twice, on the other database's connection.
  Toy toy = Toy::create({.dog_id = 1, .label = "ball"});
  toy.label = "bone";
  auto lease = sy::Record::lease_connection();
  sy::Record::execute("CREATE TEMP TABLE toys (id integer PRIMARY KEY, dog_id integer, label text)");
  for (int round = 0; round < 2; ++round) {
    auto st = toy.upsert_statement(lease->dialect());
    sy::execute(sy::Record::connection_class(), st.sql, st.binds);
  }
  CHECK(sy::Record::execute("SELECT label FROM toys WHERE id = ?", {toy.id}).scalar() ==
        Value{std::string("bone")});
  sy::Record::execute("DROP TABLE toys");
}

MODEL_CASE("on_persist runs inside the write's transaction; its commit hook after the commit") {
  OutboxConcern<Audited>::committed = 0;
  auto a = Audited::create({.title = "first"});
  CHECK(OutboxConcern<Audited>::committed == 1);
  auto rows = Outbox::order("id").all();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].kind == "create");
  auto payload = nlohmann::json::parse(rows[0].payload);
  CHECK(payload["title"] == "first");
  CHECK(payload["depth"] == 1);  // the model layer opened a transaction for the hook
  CHECK(payload["columns"] == nlohmann::json{"title"});

  a.title = "second";
  a.save();
  CHECK(nlohmann::json::parse(Outbox::last()->payload)["columns"] == nlohmann::json{"title"});
  CHECK(Outbox::last()->kind == "update");

  // Rolled back with the record: no outbox row, no commit hook.
  Audited::transaction([] {
    Audited::create({.title = "never"});
    throw Rollback{};
  });
  CHECK(Outbox::count() == 2);
  CHECK(OutboxConcern<Audited>::committed == 2);
  CHECK_FALSE(Audited::where(&Audited::title, "never").exists());

  a.destroy();
  CHECK(Outbox::last()->kind == "destroy");
  CHECK(OutboxConcern<Audited>::committed == 3);
}

MODEL_CASE("hot statements are prepared once per connection") {
  auto rex = Dog::create({.name = "Rex"});
  SqlLog log;
  for (int i = 0; i < 3; ++i) Dog::find(rex.id);
  REQUIRE(log.cached.size() == 3);
  CHECK(log.cached[2]);  // the same connection reused its prepared statement
  rex.age = 1;
  rex.save();
  rex.age = 2;
  rex.save();
  std::vector<bool> updates;
  for (std::size_t i = 0; i < log.sql.size(); ++i)
    if (log.sql[i].starts_with("UPDATE")) updates.push_back(log.cached[i]);
  REQUIRE(updates.size() == 2);
  CHECK(updates[1]);  // (the first may be cached too: earlier cases ran the same UPDATE)
  if (db.pg()) {
    auto n = AnimalsRecord::execute("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT%dogs%'");
    CHECK(std::get<std::int64_t>(n.scalar()) >= 1);
  }
}

MODEL_CASE("a lock() reads FOR UPDATE inside a transaction") {
  auto rex = Dog::create({.name = "Rex", .age = 1});
  SqlLog log;
  Dog::transaction([&] {
    auto locked = Dog::where(&Dog::id, rex.id).lock().first();
    REQUIRE(locked);
    locked->age = 2;
    locked->save();
  });
  CHECK(log.count_containing("FOR UPDATE") == (db.pg() ? 1u : 0u));
  CHECK(Dog::find(rex.id).age == 2);
}

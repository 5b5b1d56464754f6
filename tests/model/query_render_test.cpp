// Dry tests: the SQL each query shape renders to, for both dialects, with no server.
#include <doctest/doctest.h>

#include "switchyard/errors.hpp"
#include "switchyard/sql/query.hpp"
#include "test_models.hpp"

using namespace switchyard;
using namespace switchyard::sql;
using model_test::Dog;

namespace {
constexpr Dialect PG = Dialect::postgresql;
constexpr Dialect SQLITE = Dialect::sqlite3;

std::int64_t i(std::int64_t v) { return v; }
}  // namespace

TEST_CASE("dry: select with every clause") {
  Select q;
  q.table = "dogs";
  q.columns = {{"id", false}, {"name", false}, {"LOWER(name) AS lname", true}};
  q.where.push_back(Comparison{"age", ">", i(2)});
  q.where.push_back(InList{"id", {i(1), i(2)}, false});
  q.where.push_back(NullCheck{"born_at", true});
  q.where.push_back(Raw{"name LIKE ? OR name = ?", {std::string("R%"), std::string("x")}});
  q.order = {{"name", false, false}, {"age", true, false}};
  q.limit = 10;
  q.offset = 20;
  for (Dialect d : {PG, SQLITE}) {
    CAPTURE(to_string(d));
    auto st = render(q, d);
    CHECK(st.sql ==
          R"(SELECT "id", "name", LOWER(name) AS lname FROM "dogs" WHERE "age" > $1 AND "id" IN ($2, $3) )"
          R"(AND "born_at" IS NOT NULL AND (name LIKE $4 OR name = $5) ORDER BY "name" ASC, "age" DESC LIMIT 10 OFFSET 20)");
    REQUIRE(st.binds.size() == 5);
    CHECK(st.binds[0] == Value{i(2)});
    CHECK(st.binds[3] == Value{std::string("R%")});
    CHECK(st.bind_names[0] == "age");
    CHECK(st.bind_names[1] == "id");
    CHECK(st.bind_names[3].empty());
  }
}

TEST_CASE("dry: dialect differences: OFFSET without LIMIT, FOR UPDATE") {
  Select q;
  q.table = "dogs";
  q.offset = 5;
  CHECK(render(q, PG).sql == R"(SELECT * FROM "dogs" OFFSET 5)");
  CHECK(render(q, SQLITE).sql == R"(SELECT * FROM "dogs" LIMIT -1 OFFSET 5)");
  Select l;
  l.table = "dogs";
  l.where.push_back(Comparison{"id", "=", i(1)});
  l.lock = true;
  CHECK(render(l, PG).sql == R"(SELECT * FROM "dogs" WHERE "id" = $1 FOR UPDATE)");
  CHECK(render(l, SQLITE).sql == R"(SELECT * FROM "dogs" WHERE "id" = $1)");
}

TEST_CASE("dry: identifiers are always quoted, also hostile ones") {
  Select q;
  q.table = "we\"ird";
  q.columns = {{"na\"me", false}};
  q.where.push_back(Comparison{"x\"; DROP TABLE dogs; --", "=", std::string("v")});
  auto st = render(q, PG);
  CHECK(st.sql == R"(SELECT "na""me" FROM "we""ird" WHERE "x""; DROP TABLE dogs; --" = $1)");
}

TEST_CASE("dry: NULL comparisons, empty IN lists, bad operators") {
  Select q;
  q.table = "dogs";
  q.where.push_back(Comparison{"age", "=", nullptr});
  q.where.push_back(Comparison{"name", "<>", nullptr});
  q.where.push_back(InList{"id", {}, false});
  q.where.push_back(InList{"id", {}, true});
  CHECK(render(q, PG).sql ==
        R"(SELECT * FROM "dogs" WHERE "age" IS NULL AND "name" IS NOT NULL AND 1=0 AND 1=1)");
  CHECK(render(q, PG).binds.empty());
  Select bad;
  bad.table = "dogs";
  bad.where.push_back(Comparison{"age", "; DROP", i(1)});
  CHECK_THROWS_AS(render(bad, PG), ArgumentError);
  Select null_lt;
  null_lt.table = "dogs";
  null_lt.where.push_back(Comparison{"age", "<", nullptr});
  CHECK_THROWS_AS(render(null_lt, SQLITE), ArgumentError);
}

TEST_CASE("dry: count and exists") {
  Select q;
  q.table = "dogs";
  q.where.push_back(Comparison{"good", "=", true});
  q.order = {{"name", false, false}};
  for (Dialect d : {PG, SQLITE}) {
    CHECK(render_count(q, d).sql == R"(SELECT COUNT(*) FROM "dogs" WHERE "good" = $1)");
    CHECK(render_exists(q, d).sql == R"(SELECT 1 AS one FROM "dogs" WHERE "good" = $1 LIMIT 1)");
  }
  Select limited = q;
  limited.limit = 3;
  CHECK(render_count(limited, PG).sql ==
        R"(SELECT COUNT(*) FROM (SELECT 1 AS one FROM "dogs" WHERE "good" = $1 LIMIT 3) subquery)");
  Select grouped;
  grouped.table = "dogs";
  grouped.group = {{"age", false}};
  CHECK(render_count(grouped, SQLITE).sql == R"(SELECT "age", COUNT(*) FROM "dogs" GROUP BY "age")");
  Select distinct;
  distinct.table = "dogs";
  distinct.distinct = true;
  distinct.columns = {{"name", false}};
  CHECK(render_count(distinct, PG).sql ==
        R"(SELECT COUNT(*) FROM (SELECT DISTINCT "name" FROM "dogs") subquery)");
}

TEST_CASE("dry: insert, upsert, update, delete") {
  Insert ins{"dogs", {"name", "age"}, {{std::string("Rex"), i(3)}, {std::string("Fido"), nullptr}}, {}, {"id"}};
  for (Dialect d : {PG, SQLITE}) {
    auto st = render(ins, d);
    CHECK(st.sql == R"(INSERT INTO "dogs" ("name", "age") VALUES ($1, $2), ($3, $4) RETURNING "id")");
    CHECK(st.binds.size() == 4);
    CHECK(st.bind_names == std::vector<std::string>{"name", "age", "name", "age"});
  }
  Insert empty{"dogs", {}, {}, {}, {"id"}};
  CHECK(render(empty, PG).sql == R"(INSERT INTO "dogs" DEFAULT VALUES RETURNING "id")");
  Insert upsert{"dogs", {"id", "name"}, {{i(1), std::string("Rex")}}, OnConflict{{"id"}, {"name"}}, {}};
  CHECK(render(upsert, SQLITE).sql ==
        R"(INSERT INTO "dogs" ("id", "name") VALUES ($1, $2) ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name")");
  Insert ignore{"dogs", {"id"}, {{i(1)}}, OnConflict{{"id"}, {}}, {}};
  CHECK(render(ignore, PG).sql == R"(INSERT INTO "dogs" ("id") VALUES ($1) ON CONFLICT ("id") DO NOTHING)");
  Insert ragged{"dogs", {"id", "name"}, {{i(1)}}, {}, {}};
  CHECK_THROWS_AS(render(ragged, PG), ArgumentError);

  Update up{"dogs", {{"name", std::string("Rex")}}, {Raw{"age = age + ?", {i(1)}}},
            {Comparison{"id", "=", i(7)}}, {}};
  CHECK(render(up, PG).sql == R"(UPDATE "dogs" SET "name" = $1, age = age + $2 WHERE "id" = $3)");
  CHECK_THROWS_AS(render(Update{"dogs", {}, {}, {}, {}}, PG), ArgumentError);

  Delete del{"dogs", {Comparison{"id", "=", i(7)}}, {}};
  CHECK(render(del, SQLITE).sql == R"(DELETE FROM "dogs" WHERE "id" = $1)");
}

TEST_CASE("dry: ? placeholders skip literals, identifiers, comments and dollar quotes") {
  CHECK(number_placeholders("a = ? AND b = '?' AND \"c?\" = ? -- ?\n AND d = ?", 3, 3) ==
        "a = $3 AND b = '?' AND \"c?\" = $4 -- ?\n AND d = $5");
  CHECK(number_placeholders("x = 'it''s ?' /* ? */ AND y = $$ ? $$ AND z = ?", 1, 1) ==
        "x = 'it''s ?' /* ? */ AND y = $$ ? $$ AND z = $1");
  CHECK(number_placeholders("no placeholders", 1, 0) == "no placeholders");
  try {
    number_placeholders("age > ? AND name = ?", 1, 1);
    FAIL("no error");
  } catch (const ArgumentError& e) {
    CHECK(std::string(e.what()) == "wrong number of bind variables (1 for 2) in: age > ? AND name = ?");
  }
}

TEST_CASE("dry: simple orders are parsed and quoted; expressions stay raw") {
  auto o = parse_simple_order("name DESC");
  REQUIRE(o);
  CHECK(o->column == "name");
  CHECK(o->descending);
  CHECK(parse_simple_order(" age asc ")->column == "age");
  CHECK_FALSE(parse_simple_order("LOWER(name)"));
  CHECK_FALSE(parse_simple_order("name DESC NULLS LAST"));
  CHECK_FALSE(parse_simple_order("1"));
}

// Relations render without a connection: the model's query shapes, per dialect.
TEST_CASE("dry: relations of a model") {
  auto rel = Dog::where("age > ?", 2).where(&Dog::name, "Rex").order("name").limit(5);
  CHECK(rel.to_sql(PG).sql ==
        R"(SELECT "id", "name", "age", "good", "born_at", "tags", "created_at", "updated_at" FROM "dogs" )"
        R"(WHERE (age > $1) AND "name" = $2 ORDER BY "name" ASC LIMIT 5)");
  auto in = Dog::where(&Dog::age, std::vector<int>{3, 4}).where(&Dog::born_at, std::nullopt)
                .where_not(&Dog::name, "Cat").select(&Dog::id, "name").order(&Dog::age, sy::desc);
  auto st = in.to_sql(SQLITE);
  CHECK(st.sql ==
        R"(SELECT "id", "name" FROM "dogs" WHERE "age" IN ($1, $2) AND "born_at" IS NULL AND "name" <> $3 ORDER BY "age" DESC)");
  CHECK(st.binds == std::vector<Value>{i(3), i(4), std::string("Cat")});
  auto json = Dog::where({{"name", "Rex"}, {"age", {1, 2}}, {"born_at", nullptr}});
  CHECK(json.to_sql(PG).sql.find(R"(WHERE "age" IN ($1, $2) AND "born_at" IS NULL AND "name" = $3)") !=
        std::string::npos);
  CHECK(Dog::where(&Dog::age, ">=", 3).to_sql(PG).sql.find(R"(WHERE "age" >= $1)") != std::string::npos);
  CHECK(Dog::query().lock().limit(1).to_sql(PG).sql.ends_with("LIMIT 1 FOR UPDATE"));
  // Raw placeholder count is checked when the relation is built, as in Rails.
  CHECK_THROWS_AS(Dog::where("age > ? AND age < ?", 2), ArgumentError);
  // Columns by name are checked against the fields, values against the field types.
  CHECK_THROWS_AS(Dog::where({{"colour", "brown"}}), UnknownAttributeError);
  CHECK_THROWS_AS(Dog::where({{"age", "three"}}), TypeMismatch);
  // Timestamps bind as UTC text with microseconds.
  auto t = sy::parse_timestamp("2024-05-06T07:08:09.5Z");
  REQUIRE(t);
  auto ts = Dog::where(&Dog::born_at, model_test::Clock::time_point(*t)).to_sql(PG);
  CHECK(ts.binds.back() == Value{std::string("2024-05-06 07:08:09.500000")});
}

TEST_CASE("dry: a record's upsert statement (what a copy in another database receives)") {
  model_test::Toy toy{.id = 7, .dog_id = 3, .label = "ball"};
  for (Dialect d : {PG, SQLITE}) {
    auto st = toy.upsert_statement(d);
    CHECK(st.sql ==
          R"(INSERT INTO "toys" ("id", "dog_id", "label") VALUES ($1, $2, $3) ON CONFLICT ("id") )"
          R"(DO UPDATE SET "dog_id" = excluded."dog_id", "label" = excluded."label")");
    CHECK(st.binds == std::vector<Value>{i(7), i(3), std::string("ball")});
  }
}

// Reading JSON and YAML: tiers, file order, anchors, merge keys, scalar typing, syntax errors.
#include "config_test_helpers.hpp"

using namespace switchyard;
using namespace switchyard::test;

TEST_SUITE("config parsing") {

TEST_CASE("two-tier JSON gives one config named primary") {
  auto c = json(R"({"development": {"adapter": "sqlite3", "database": "db/dev.sqlite3", "pool": 3}})");
  auto all = c.configs_for("development");
  REQUIRE(all.size() == 1);
  CHECK(all[0].name() == "primary");
  CHECK(all[0].env_name() == "development");
  CHECK(all[0].adapter() == "sqlite3");
  CHECK(all[0].pool() == 3);
  CHECK(all[0].source() == "config/database.json");
}

TEST_CASE("three-tier when every value of the environment is a mapping") {
  auto c = json(R"({"development": {
      "primary": {"adapter": "sqlite3", "database": "a.sqlite3"},
      "animals": {"adapter": "sqlite3", "database": "b.sqlite3"}}})");
  CHECK(names(c.configs_for("development")) == std::vector<std::string>{"primary", "animals"});
}

TEST_CASE("one scalar among mappings makes it two-tier (Rails' rule)") {
  // `variables` is a mapping, `adapter` a string: not all values are mappings.
  auto c = json(R"({"development": {"adapter": "postgresql", "variables": {"lock_timeout": "2s"}}})");
  auto all = c.configs_for("development");
  REQUIRE(all.size() == 1);
  CHECK(all[0].name() == "primary");
  CHECK(all[0].settings()["variables"]["lock_timeout"] == "2s");
}

TEST_CASE("an environment given as a URL string is its primary config") {
  auto c = yaml("development: postgresql://app@db.internal/app_dev\n");
  auto p = c.resolve("primary");
  CHECK(p.adapter() == "postgresql");
  CHECK(p.string("host") == "db.internal");
  CHECK(p.string("database") == "app_dev");
}

TEST_CASE("databases keep file order, not alphabetical order") {
  auto c = json(R"({"development": {
      "zebra": {"adapter": "sqlite3", "database": "z"},
      "animals": {"adapter": "sqlite3", "database": "a"},
      "middle": {"adapter": "sqlite3", "database": "m"}}})");
  CHECK(names(c.configs_for("development")) == std::vector<std::string>{"zebra", "animals", "middle"});
  CHECK(c.environments() == std::vector<std::string>{"development"});
}

TEST_CASE("environments are listed in file order") {
  auto c = yaml(R"(
test: {adapter: sqlite3, database: t}
production: {adapter: sqlite3, database: p}
development: {adapter: sqlite3, database: d}
)");
  CHECK(c.environments() == std::vector<std::string>{"test", "production", "development"});
}

TEST_CASE("YAML anchors, aliases and a merge key, with explicit keys winning") {
  auto c = yaml(R"(
default: &default
  adapter: sqlite3
  pool: 5
  timeout: 5000
development:
  <<: *default
  database: db/development.sqlite3
  pool: 10
)");
  auto d = c.resolve("primary");
  CHECK(d.adapter() == "sqlite3");
  CHECK(d.pool() == 10);
  CHECK(d.integer("timeout") == 5000);
  CHECK(d.string("database") == "db/development.sqlite3");
}

TEST_CASE("explicit keys win even when written before the merge key") {
  auto c = yaml(R"(
base: &base {adapter: sqlite3, database: base.sqlite3, pool: 2}
development:
  pool: 7
  <<: *base
)");
  CHECK(c.resolve("primary").pool() == 7);
  CHECK(c.resolve("primary").string("database") == "base.sqlite3");
}

TEST_CASE("merging a list of maps: earlier maps win, explicit keys win over all") {
  auto c = yaml(R"(
a: &a {adapter: sqlite3, database: from_a, pool: 1, timeout: 100}
b: &b {adapter: postgresql, database: from_b, pool: 2, journal_mode: wal}
development:
  <<: [*a, *b]
  timeout: 300
)");
  auto d = c.resolve("primary");
  CHECK(d.adapter() == "sqlite3");
  CHECK(d.string("database") == "from_a");
  CHECK(d.pool() == 1);
  CHECK(d.integer("timeout") == 300);
  CHECK(d.string("journal_mode") == "wal");  // only b had it
}

TEST_CASE("merge keys inside three-tier configs and nested anchors") {
  auto c = yaml(R"(
default: &default
  adapter: sqlite3
  pool: 5
replica: &replica
  <<: *default
  replica: true
development:
  primary:
    <<: *default
    database: db/primary.sqlite3
  primary_replica:
    <<: *replica
    database: db/primary.sqlite3
)");
  auto r = c.find("development", "primary_replica");
  REQUIRE(r);
  CHECK(r->replica());
  CHECK(r->pool() == 5);
  CHECK(r->adapter() == "sqlite3");
}

TEST_CASE("a quoted << is an ordinary key, not a merge") {
  auto message = error_of([] {
    yaml("base: &b {adapter: sqlite3}\ndevelopment:\n  '<<': *b\n  adapter: sqlite3\n  database: x\n");
  });
  CHECK(message.find("unknown setting '<<'") != std::string::npos);
}

TEST_CASE("a merge key with a scalar value is an error with its line") {
  auto message = error_of([] { yaml("development:\n  <<: 5\n  adapter: sqlite3\n"); });
  CHECK(message.find("config/database.yml:2:") != std::string::npos);
  CHECK(message.find("merge key") != std::string::npos);
}

TEST_CASE("YAML scalars are typed; quoted scalars stay strings") {
  auto c = yaml(R"(
development:
  adapter: postgresql
  port: 5433
  password: "12345"
  username: 007
  replica: false
  checkout_timeout: 2.5
  host: ~
  application_name: 'true'
)");
  auto d = c.resolve("primary");
  CHECK(d.integer("port") == 5433);
  CHECK(d.settings()["password"] == "12345");
  CHECK(d.settings()["username"] == "7");   // plain 007 is the integer 7, rendered as text
  CHECK(d.boolean("replica") == false);
  CHECK(d.checkout_timeout() == doctest::Approx(2.5));
  CHECK(d.settings()["host"].is_null());
  CHECK(d.settings()["application_name"] == "true");
}

TEST_CASE("!!str keeps a number as text") {
  auto d = yaml("development: {adapter: postgresql, password: !!str 12345}\n").resolve("primary");
  CHECK(d.settings()["password"] == "12345");
}

TEST_CASE("YAML syntax errors name the file, line and column and never crash") {
  auto message = error_of([] { yaml("development:\n  adapter: [sqlite3\n  pool: 5\n"); });
  CHECK(message.find("config/database.yml:") != std::string::npos);
  CHECK(message.find("YAML syntax error") != std::string::npos);
  CHECK(message.find(":3:") != std::string::npos);
}

TEST_CASE("a self-referencing alias is an error, not a stack overflow") {
  auto message = error_of([] { yaml("development: &x\n  adapter: sqlite3\n  replicas: [*x]\n"); });
  CHECK(message.find("too deep") != std::string::npos);
}

TEST_CASE("a merge key that includes its own mapping is an error, not a stack overflow") {
  // Found by fuzz_config_yaml: merges bypassed the depth limit.
  auto message = error_of([] {
    yaml("default: &default\n  primary:\n    <<: *default\ndevelopment:\n  adapter: sqlite3\n");
  });
  CHECK(message.find("too deep") != std::string::npos);
}

TEST_CASE("duplicate keys are refused in YAML and JSON") {
  auto y = error_of([] { yaml("development:\n  adapter: sqlite3\n  adapter: postgresql\n"); });
  CHECK(y.find("config/database.yml:3:3") != std::string::npos);
  CHECK(y.find("duplicate key 'adapter'") != std::string::npos);
  auto j = error_of([] { json(R"({"development": {"adapter": "sqlite3", "adapter": "x"}})"); });
  CHECK(j.find("duplicate key 'adapter'") != std::string::npos);
}

TEST_CASE("JSON syntax errors give line and column") {
  auto message = error_of([] { json("{\n  \"development\": {\n    \"adapter\": sqlite3\n  }\n}"); });
  CHECK(message.find("config/database.json:3:") != std::string::npos);
  CHECK(message.find("JSON syntax error") != std::string::npos);
}

TEST_CASE("a JSON number beyond double is a configuration error") {
  // Found by fuzz_config_json: nlohmann's out_of_range escaped the parser.
  auto message = error_of([] { json(R"({"development": {"adapter": "sqlite3", "pool": 7E888}})"); });
  CHECK(message.find("config/database.json") != std::string::npos);
  CHECK(message.find("JSON number out of range") != std::string::npos);
}

TEST_CASE("a YAML number beyond double is a configuration error at its line") {
  // Found by fuzz_config_yaml: std::stod's out_of_range escaped the parser.
  for (const char* number : {"1e999", "-4e400", "1e-999", "+9.5E12345"}) {
    auto message = error_of([&] { yaml(std::string("development:\n  adapter: sqlite3\n  idle_timeout: ") + number + "\n  database: a.db\n"); });
    CHECK(message.find("config/database.yml:3:17") != std::string::npos);
    CHECK(message.find("YAML number out of range") != std::string::npos);
    CHECK(message.find(number) == std::string::npos);  // not repeated: it could be a secret
  }
  // Quoted, it is a string, and the setting's type check speaks.
  auto quoted = error_of([] { yaml("development:\n  adapter: sqlite3\n  idle_timeout: '1e999'\n  database: a.db\n"); });
  CHECK(quoted.find("key 'idle_timeout'") != std::string::npos);
  // In range, still a number.
  CHECK(yaml("development:\n  adapter: sqlite3\n  idle_timeout: 1.5e3\n  database: a.db\n").resolve("primary").number("idle_timeout") ==
        1500.0);
}

TEST_CASE("an empty file and a non-mapping top level are errors") {
  CHECK(error_of([] { yaml(""); }).find("empty") != std::string::npos);
  CHECK(error_of([] { json("[1, 2]"); }).find("mapping of environments") != std::string::npos);
}

TEST_CASE("load_file picks the format by extension") {
  auto dir = temp_dir();
  auto y = write_file(dir, "db.yml", "development: {adapter: sqlite3, database: y.sqlite3}\n");
  auto j = write_file(dir, "db.json", R"({"development": {"adapter": "sqlite3", "database": "j.sqlite3"}})");
  auto yaml_ext = write_file(dir, "db.YAML", "development: {adapter: sqlite3, database: z.sqlite3}\n");
  CHECK(DatabaseConfigurations::load_file(y, "development").resolve("primary").string("database") == "y.sqlite3");
  CHECK(DatabaseConfigurations::load_file(j, "development").resolve("primary").string("database") == "j.sqlite3");
  CHECK(DatabaseConfigurations::load_file(yaml_ext, "development").resolve("primary").source() == yaml_ext.string());
}

TEST_CASE("load_file errors name the file: unknown extension, missing file") {
  auto dir = temp_dir();
  auto toml = write_file(dir, "db.toml", "x = 1");
  auto m1 = error_of([&] { DatabaseConfigurations::load_file(toml, "development"); });
  CHECK(m1.find(toml.string()) != std::string::npos);
  CHECK(m1.find(".toml") != std::string::npos);
  auto missing = dir / "nope.yml";
  auto m2 = error_of([&] { DatabaseConfigurations::load_file(missing, "development"); });
  CHECK(m2.find(missing.string()) != std::string::npos);
}

TEST_CASE("construction from an nlohmann tree, ordered or not") {
  auto tree = nlohmann::ordered_json::parse(
      R"({"development": {"b": {"adapter": "sqlite3", "database": "b"}, "a": {"adapter": "sqlite3", "database": "a"}}})");
  DatabaseConfigurations ordered(tree, "inline", "development");
  CHECK(names(ordered.configs_for("development")) == std::vector<std::string>{"b", "a"});
  DatabaseConfigurations sorted(nlohmann::json(tree), "inline", "development");
  CHECK(names(sorted.configs_for("development")) == std::vector<std::string>{"a", "b"});
}

}  // TEST_SUITE

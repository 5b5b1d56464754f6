// Finding configs: configs_for and hidden configs, find, resolve, the primary rule, schema files.
#include "config_test_helpers.hpp"

using namespace switchyard;
using namespace switchyard::test;

namespace {

const char* kMultiDb = R"(
production:
  primary:
    adapter: postgresql
    database: app
  primary_replica:
    adapter: postgresql
    database: app
    replica: true
  animals:
    adapter: postgresql
    database: animals
    migrations_paths: db/animals_migrate
  animals_replica:
    adapter: postgresql
    database: animals
    replica: true
  cache:
    adapter: postgresql
    database: cache
    database_tasks: false
development:
  primary:
    adapter: sqlite3
    database: db/dev.sqlite3
)";

}  // namespace

TEST_SUITE("config lookup") {

TEST_CASE("configs_for hides replicas and database_tasks: false by default") {
  auto c = yaml(kMultiDb, "production");
  CHECK(names(c.configs_for("production")) == std::vector<std::string>{"primary", "animals"});
  CHECK(names(c.configs_for("production", true)) ==
        std::vector<std::string>{"primary", "primary_replica", "animals", "animals_replica", "cache"});
}

TEST_CASE("hidden() follows database_tasks? = !replica && database_tasks != false") {
  auto c = yaml(kMultiDb, "production");
  CHECK(c.find("production", "animals_replica")->hidden());
  CHECK(c.find("production", "cache")->hidden());
  CHECK_FALSE(c.find("production", "cache")->replica());
  CHECK_FALSE(c.find("production", "animals")->hidden());
}

TEST_CASE("configs_for by name respects include_hidden; find includes hidden by default") {
  auto c = yaml(kMultiDb, "production");
  CHECK_FALSE(c.configs_for("production", "animals_replica"));
  CHECK(c.configs_for("production", "animals_replica", true));
  CHECK(c.configs_for("production", std::string("animals"))->name() == "animals");
  CHECK(c.find("production", "animals_replica"));
  CHECK_FALSE(c.find("production", "animals_replica", false));
  CHECK_FALSE(c.find("production", "nope"));
  CHECK_FALSE(c.find("staging", "primary"));
}

TEST_CASE("configs_for an unknown environment lists the available ones") {
  auto c = yaml(kMultiDb, "production");
  auto message = error_of([&] { c.configs_for("prodution"); });
  CHECK(message.find("environment 'prodution' is not configured") != std::string::npos);
  CHECK(message.find("available environments: production, development") != std::string::npos);
}

TEST_CASE("resolve finds hidden configs of the current environment") {
  auto c = yaml(kMultiDb, "production");
  CHECK(c.resolve("animals_replica").replica());
  CHECK(c.resolve("cache").name() == "cache");
}

TEST_CASE("resolve of an environment name gives that environment's primary") {
  auto c = yaml(kMultiDb, "production");
  auto d = c.resolve("development");
  CHECK(d.env_name() == "development");
  CHECK(d.name() == "primary");
}

TEST_CASE("resolve of an unknown name throws AdapterNotSpecified in both styles") {
  auto c = yaml(kMultiDb, "production");
  auto message = error_of<AdapterNotSpecified>([&] { c.resolve("animls"); });
  auto first_line = message.substr(0, message.find('\n'));
  CHECK(first_line ==
        "database 'animls' is not configured for 'production'; available: primary, primary_replica, "
        "animals, animals_replica, cache");
  CHECK(message.find("The `animls` database is not configured for the `production` environment.\n\n"
                     "  Available database configurations are:\n\n"
                     "  production: primary, primary_replica, animals, animals_replica, cache\n"
                     "  development: primary") != std::string::npos);
  CHECK(message.find("\n\n  Did you mean `animals`?") != std::string::npos);
}

TEST_CASE("primary is the config named primary even when it is not first") {
  auto c = yaml(R"(
development:
  animals: {adapter: sqlite3, database: a}
  primary: {adapter: sqlite3, database: p}
)");
  CHECK(c.primary("development")->name() == "primary");
  CHECK(c.is_primary(*c.find("development", "primary")));
  CHECK_FALSE(c.is_primary(*c.find("development", "animals")));
}

TEST_CASE("without a config named primary, the first in file order is primary") {
  auto c = yaml(R"(
development:
  zoo: {adapter: sqlite3, database: z}
  animals: {adapter: sqlite3, database: a}
)");
  CHECK(c.primary()->name() == "zoo");
  CHECK(c.is_primary(*c.find("development", "zoo")));
  CHECK_FALSE(c.is_primary(*c.find("development", "animals")));
}

TEST_CASE("schema_dump_path: structure.sql for primary, NAME_structure.sql otherwise") {
  auto c = yaml(R"(
development:
  main: {adapter: sqlite3, database: m}
  animals: {adapter: sqlite3, database: a}
  custom: {adapter: sqlite3, database: c, schema_dump: custom_schema.sql}
  nodump: {adapter: sqlite3, database: n, schema_dump: false}
)");
  CHECK(c.schema_dump_path(*c.find("development", "main")) == "structure.sql");
  CHECK(c.schema_dump_path(*c.find("development", "animals")) == "animals_structure.sql");
  CHECK(c.schema_dump_path(*c.find("development", "custom")) == "custom_schema.sql");
  CHECK_FALSE(c.schema_dump_path(*c.find("development", "nodump")));
}

TEST_CASE("schema_dump=false in a URL query disables the dump") {
  auto c = yaml("development:\n  animals:\n    url: sqlite3:a.sqlite3?schema_dump=false\n");
  CHECK_FALSE(c.schema_dump_path(c.resolve("animals")));
}

TEST_CASE("DatabaseConfig defaults follow Rails") {
  auto d = yaml("development:\n  animals: {adapter: sqlite3, database: a}\n").resolve("animals");
  CHECK(d.pool() == 5);
  CHECK(d.checkout_timeout() == doctest::Approx(5.0));
  CHECK(d.idle_timeout() == doctest::Approx(300.0));
  CHECK(d.reaping_frequency() == doctest::Approx(60.0));
  CHECK_FALSE(d.max_lifetime());
  CHECK(d.migrations_paths() == std::vector<std::string>{"migrations/animals"});
  CHECK_FALSE(d.replica());
  CHECK(d.database_tasks());
}

TEST_CASE("migrations_paths accepts a string or a list; idle_timeout <= 0 means never") {
  auto c = yaml(R"(
development:
  a: {adapter: sqlite3, database: a, migrations_paths: db/a, idle_timeout: 0}
  b: {adapter: sqlite3, database: b, migrations_paths: [db/b1, db/b2]}
)");
  CHECK(c.resolve("a").migrations_paths() == std::vector<std::string>{"db/a"});
  CHECK_FALSE(c.resolve("a").idle_timeout());
  CHECK(c.resolve("b").migrations_paths() == std::vector<std::string>{"db/b1", "db/b2"});
}

TEST_CASE("routing settings are accepted and typed") {
  auto d = yaml(R"(
development:
  adapter: postgresql
  proxy: true
  proxy_delay: 2
  stickiness: WAL
  replicas: [animals_replica, {database: other, weight: 2}]
  load_balancing: weighted
  max_lag_bytes: 1048576
  circuit_breaker: {failures: 3, cooldown: 10}
)").resolve("primary");
  CHECK(d.boolean("proxy") == true);
  CHECK(d.number("proxy_delay") == doctest::Approx(2.0));
  CHECK(d.string("stickiness") == "wal");  // choices are stored in canonical spelling
  CHECK(d.settings()["replicas"].size() == 2);
  CHECK(d.integer("max_lag_bytes") == 1048576);
}

}  // TEST_SUITE

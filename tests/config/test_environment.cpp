// The process environment: SWITCHYARD_ENV, DATABASE_URL, NAME_DATABASE_URL and ${VAR}.
#include "config_test_helpers.hpp"

using namespace switchyard;
using namespace switchyard::test;

namespace {

const char* kThreeTier = R"(
development:
  primary:
    adapter: postgresql
    host: localhost
    database: app_dev
    pool: 5
  animals:
    adapter: postgresql
    host: localhost
    database: animals_dev
test:
  primary:
    adapter: postgresql
    database: app_test
)";

}  // namespace

TEST_SUITE("config environment") {

TEST_CASE("current_env: SWITCHYARD_ENV, else development; empty is ignored") {
  {
    ScopedEnv env("SWITCHYARD_ENV", "production");
    CHECK(DatabaseConfigurations::current_env() == "production");
  }
  {
    ScopedEnv env("SWITCHYARD_ENV", "");
    CHECK(DatabaseConfigurations::current_env() == "development");
  }
  ScopedEnv env("SWITCHYARD_ENV", std::nullopt);
  CHECK(DatabaseConfigurations::current_env() == "development");
}

TEST_CASE("the loader's default environment comes from SWITCHYARD_ENV") {
  ScopedEnv env("SWITCHYARD_ENV", "test");
  auto c = DatabaseConfigurations::parse_yaml(kThreeTier, "config/database.yml");
  CHECK(c.env() == "test");
  CHECK(c.resolve("primary").string("database") == "app_test");
}

TEST_CASE("DATABASE_URL merges into primary of the current env; URL parts win") {
  ScopedEnv url("DATABASE_URL", "postgresql://deploy:pw@db.prod:6432/app_from_url?sslmode=require");
  auto c = yaml(kThreeTier, "development");
  auto p = c.resolve("primary");
  CHECK(p.string("host") == "db.prod");
  CHECK(p.integer("port") == 6432);
  CHECK(p.string("database") == "app_from_url");
  CHECK(p.string("username") == "deploy");
  CHECK(p.string("sslmode") == "require");
  CHECK(p.pool() == 5);  // hash keys the URL does not set stay
  CHECK(p.source() == "config/database.yml + DATABASE_URL");
  CHECK(c.resolve("animals").string("host") == "localhost");  // not primary: untouched
}

TEST_CASE("a setting from DATABASE_URL is reported as coming from it") {
  ScopedEnv url("DATABASE_URL", "postgresql://h/d?pool=0");
  auto message = error_of([] { yaml(kThreeTier, "development"); });
  CHECK(message.find("database 'primary', key 'pool' (from DATABASE_URL): expected a positive integer") !=
        std::string::npos);
}

TEST_CASE("a number beyond double in DATABASE_URL is a clear error") {
  // Found by fuzz_database_url: std::stod's out_of_range escaped URL parsing.
  ScopedEnv url("DATABASE_URL", "postgresql://h/d?max_lifetime=4073709551615E0311238191");
  auto message = error_of([] { yaml(kThreeTier, "development"); });
  CHECK(message.find("key 'max_lifetime' (from DATABASE_URL): expected") != std::string::npos);
}

TEST_CASE("DATABASE_URL does not change other environments") {
  ScopedEnv url("DATABASE_URL", "postgresql://db.prod/app_from_url");
  auto c = yaml(kThreeTier, "development");
  CHECK(c.find("test", "primary")->string("database") == "app_test");
  CHECK_FALSE(c.find("test", "primary")->has("host"));
}

TEST_CASE("NAME_DATABASE_URL merges into that database") {
  ScopedEnv url("ANIMALS_DATABASE_URL", "postgres://zoo.internal/animals_url");
  auto c = yaml(kThreeTier, "development");
  auto a = c.resolve("animals");
  CHECK(a.string("host") == "zoo.internal");
  CHECK(a.string("database") == "animals_url");
  CHECK(a.source() == "config/database.yml + ANIMALS_DATABASE_URL");
  CHECK(c.resolve("primary").string("database") == "app_dev");
}

TEST_CASE("NAME_DATABASE_URL does not change that database in other environments") {
  ScopedEnv url("ANIMALS_DATABASE_URL", "postgres://zoo.internal/animals_url");
  auto c = yaml("development:\n  animals: {adapter: sqlite3, database: a}\n"
                "test:\n  animals: {adapter: sqlite3, database: t}\n");
  CHECK(c.find("test", "animals")->string("database") == "t");
  CHECK(c.find("test", "animals")->adapter() == "sqlite3");
}

TEST_CASE("NAME_DATABASE_URL upper-cases the name and maps other characters to _") {
  ScopedEnv url("ANIMALS_REPLICA_DATABASE_URL", "postgresql://replica.internal/animals");
  auto c = yaml("development:\n  animals_replica: {adapter: postgresql, host: localhost, replica: true}\n");
  CHECK(c.resolve("animals_replica").string("host") == "replica.internal");
}

TEST_CASE("DATABASE_URL synthesises primary when the current env has no config") {
  ScopedEnv url("DATABASE_URL", "postgresql://u@h/synth");
  auto c = yaml("test:\n  adapter: sqlite3\n  database: t.sqlite3\n", "production");
  auto p = c.resolve("primary");
  CHECK(p.env_name() == "production");
  CHECK(p.string("database") == "synth");
  CHECK(p.source() == "DATABASE_URL");
  CHECK(c.environments() == std::vector<std::string>{"test", "production"});
}

TEST_CASE("DATABASE_URL synthesises primary for an environment with an empty mapping") {
  ScopedEnv url("DATABASE_URL", "sqlite3:db/from_env.sqlite3");
  auto c = yaml("development: {}\n");
  CHECK(c.resolve("primary").string("database") == "db/from_env.sqlite3");
}

TEST_CASE("without DATABASE_URL an unknown current environment lists the available ones") {
  auto message = error_of([] { yaml(kThreeTier, "staging"); });
  CHECK(message.find("config/database.yml") != std::string::npos);
  CHECK(message.find("environment 'staging' is not configured") != std::string::npos);
  CHECK(message.find("available environments: development, test") != std::string::npos);
}

TEST_CASE("a url setting merges like DATABASE_URL, other keys stay") {
  auto c = yaml(R"(
development:
  url: postgresql://localhost:5433/from_url
  pool: 12
  database: overridden_by_url
)");
  auto p = c.resolve("primary");
  CHECK(p.integer("port") == 5433);
  CHECK(p.string("database") == "from_url");
  CHECK(p.pool() == 12);
}

TEST_CASE("DATABASE_URL replaces a url setting rather than mixing with it") {
  ScopedEnv url("DATABASE_URL", "postgresql://env.host/");
  auto c = yaml("development:\n  url: postgresql://file.host/file_db\n");
  auto p = c.resolve("primary");
  CHECK(p.string("host") == "env.host");
  CHECK_FALSE(p.has("database"));
}

TEST_CASE("${VAR} is replaced from the environment") {
  ScopedEnv v("SY_TEST_DB_HOST", "pg.example.com");
  auto p = yaml("development: {adapter: postgresql, host: '${SY_TEST_DB_HOST}', database: 'app_${SY_TEST_DB_HOST}'}\n")
               .resolve("primary");
  CHECK(p.string("host") == "pg.example.com");
  CHECK(p.string("database") == "app_pg.example.com");
}

TEST_CASE("${VAR:-default} uses the default when VAR is unset or empty") {
  ScopedEnv unset("SY_TEST_UNSET", std::nullopt);
  ScopedEnv empty("SY_TEST_EMPTY", "");
  auto p = yaml("development: {adapter: postgresql, host: '${SY_TEST_UNSET:-localhost}', "
                "database: '${SY_TEST_EMPTY:-app}', application_name: 'x${SY_TEST_UNSET:-}y'}\n")
               .resolve("primary");
  CHECK(p.string("host") == "localhost");
  CHECK(p.string("database") == "app");
  CHECK(p.string("application_name") == "xy");
}

TEST_CASE("an interpolated number is typed like the setting") {
  ScopedEnv v("SY_TEST_POOL", "17");
  auto p = yaml("development: {adapter: sqlite3, database: x, pool: '${SY_TEST_POOL}', "
                "checkout_timeout: '${SY_TEST_NOPE:-2.5}', replica: '${SY_TEST_NOPE:-false}'}\n")
               .resolve("primary");
  CHECK(p.pool() == 17);
  CHECK(p.checkout_timeout() == doctest::Approx(2.5));
  CHECK_FALSE(p.replica());
}

TEST_CASE("a missing ${VAR} names file, env, database, key and the variable") {
  ScopedEnv unset("SY_TEST_MISSING", std::nullopt);
  auto message = error_of([] {
    yaml("development:\n  animals:\n    adapter: postgresql\n    password: ${SY_TEST_MISSING}\n");
  });
  CHECK(message.find("config/database.yml:4:") != std::string::npos);
  CHECK(message.find("environment 'development'") != std::string::npos);
  CHECK(message.find("database 'animals'") != std::string::npos);
  CHECK(message.find("key 'password'") != std::string::npos);
  CHECK(message.find("'SY_TEST_MISSING' is not set") != std::string::npos);
}

TEST_CASE("$${ is a literal ${ and substituted text is not scanned again") {
  ScopedEnv v("SY_TEST_TRICKY", "${HOME}");
  auto p = yaml("development: {adapter: postgresql, options: '$${literal}', application_name: '${SY_TEST_TRICKY}'}\n")
               .resolve("primary");
  CHECK(p.string("options") == "${literal}");
  CHECK(p.string("application_name") == "${HOME}");
}

TEST_CASE("interpolation happens before URL parsing") {
  ScopedEnv host("SY_TEST_URL_HOST", "interp.host");
  auto p = yaml("development:\n  url: postgresql://${SY_TEST_URL_HOST}:5440/db\n").resolve("primary");
  CHECK(p.string("host") == "interp.host");
  CHECK(p.integer("port") == 5440);
}

TEST_CASE("an unterminated ${ is an error") {
  auto message = error_of([] { yaml("development: {adapter: postgresql, host: '${OOPS'}\n"); });
  CHECK(message.find("unterminated '${'") != std::string::npos);
  CHECK(message.find("key 'host'") != std::string::npos);
}

TEST_CASE("a missing variable in another environment only fails when that env is used") {
  ScopedEnv unset("SY_TEST_PROD_PASSWORD", std::nullopt);
  auto c = yaml(R"(
development: {adapter: sqlite3, database: dev.sqlite3}
production: {adapter: postgresql, password: '${SY_TEST_PROD_PASSWORD}'}
)");
  CHECK(c.resolve("primary").adapter() == "sqlite3");
  CHECK(c.environments() == std::vector<std::string>{"development", "production"});
  auto message = error_of([&] { c.configs_for("production"); });
  CHECK(message.find("SY_TEST_PROD_PASSWORD") != std::string::npos);
  CHECK(message.find("environment 'production'") != std::string::npos);
}

}  // TEST_SUITE

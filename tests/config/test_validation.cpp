// Validation: every error names file, environment, database and key, with line numbers in YAML.
#include "config_test_helpers.hpp"

using namespace switchyard;
using namespace switchyard::test;

namespace {

// Asserts that `message` names every part of where the problem is.
void check_names_location(const std::string& message, const std::string& env, const std::string& db,
                          const std::string& key) {
  INFO(message);
  CHECK(message.find("config/database.yml") != std::string::npos);
  CHECK(message.find("environment '" + env + "'") != std::string::npos);
  CHECK(message.find("database '" + db + "'") != std::string::npos);
  CHECK(message.find("key '" + key + "'") != std::string::npos);
}

std::string animals_with(const std::string& line) {
  return "development:\n  primary:\n    adapter: sqlite3\n    database: p\n  animals:\n"
         "    adapter: postgresql\n" + line + "\n";
}

}  // namespace

TEST_SUITE("config validation") {

TEST_CASE("unknown key suggests the closest known one") {
  auto message = error_of([] { yaml(animals_with("    pol: 10")); });
  check_names_location(message, "development", "animals", "pol");
  CHECK(message.find("unknown setting 'pol' (did you mean 'pool'?)") != std::string::npos);
  CHECK(message.find("config/database.yml:7:5") != std::string::npos);
}

TEST_CASE("unknown key far from every known key has no suggestion") {
  auto message = error_of([] { yaml(animals_with("    flux_capacitor: 1")); });
  CHECK(message.find("unknown setting 'flux_capacitor'") != std::string::npos);
  CHECK(message.find("did you mean") == std::string::npos);
}

TEST_CASE("misspelt password key suggests password and does not echo the value") {
  auto message = error_of([] { yaml(animals_with("    pasword: Tr0ub4dor&3")); });
  CHECK(message.find("did you mean 'password'?") != std::string::npos);
  CHECK(message.find("Tr0ub4dor") == std::string::npos);
}

TEST_CASE("pool must be a positive integer") {
  auto ten = error_of([] { yaml(animals_with("    pool: ten")); });
  check_names_location(ten, "development", "animals", "pool");
  CHECK(ten.find("expected a positive integer, got \"ten\"") != std::string::npos);
  auto negative = error_of([] { yaml(animals_with("    pool: -3")); });
  CHECK(negative.find("expected a positive integer, got -3") != std::string::npos);
  CHECK(error_of([] { yaml(animals_with("    pool: 0")); }).find("positive integer") != std::string::npos);
  CHECK(error_of([] { yaml(animals_with("    pool: 2.5")); }).find("positive integer") != std::string::npos);
}

TEST_CASE("port must be a port number") {
  auto message = error_of([] { yaml(animals_with("    port: true")); });
  check_names_location(message, "development", "animals", "port");
  CHECK(message.find("expected a port number (1-65535), got true") != std::string::npos);
  CHECK(error_of([] { yaml(animals_with("    port: 70000")); }).find("got 70000") != std::string::npos);
}

TEST_CASE("replica must be a boolean; \"yes\" is not one") {
  auto message = error_of([] { yaml(animals_with("    replica: \"yes\"")); });
  check_names_location(message, "development", "animals", "replica");
  CHECK(message.find("expected a boolean (true or false), got \"yes\"") != std::string::npos);
}

TEST_CASE("strings are not accepted where a mapping or list is expected") {
  auto vars = error_of([] { yaml(animals_with("    variables: statement_timeout=5")); });
  CHECK(vars.find("key 'variables': expected a mapping") != std::string::npos);
  auto reps = error_of([] { yaml(animals_with("    replicas: animals_replica")); });
  CHECK(reps.find("key 'replicas': expected a list") != std::string::npos);
  auto rep_item = error_of([] { yaml(animals_with("    replicas: [a, 3]")); });
  CHECK(rep_item.find("key 'replicas[1]'") != std::string::npos);
}

TEST_CASE("a choice lists the allowed values and suggests the closest") {
  auto message = error_of([] { yaml(animals_with("    sslmode: requir")); });
  check_names_location(message, "development", "animals", "sslmode");
  CHECK(message.find("expected one of disable, allow, prefer, require, verify-ca, verify-full") != std::string::npos);
  CHECK(message.find("did you mean 'require'?") != std::string::npos);
}

TEST_CASE("variables must have valid names and scalar values") {
  auto bad_name = error_of([] { yaml(animals_with("    variables: {'bad name': 1}")); });
  CHECK(bad_name.find("key 'variables.bad name': not a valid PostgreSQL setting name") != std::string::npos);
  auto bad_value = error_of([] { yaml(animals_with("    variables: {lock_timeout: [1]}")); });
  CHECK(bad_value.find("key 'variables.lock_timeout'") != std::string::npos);
}

TEST_CASE("missing adapter is AdapterNotSpecified with where") {
  auto message = error_of<AdapterNotSpecified>([] {
    yaml("development:\n  animals:\n    database: animals\n");
  });
  check_names_location(message, "development", "animals", "adapter");
  CHECK(message.find("database configuration does not specify adapter") != std::string::npos);
}

TEST_CASE("unknown adapter lists the available adapters") {
  auto message = error_of([] { yaml("development:\n  animals:\n    adapter: mysql2\n"); });
  check_names_location(message, "development", "animals", "adapter");
  CHECK(message.find("unknown adapter \"mysql2\"; available adapters: postgresql, postgresql_proxy, sqlite3") !=
        std::string::npos);
}

TEST_CASE("postgres is accepted as an alias of postgresql") {
  CHECK(yaml("development: {adapter: postgres}\n").resolve("primary").adapter() == "postgresql");
}

TEST_CASE("sqlite3 without database is an error") {
  auto message = error_of([] { yaml("development:\n  animals:\n    adapter: sqlite3\n    pool: 2\n"); });
  check_names_location(message, "development", "animals", "database");
  CHECK(message.find("needs 'database'") != std::string::npos);
}

TEST_CASE("adapter-specific keys are refused for the other adapter") {
  auto pg_on_sqlite = error_of([] { yaml("development: {adapter: sqlite3, database: x, sslmode: require}\n"); });
  CHECK(pg_on_sqlite.find("'sslmode' is a postgresql setting and does not apply to adapter 'sqlite3'") !=
        std::string::npos);
  auto sqlite_on_pg = error_of([] { yaml("development: {adapter: postgresql, journal_mode: wal}\n"); });
  CHECK(sqlite_on_pg.find("'journal_mode' is a sqlite3 setting") != std::string::npos);
}

TEST_CASE("postgresql_proxy accepts PostgreSQL options") {
  auto d = yaml("development: {adapter: postgresql_proxy, sslmode: disable, proxy: true}\n").resolve("primary");
  CHECK(d.adapter() == "postgresql_proxy");
  CHECK(d.string("sslmode") == "disable");
}

TEST_CASE("a two-tier error names database primary") {
  auto message = error_of([] { yaml("development:\n  adapter: sqlite3\n  database: x\n  pool: many\n"); });
  check_names_location(message, "development", "primary", "pool");
  CHECK(message.find("config/database.yml:4:3") != std::string::npos);
}

TEST_CASE("JSON errors name file, environment, database and key (no line numbers)") {
  auto message = error_of([] {
    json(R"({"production": {"animals": {"adapter": "postgresql", "checkout_timeout": -1}}})", "production");
  });
  CHECK(message.find("config/database.json: environment 'production', database 'animals', key "
                     "'checkout_timeout': expected a non-negative number of seconds, got -1") != std::string::npos);
}

TEST_CASE("an environment that is neither mapping nor URL is an error") {
  auto message = error_of([] { yaml("development: [1, 2]\n"); });
  CHECK(message.find("environment 'development'") != std::string::npos);
  CHECK(message.find("expected a mapping") != std::string::npos);
}

TEST_CASE("a setting given an empty value counts as unset") {
  auto d = yaml("development:\n  adapter: postgresql\n  password:\n  host:\n").resolve("primary");
  CHECK_FALSE(d.string("password"));
  CHECK_FALSE(d.string("host"));
}

TEST_CASE("every row of the known-settings table has a documented type") {
  for (const auto& spec : known_settings()) {
    INFO(spec.key);
    CHECK(find_setting(spec.key) == &spec);
    CHECK_FALSE(describe_type(spec).empty());
    if (spec.type == SettingType::Choice) CHECK_FALSE(spec.choices.empty());
  }
  CHECK(find_setting("no_such_setting") == nullptr);
}

}  // TEST_SUITE

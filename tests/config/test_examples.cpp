// The shipped example configurations load, agree with each other, and are what the docs show.
#include "config_test_helpers.hpp"

#include <fstream>
#include <sstream>

using namespace switchyard;
using namespace switchyard::test;

namespace {

std::filesystem::path source_root() { return SY_SOURCE_ROOT; }  // defined by tests/config/meson.build

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// load_file only accepts .yml/.yaml/.json, so the examples are parsed by their real format.
DatabaseConfigurations example(const std::string& format, const std::string& env) {
  auto path = source_root() / "config" / ("database." + format + ".example");
  return format == "yml" ? DatabaseConfigurations::parse_yaml(slurp(path), path.string(), env)
                         : DatabaseConfigurations::parse_json(slurp(path), path.string(), env);
}

}  // namespace

TEST_SUITE("config examples") {

TEST_CASE("the development examples load: sqlite3, two replicas, one database_tasks: false") {
  for (const char* format : {"yml", "json"}) {
    INFO(format);
    auto c = example(format, "development");
    CHECK(names(c.configs_for("development")) == std::vector<std::string>{"primary", "animals"});
    CHECK(names(c.configs_for("development", true)) ==
          std::vector<std::string>{"primary", "primary_replica", "animals", "animals_replica", "cache"});
    CHECK(c.resolve("animals_replica").replica());
    CHECK(c.resolve("primary").adapter() == "sqlite3");
  }
}

TEST_CASE("production needs DB_PASSWORD and then loads as postgresql") {
  ScopedEnv unset("DB_PASSWORD", std::nullopt);
  for (const char* format : {"yml", "json"}) {
    INFO(format);
    auto message = error_of([&] { example(format, "production"); });
    CHECK(message.find("'DB_PASSWORD' is not set") != std::string::npos);
    CHECK(message.find("database 'primary', key 'password'") != std::string::npos);
  }
  ScopedEnv password("DB_PASSWORD", "example-pw");
  ScopedEnv replica("DB_REPLICA_HOST", "replica.internal");
  auto c = example("yml", "production");
  CHECK(c.resolve("primary").adapter() == "postgresql");
  CHECK(c.resolve("primary").pool() == 10);
  CHECK(c.resolve("primary").integer("port") == 5432);
  CHECK(c.resolve("animals_replica").string("host") == "replica.internal");
  CHECK(c.resolve("animals").string("host") == "localhost");
}

TEST_CASE("the YAML and JSON examples describe the same databases") {
  ScopedEnv password("DB_PASSWORD", "example-pw");
  for (const char* env : {"development", "test", "production"}) {
    auto y = example("yml", env).configs_for(env, true);
    auto j = example("json", env).configs_for(env, true);
    REQUIRE(y.size() == j.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
      INFO(env << "/" << y[i].name());
      CHECK(y[i].name() == j[i].name());
      CHECK(y[i].settings() == j[i].settings());
    }
  }
}

TEST_CASE("docs/configuration.md shows both examples verbatim") {
  auto docs = slurp(source_root() / "docs" / "configuration.md");
  CHECK(docs.find(slurp(source_root() / "config" / "database.yml.example")) != std::string::npos);
  CHECK(docs.find(slurp(source_root() / "config" / "database.json.example")) != std::string::npos);
}

TEST_CASE("docs/configuration.md documents every known setting") {
  auto docs = slurp(source_root() / "docs" / "configuration.md");
  for (const auto& spec : known_settings()) {
    INFO(spec.key);
    CHECK(docs.find("`" + std::string(spec.key) + "`") != std::string::npos);
  }
}

}  // TEST_SUITE

// Passwords never appear in error messages, redacted settings or redacted connection strings.
#include "config_test_helpers.hpp"
#include "switchyard/config/connection_params.hpp"
#include "switchyard/config/database_url.hpp"

using namespace switchyard;
using namespace switchyard::test;

namespace {

const std::string kSecret = "Zx9-SuperSecret-Pw";

void check_no_secret(const std::string& text) {
  INFO(text);
  CHECK(text.find("SuperSecret") == std::string::npos);
}

std::string yaml_error(const std::string& text) {
  auto message = error_of([&] { yaml(text); });
  check_no_secret(message);
  return message;
}

}  // namespace

TEST_SUITE("config secrets") {

TEST_CASE("validation errors in a config with a password") {
  yaml_error("development:\n  adapter: postgresql\n  password: " + kSecret + "\n  pool: ten\n");
  yaml_error("development:\n  adapter: postgresql\n  password: " + kSecret + "\n  pol: 1\n");
  yaml_error("development:\n  password: " + kSecret + "\n");  // no adapter
  yaml_error("development:\n  adapter: mysql\n  password: " + kSecret + "\n");
}

TEST_CASE("a password given to the wrong key is scrubbed from the message") {
  auto m1 = yaml_error("development:\n  adapter: postgresql\n  password: " + kSecret + "\n  sslmode: " + kSecret + "\n");
  CHECK(m1.find("got \"[FILTERED]\"") != std::string::npos);
  ScopedEnv pw("SY_TEST_SECRET", kSecret);
  yaml_error("development:\n  adapter: postgresql\n  password: ${SY_TEST_SECRET}\n  port: ${SY_TEST_SECRET}\n");
}

TEST_CASE("a misspelt password key is reported without its value") {
  auto message = yaml_error("development:\n  adapter: postgresql\n  passwrd: " + kSecret + "\n");
  CHECK(message.find("did you mean 'password'?") != std::string::npos);
}

TEST_CASE("wrongly typed password says only the type") {
  auto message = yaml_error("development:\n  adapter: postgresql\n  password: {" + kSecret + ": 1}\n");
  CHECK(message.find("key 'password': expected a string, got a mapping") != std::string::npos);
}

TEST_CASE("bad URLs never echo their password") {
  for (const std::string& url : std::vector<std::string>{"postgresql://u:" + kSecret + "@h:bad/d",
                                "postgresql://u:" + kSecret + "/x@h/d",
                                "postgresql://u:" + kSecret + "?x@h/d",
                                "postgresql://u:" + kSecret + "%zz@h/d",
                                "postgresql://u:" + kSecret + "@[::1/d",
                                "postgresql://u:" + kSecret + "#@h/d",
                                "mysql://u:" + kSecret + "@h/d",
                                "postgresql://h/d?password=" + kSecret + "&pol=1",
                                "postgresql://u:" + kSecret}) {
    INFO(url);
    check_no_secret(error_of([&] {
      auto settings = parse_database_url(url, "DATABASE_URL");
      // Parsed without complaint: validation must then fail without the secret.
      DatabaseConfigurations(nlohmann::json{{"development", {{"url", url}, {"pool", "x"}}}}, "inline",
                             "development");
    }));
  }
}

TEST_CASE("a bad DATABASE_URL in the environment never echoes its password") {
  ScopedEnv url("DATABASE_URL", "postgresql://u:" + kSecret + "@h:99999/d");
  auto message = yaml_error("development:\n  adapter: postgresql\n");
  CHECK(message.find("DATABASE_URL") != std::string::npos);
}

TEST_CASE("syntax errors near a password do not quote it") {
  check_no_secret(error_of([] { json("{\"development\": {\"password\": \"" + kSecret + "\n}}"); }));
  check_no_secret(error_of([] { json("{\"development\": {\"password\": " + kSecret + "}}"); }));
  yaml_error("development:\n  password: \"" + kSecret + "\n  adapter: [\n");
}

TEST_CASE("interpolation errors inside a password do not quote it") {
  yaml_error("development:\n  adapter: postgresql\n  password: '" + kSecret + "${'\n");
  yaml_error("development:\n  adapter: postgresql\n  password: '${" + kSecret + "}'\n");
}

TEST_CASE("redacted() hides passwords at every depth and inside URLs") {
  DatabaseConfig config("production", "primary",
                        {{"adapter", "postgresql"},
                         {"password", kSecret},
                         {"sslpassword", kSecret},
                         {"url", "postgresql://u:" + kSecret + "@h/d"},
                         {"replicas", {{{"database", "r"}, {"password", kSecret}}}},
                         {"circuit_breaker", {{"webhook", "postgresql://x:" + kSecret + "@h"}}},
                         {"host", "db.local"}},
                        "config/database.yml");
  auto redacted = config.redacted();
  check_no_secret(redacted.dump());
  CHECK(redacted["password"] == "[FILTERED]");
  CHECK(redacted["url"] == "postgresql://u:[FILTERED]@h/d");
  CHECK(redacted["host"] == "db.local");
  check_no_secret(config.describe());
}

TEST_CASE("a URL-merged config keeps its password out of redacted() and describe()") {
  ScopedEnv url("DATABASE_URL", "postgresql://u:" + kSecret + "@h/d");
  auto config = yaml("development:\n  adapter: postgresql\n").resolve("primary");
  CHECK(config.string("password") == kSecret);
  check_no_secret(config.redacted().dump());
  check_no_secret(config.describe());
  check_no_secret(pg_conninfo_redacted(config));
}

TEST_CASE("is_secret_key recognises password variants") {
  for (const char* key : {"password", "PASSWORD", "sslpassword", "db_passwd", "api_token", "client_secret", "api_key"})
    CHECK(DatabaseConfig::is_secret_key(key));
  for (const char* key : {"host", "username", "sslkey", "passfile_dir"})
    CHECK_FALSE(DatabaseConfig::is_secret_key(key));
}

}  // TEST_SUITE

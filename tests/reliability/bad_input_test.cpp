// Bad input end to end: malformed configurations, unknown environments and databases, bad URLs,
// wrong credentials, unreachable hosts and invalid SQL. Each gives the error class a Rails
// developer expects, with a message that says what is wrong and where, and never the password
// (tests/reliability/secrets_test.cpp scans the rest of what the library prints).
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "databases.hpp"
#include "reliability_support.hpp"
#include "switchyard/switchyard.hpp"

namespace sy = switchyard;
using rel::kSecret;

namespace {

sy::DatabaseConfigurations yaml(const std::string& text) {
  return sy::DatabaseConfigurations::parse_yaml(text, "config/database.yml", "development");
}

// development: primary (SQLite) plus `animals` given as extra YAML lines (4-space indented).
std::string with_animals(const std::string& lines) {
  return "development:\n  primary:\n    adapter: sqlite3\n    database: p.sqlite3\n  animals:\n" +
         lines;
}

struct Case {
  const char* what;
  std::string yaml;
  std::vector<std::string> fragments;  // all must appear in the message
};

}  // namespace

TEST_CASE("bad input: malformed configurations fail to load with file, key and cause") {
  const std::string pw = "    password: " + std::string(kSecret) + "\n";
  const std::vector<Case> cases = {
      {"YAML syntax",
       with_animals("    adapter: postgresql\n" + pw + "    host: [unclosed\n"),
       {"config/database.yml"}},
      {"JSON in a .yml file",
       "{\"development\": {\"primary\": {\"adapter\": }}}",
       {"config/database.yml"}},
      {"a port that is not a number",
       with_animals("    adapter: postgresql\n" + pw + "    port: abc\n"),
       {"database 'animals'", "key 'port'"}},
      {"a pool that is not positive",
       with_animals("    adapter: postgresql\n" + pw + "    pool: -1\n"),
       {"key 'pool'"}},
      {"replica: yes",
       with_animals("    adapter: postgresql\n" + pw + "    replica: \"yes\"\n"),
       {"key 'replica'"}},
      {"an unknown key",
       with_animals("    adapter: postgresql\n" + pw + "    pol: 5\n"),
       {"unknown setting 'pol'", "did you mean 'pool'"}},
      {"a misspelt password key",
       with_animals("    adapter: postgresql\n    pasword: " + std::string(kSecret) + "\n"),
       {"pasword", "did you mean 'password'"}},
      {"no adapter", with_animals("    host: db\n" + pw), {"database 'animals'", "adapter"}},
      {"an unknown adapter", with_animals("    adapter: mysqll\n" + pw), {"mysqll", "postgresql"}},
      {"a URL with a bad scheme",
       with_animals("    url: \"ftp://app:" + std::string(kSecret) + "@db/x\"\n"),
       {"database 'animals'", "url"}},
      {"a URL with a bad port",
       with_animals("    url: \"postgres://app:" + std::string(kSecret) + "@db:99999/x\"\n"),
       {"database 'animals'"}},
      {"a URL that is not a URL",
       with_animals("    url: \"app:" + std::string(kSecret) + "@@db\"\n"),
       {"database 'animals'"}},
      {"an undefined ${VAR}",
       with_animals("    adapter: postgresql\n    password: \"${SY_REL_UNSET_VAR}\"\n"),
       {"SY_REL_UNSET_VAR"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    const auto message = rel::error_text<sy::ConfigurationError>([&] {
      auto configs = yaml(c.yaml);
      (void)configs.configs_for("development");
    });
    for (const auto& f : c.fragments) CHECK_MESSAGE(message.find(f) != std::string::npos, message);
    CHECK_MESSAGE(message.find(kSecret) == std::string::npos, message);
  }
}

TEST_CASE("bad input: an unknown environment or database names what is available") {
  auto configs = yaml(with_animals("    adapter: sqlite3\n    database: a.sqlite3\n"));
  auto env = rel::error_text<sy::ConfigurationError>([&] { (void)configs.configs_for("staging"); });
  CHECK(env.find("environment 'staging' is not configured") != std::string::npos);
  CHECK(env.find("development") != std::string::npos);
  auto db = rel::error_text<sy::AdapterNotSpecified>([&] { (void)configs.resolve("aminals"); });
  CHECK(db.find("database 'aminals' is not configured for 'development'") != std::string::npos);
  CHECK(db.find("animals") != std::string::npos);
  // establish for an environment the file does not have fails at once, not at the first query.
  auto est = rel::error_text<sy::ConfigurationError>([&] { sy::establish(configs, "staging"); });
  CHECK(est.find("environment 'staging' is not configured") != std::string::npos);
}

TEST_CASE("bad input: establish(configs, env) resolves every class in that environment") {
  // A set loaded for "development" and established for "other": models must use "other".
  const auto dir = sy::test::temp_dir();
  nlohmann::ordered_json tree;
  for (const char* env : {"development", "other"}) {
    const auto file = (dir / (std::string("env_") + env + ".sqlite3")).string();
    std::filesystem::remove(file);
    tree[env] = {{"primary", {{"adapter", "sqlite3"}, {"database", file}}},
                 {"rel", {{"adapter", "sqlite3"}, {"database", file}}}};
  }
  sy::establish(sy::DatabaseConfigurations(tree, "envs.json", "development"), "other");
  CHECK(sy::lease_connection(rel::RelRecord::connection_class())->config().env_name() == "other");
  CHECK(sy::lease_connection(sy::ConnectionClass::base())->config().env_name() == "other");
}

TEST_CASE(
    "bad input: invalid SQL is a StatementInvalid with its SQLSTATE; nothing else runs (sqlite)") {
  rel::SqliteApp app("bad_sql");
  auto& conn = app.klass();
  sy::execute(conn, "CREATE TABLE t (v integer)");
  for (const char* bad : {"SELEC 1", "SELECT * FROM no_such_table",
                          "INSERT INTO t VALUES (1, 2, 3)", "SELECT 'unterminated"}) {
    CAPTURE(bad);
    try {
      sy::execute(conn, bad);
      FAIL("accepted");
    } catch (const sy::StatementInvalid& e) {
      CHECK(!e.sqlstate().empty());
      CHECK(std::string(e.what()).find(bad) != std::string::npos);  // the statement is named
    }
  }
  // A statement that fails half-way through a script leaves the rest unsent.
  CHECK_THROWS_AS(sy::execute(conn, "INSERT INTO t VALUES (1); SELEC 2; INSERT INTO t VALUES (2)"),
                  sy::StatementInvalid);
  CHECK(std::get<std::int64_t>(sy::execute(conn, "SELECT count(*) FROM t WHERE v = 2").scalar()) ==
        0);
}

TEST_CASE("bad input: invalid SQL on PostgreSQL carries the server's SQLSTATE" * SY_PG) {
  rel::PgApp app("sy_rel_badsql");
  auto& conn = app.klass();
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"SELEC 1", "42601"},
      {"SELECT * FROM no_such_table", "42P01"},
      {"SELECT 1/0", "22012"},
      {"SELECT 'x'::int", "22P02"},
  };
  for (const auto& entry : cases) {
    const auto& sql = entry.first;  // a structured binding cannot be captured (clang 14)
    const auto& state = entry.second;
    CAPTURE(sql);
    try {
      sy::execute(conn, sql);
      FAIL("accepted");
    } catch (const sy::StatementInvalid& e) {
      CHECK(e.sqlstate() == state);
      CHECK(std::string(e.what()).find(sql) != std::string::npos);
    }
  }
  // The connection is still usable afterwards.
  CHECK(sy::execute(conn, "SELECT 1").scalar() == sy::Value{std::int64_t{1}});
}

TEST_CASE("bad input: wrong credentials and unreachable hosts fail clearly and fast" * SY_PG) {
  const auto server = sy::test::pg_primary();
  struct Attempt {
    const char* what;
    nlohmann::json settings;
    std::vector<std::string> fragments;
  };
  const std::vector<Attempt> attempts = {
      {"wrong password",
       {{"host", server.host},
        {"port", server.port},
        {"username", sy::test::pg_user()},
        {"password", kSecret}},
       {"password authentication failed", "[FILTERED]"}},
      {"unknown user",
       {{"host", server.host},
        {"port", server.port},
        {"username", "no_such_user"},
        {"password", kSecret}},
       {"no_such_user"}},
      {"unknown database",
       {{"host", server.host},
        {"port", server.port},
        {"username", sy::test::pg_user()},
        {"password", sy::test::pg_password()},
        {"database", "no_such_db_sy"}},
       {"no_such_db_sy"}},
      {"nothing listening",
       {{"host", "127.0.0.1"}, {"port", 1}, {"username", "app"}, {"password", kSecret}},
       {"127.0.0.1", "Connection refused"}},
      {"an unresolvable host",
       {{"host", "no-such-host.invalid"},
        {"port", 5432},
        {"username", "app"},
        {"password", kSecret},
        {"connect_timeout", 2}},
       {"no-such-host.invalid"}},
  };
  for (const auto& a : attempts) {
    CAPTURE(a.what);
    nlohmann::json s = {{"adapter", "postgresql"}, {"database", "switchyard_test"}};
    s.update(a.settings);
    const auto t0 = std::chrono::steady_clock::now();
    const auto message = rel::error_text<sy::ConnectionNotEstablished>([&] {
      (void)sy::open_connection(sy::DatabaseConfig("test", "animals", s, "test"), {"animals"});
    });
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(message.find("'animals'") != std::string::npos);
    for (const auto& f : a.fragments) CHECK_MESSAGE(message.find(f) != std::string::npos, message);
    CHECK_MESSAGE(message.find(kSecret) == std::string::npos, message);
    CHECK_MESSAGE(message.find(sy::test::pg_password()) == std::string::npos, message);
    CHECK(seconds < 15);  // bounded by connect_timeout or an immediate refusal, never a hang
  }
}

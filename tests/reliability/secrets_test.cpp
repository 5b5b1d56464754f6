// The secrets scan: drive every place the library prints or throws text — the log subscriber,
// failed connections, pool timeouts, configuration errors, config descriptions, the CLI's db:*
// tasks (success and failure) and the schema dump — with the test servers' real password and a
// distinctive fake one, capture all of it, and search it for both. scripts/test-summary then
// searches every test log of the whole suite for the password as well.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "reliability_support.hpp"
#include "switchyard/cli/cli.hpp"
#include "switchyard/config/connection_params.hpp"
#include "switchyard/instrument/log_subscriber.hpp"
#include "switchyard/routing/proxy.hpp"

namespace sy = switchyard;
using rel::kSecret;

namespace {

struct Account : sy::Model<Account, rel::RelRecord> {
  static constexpr auto table = "accounts";
  std::int64_t id = 0;
  std::string name;
  std::string password;
  static constexpr auto fields =
      sy::fields(&Account::id, "id", &Account::name, "name", &Account::password, "password");
};

// Everything the scenario printed or threw.
struct Transcript {
  std::string text;
  int pieces = 0;
  void add(const std::string& label, const std::string& piece) {
    text += "--- " + label + "\n" + piece + "\n";
    ++pieces;
  }
  template <class E = sy::Error>
  void error(const std::string& label, const std::function<void()>& fn) {
    add(label, rel::error_text<E>(fn));
  }
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void require_no_secret(const Transcript& t) {
  const auto password = sy::test::pg_password();
  REQUIRE_FALSE(password.empty());
  MESSAGE("secrets scan: " << t.pieces << " outputs, " << t.text.size() << " bytes searched");
  CHECK(t.pieces > 10);
  // Report where, not what: printing the transcript would print the leak.
  for (const auto& secret : {password, std::string(kSecret)}) {
    const auto at = t.text.find(secret);
    if (at != std::string::npos) {
      const auto label = t.text.rfind("--- ", at);
      FAIL("a password leaked in: " << t.text.substr(label, t.text.find('\n', label) - label));
    }
  }
}

}  // namespace

TEST_CASE("secrets: no password in logs, errors, descriptions, CLI output or schema dumps" *
          SY_PG) {
  Transcript t;
  rel::PgApp app("sy_rel_secrets", {{"pool", 1}, {"checkout_timeout", 0.2}});
  const auto password = sy::test::pg_password();

  // The log subscriber, with binds shown: binds of a password column are filtered, in successful
  // statements and in failed ones; the server's DETAIL quoting a password (a unique key, a
  // failing row) is redacted in the exception and the log line.
  std::ostringstream log;
  {
    sy::instrument::LogSubscriber subscriber(log);
    sy::execute(app.klass(),
                "CREATE TABLE accounts (id bigserial PRIMARY KEY, name text CHECK (name <> 'x'), "
                "password text UNIQUE)");
    auto a = Account::create({.name = "alice", .password = kSecret});
    CHECK(Account::where(&Account::password, std::string(kSecret)).count() == 1);
    a.password = password;
    CHECK(a.save());
    CHECK(Account::where({{"password", password}}).count() == 1);
    CHECK(Account::where(&Account::id, a.id).update_all({{"password", kSecret}}) == 1);
    t.error<sy::StatementInvalid>("failed statement", [&] {
      (void)Account::where(&Account::password, std::string(kSecret)).where("nope = 1").count();
    });
    t.error<sy::StatementInvalid>(
        "unique violation", [&] { (void)Account::create({.name = "bob", .password = kSecret}); });
    t.error<sy::StatementInvalid>(
        "check violation", [&] { (void)Account::create({.name = "x", .password = password}); });
  }
  CHECK(t.text.find("already exists") != std::string::npos);
  CHECK(t.text.find("Failing row contains ([FILTERED])") != std::string::npos);
  CHECK(log.str().find("[FILTERED]") != std::string::npos);
  CHECK(log.str().find("INSERT INTO") != std::string::npos);
  t.add("log subscriber", log.str());

  // A pool timeout while another thread holds the only connection.
  {
    std::promise<void> held, done;
    std::thread holder([&] {
      auto lease = sy::lease_connection(app.klass());
      held.set_value();
      done.get_future().wait();
    });
    held.get_future().wait();
    t.error<sy::ConnectionTimeoutError>("pool timeout",
                                        [&] { (void)sy::lease_connection(app.klass()); });
    done.set_value();
    holder.join();
  }

  // Descriptions of the config.
  auto configs = sy::DatabaseConfigurations(
      nlohmann::ordered_json{{"rel", {{"rel", app.settings}}}}, "rel.json", "rel");
  auto config = *configs.find("rel", "rel");
  t.add("describe", config.describe());
  t.add("redacted", config.redacted().dump());
  t.add("conninfo", sy::pg_conninfo_redacted(config));
  t.add("routing metrics", sy::routing::metrics().to_json().dump());

  // Failed connections: the wrong password, the right password to a closed port.
  for (const auto& [label, pw, port] :
       {std::tuple{"wrong password", std::string(kSecret), sy::test::pg_primary().port},
        std::tuple{"closed port", password, 1}}) {
    nlohmann::json s = app.settings;
    s["password"] = pw;
    s["port"] = port;
    t.error<sy::ConnectionNotEstablished>(label, [&] {
      (void)sy::open_connection(sy::DatabaseConfig("rel", "rel", s, "rel"), {"rel"});
    });
  }

  // Configuration errors around both passwords.
  const std::string url = "postgres://app:" + std::string(kSecret) + "@127.0.0.1:bad/x";
  t.error<sy::ConfigurationError>("bad url", [&] {
    (void)sy::DatabaseConfigurations(nlohmann::json{{"rel", {{"rel", {{"url", url}}}}}}, "u.json",
                                     "rel")
        .configs_for("rel");
  });
  t.error<sy::ConfigurationError>("password as a number key", [&] {
    (void)sy::DatabaseConfigurations::parse_yaml(
        "rel:\n  rel:\n    adapter: postgresql\n    passwrd: " + password + "\n", "c.yml", "rel")
        .configs_for("rel");
  });
  t.error<sy::ConfigurationError>("yaml syntax next to a password", [&] {
    (void)sy::DatabaseConfigurations::parse_yaml(
        "rel:\n  rel:\n    adapter: postgresql\n    password: " + password + "\n    host: [x\n",
        "c.yml", "rel")
        .configs_for("rel");
  });

  // The CLI, in process, with the password written in the config file (the worst case).
  const auto root = sy::test::temp_dir() / "secrets-app";
  std::filesystem::create_directories(root / "config");
  std::filesystem::create_directories(root / "migrations" / "rel");
  sy::test::write_file(root / "migrations" / "rel", "1_create_dogs.up.sql",
                       "CREATE TABLE dogs (id bigserial PRIMARY KEY, name text);");
  sy::test::write_file(root / "migrations" / "rel", "2_broken.up.sql", "SELECT * FROM nowhere;");
  nlohmann::ordered_json tree;
  tree["development"] = {{"primary", app.settings}, {"rel", app.settings}};
  auto run_cli = [&](const std::vector<std::string>& args) {
    std::ostringstream out, err;
    std::vector<std::string> full = {"--root", root.string()};
    full.insert(full.end(), args.begin(), args.end());
    const int rc = sy::cli::run(full, out, err);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    t.add("cli " + joined + "(exit " + std::to_string(rc) + ")", out.str() + err.str());
    return rc;
  };
  sy::test::write_file(root / "config", "database.json", tree.dump(2));
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"db:config"},
                                             {"db:migrate"},
                                             {"db:migrate:status"},
                                             {"db:version"},
                                             {"db:schema:dump"},
                                             {"db:create"},
                                             {"db:migrate:rel", "--dump-schema"}})
    run_cli(args);
  CHECK(t.text.find("An error has occurred") != std::string::npos);  // the broken migration ran
  CHECK(t.text.find("\"password\":\"[FILTERED]\"") != std::string::npos);  // db:config ran
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "db"))
    if (entry.is_regular_file())
      t.add("schema dump " + entry.path().filename().string(), slurp(entry.path()));
  // Wrong password and an unreachable server through the CLI.
  tree["development"]["rel"]["password"] = kSecret;
  sy::test::write_file(root / "config", "database.json", tree.dump(2));
  CHECK(run_cli({"db:migrate:rel"}) != 0);
  tree["development"]["rel"]["password"] = password;
  tree["development"]["rel"]["port"] = 1;
  sy::test::write_file(root / "config", "database.json", tree.dump(2));
  CHECK(run_cli({"db:migrate:status"}) != 0);
  CHECK(run_cli({"db:config", "--env", "nowhere"}) != 0);

  require_no_secret(t);
}

#include "routing_fixtures.hpp"

#include <sqlite3.h>

#include <filesystem>

namespace rt {
namespace {

void sqlite_file(const std::filesystem::path& path, const std::string& label) {
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  std::string sql = "CREATE TABLE dogs (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO dogs (name) VALUES ('" +
                    label + "');";
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

std::string file(const std::string& name) { return (sy::test::temp_dir() / name).string(); }

}  // namespace

sy::ConnectionClass& animals() {
  static sy::ConnectionClass k("RoutedAnimals", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "animals", .reading = "animals_replica"}));
  return k;
}
sy::ConnectionClass& flaky() {
  static sy::ConnectionClass k("RoutedFlaky", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "flaky"}));
  return k;
}
sy::ConnectionClass& plain() {
  static sy::ConnectionClass k("RoutedPlain", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "plain"}));
  return k;
}
sy::ConnectionClass& pg_main() {
  static sy::ConnectionClass k("RoutedPg", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "pg_main", .reading = "pg_main_replica"}));
  return k;
}
sy::ConnectionClass& pg_lagcheck() {
  static sy::ConnectionClass k("RoutedPgLag", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "pg_lagcheck"}));
  return k;
}

sy::ConnectionClass& pg_outsider(bool allowed) {
  static sy::ConnectionClass strict("RoutedPgOutsider", &sy::ConnectionClass::base(), true,
                                    sy::connects_to({.writing = "pg_outsider"}));
  static sy::ConnectionClass lenient("RoutedPgOutsiderAllowed", &sy::ConnectionClass::base(), true,
                                     sy::connects_to({.writing = "pg_outsider_allowed"}));
  return allowed ? lenient : strict;
}

sy::DatabaseConfigurations configs(const std::string& pg_database) {
  nlohmann::ordered_json env;
  env["primary"] = {{"adapter", "sqlite3"}, {"database", file("primary.sqlite3")}};
  env["animals"] = {{"adapter", "sqlite3"},
                    {"database", file("animals.sqlite3")},
                    {"proxy", true},
                    {"proxy_delay", 0.3},
                    {"replicas", nlohmann::json::array({"animals_replica",
                                                        {{"name", "animals_replica_2"}, {"weight", 1}}})}};
  env["animals_replica"] = {{"adapter", "sqlite3"}, {"database", file("animals_r1.sqlite3")}, {"replica", true}};
  env["animals_replica_2"] = {{"adapter", "sqlite3"}, {"database", file("animals_r2.sqlite3")}, {"replica", true}};
  env["flaky"] = {{"adapter", "sqlite3"},
                  {"database", file("flaky.sqlite3")},
                  {"proxy", true},
                  {"proxy_delay", 0},
                  {"circuit_breaker", {{"base_backoff", 0.2}, {"max_backoff", 0.4}}},
                  {"replicas", nlohmann::json::array({"missing_replica", "flaky_replica"})}};
  env["missing_replica"] = {{"adapter", "sqlite3"}, {"database", file("no/such/dir/missing.sqlite3")}, {"replica", true}};
  env["flaky_replica"] = {{"adapter", "sqlite3"}, {"database", file("flaky_r.sqlite3")}, {"replica", true}};
  env["plain"] = {{"adapter", "sqlite3"}, {"database", file("plain.sqlite3")}};
  if (sy::test::pg_available()) {
    auto pg = [&](const sy::test::PgServer& s) {
      return nlohmann::ordered_json{{"adapter", "postgresql"},
                                    {"host", s.host},
                                    {"port", s.port},
                                    {"database", pg_database},
                                    {"username", sy::test::pg_user()},
                                    {"password", sy::test::pg_password()},
                                    {"connect_timeout", 2}};
    };
    auto main = pg(sy::test::pg_primary());
    main["adapter"] = "postgresql_proxy";
    main["replica_probe_interval"] = 0.05;
    main["circuit_breaker"] = {{"base_backoff", 0.2}, {"max_backoff", 1}};
    main["replicas"] = nlohmann::json::array({"pg_main_replica"});
    env["pg_main"] = main;
    auto lag = main;
    lag["max_lag_bytes"] = 1;
    lag["sticky_wait"] = 0;
    env["pg_lagcheck"] = lag;
    auto replica = pg(sy::test::pg_replica());
    replica["replica"] = true;
    env["pg_main_replica"] = replica;
    // A "replica" that is no standby (the independent second primary): a promoted replica looks
    // the same to the probe.
    auto outsider = main;
    outsider["replicas"] = nlohmann::json::array({"pg_not_standby"});
    env["pg_outsider"] = outsider;
    outsider["replicas_must_be_standbys"] = false;
    env["pg_outsider_allowed"] = outsider;
    auto not_standby = pg(sy::test::pg_second());
    not_standby["replica"] = true;
    env["pg_not_standby"] = not_standby;
  }
  nlohmann::ordered_json tree;
  tree["test"] = env;
  return sy::DatabaseConfigurations(tree, "routing-test", "test");
}

void setup(const std::string& pg_database) {
  sy::routing::uninstall();
  sy::routing::reset_session();
  sqlite_file(file("primary.sqlite3"), "primary");
  sqlite_file(file("animals.sqlite3"), "primary");
  sqlite_file(file("animals_r1.sqlite3"), "r1");
  sqlite_file(file("animals_r2.sqlite3"), "r2");
  sqlite_file(file("flaky.sqlite3"), "primary");
  sqlite_file(file("flaky_r.sqlite3"), "r1");
  sqlite_file(file("plain.sqlite3"), "primary");
  auto c = configs(pg_database);
  sy::establish(c, "test");
  sy::routing::install(c, "test");
  sy::routing::reset_metrics();
}

Recorder::Recorder()
    : sub_([this](const sy::instrument::SqlEvent& e) {
        std::lock_guard lock(mutex_);
        events_.push_back({std::string(e.sql), std::string(e.node), std::string(e.route_reason),
                           std::string(e.role), std::string(e.sqlstate), std::string(e.name)});
      }) {}

std::vector<Recorded> Recorder::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

Recorded Recorder::last(const std::string& sql) const {
  std::lock_guard lock(mutex_);
  for (auto it = events_.rbegin(); it != events_.rend(); ++it)
    if (it->sql == sql) return *it;
  return {};
}

void Recorder::clear() {
  std::lock_guard lock(mutex_);
  events_.clear();
}

EventRecorder::EventRecorder()
    : sub_([this](const sy::instrument::Event& e) {
        std::lock_guard lock(mutex_);
        names_.push_back(e.name);
      }) {}

std::vector<std::string> EventRecorder::names() const {
  std::lock_guard lock(mutex_);
  return names_;
}

bool EventRecorder::saw(const std::string& name) const {
  std::lock_guard lock(mutex_);
  for (const auto& n : names_)
    if (n == name) return true;
  return false;
}

sy::Result run(const sy::ConnectionClass& klass, const std::string& sql) {
  return sy::execute(klass, sql, std::span<const sy::Value>{});
}

std::string scalar_text(const sy::Result& r) {
  auto v = r.scalar();
  if (sy::is_null(v)) return "NULL";
  return sy::to_text(v);
}

}  // namespace rt

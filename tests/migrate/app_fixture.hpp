// A throw-away application for migration tests: a root directory with migrations/<db>/ folders
// and a three-tier config (primary, animals, their replicas, a database_tasks: false database).
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "databases.hpp"
#include "switchyard/config/database_configurations.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/migrate/database_tasks.hpp"

namespace sytest {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

inline fs::path fresh_dir(const std::string& label) {
  static std::atomic<int> n{0};
  auto dir = switchyard::test::temp_dir() / (label + "-" + std::to_string(++n));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct App {
  fs::path root;
  ordered_json tree;
  std::string env = "development";

  // SQLite app: files in root/db/.
  static App sqlite(const std::string& label, std::string env = "development") {
    App a;
    a.root = fresh_dir(label);
    a.env = env;
    auto db = [&](const std::string& file) { return (a.root / "db" / file).string(); };
    ordered_json e = ordered_json::object();
    e["primary"] = {{"adapter", "sqlite3"}, {"database", db("primary.sqlite3")}};
    e["primary_replica"] = {{"adapter", "sqlite3"}, {"database", db("primary.sqlite3")}, {"replica", true}};
    e["animals"] = {{"adapter", "sqlite3"}, {"database", db("animals.sqlite3")}};
    e["animals_replica"] = {{"adapter", "sqlite3"}, {"database", db("animals.sqlite3")}, {"replica", true}};
    e["legacy"] = {{"adapter", "sqlite3"}, {"database", db("legacy.sqlite3")}, {"database_tasks", false}};
    a.tree[env] = e;
    fs::create_directories(a.root / "db");
    return a;
  }

  // PostgreSQL app: primary -> `prefix`_main, animals -> `prefix`_animals (created fresh), replicas
  // on the standby, legacy on the second primary with database_tasks: false.
  static App postgresql(const std::string& prefix, std::string env = "development") {
    namespace t = switchyard::test;
    t::fresh_pg_database(prefix + "_main");
    t::fresh_pg_database(prefix + "_animals");
    App a;
    a.root = fresh_dir(prefix);
    a.env = env;
    auto pg = [&](const t::PgServer& s, const std::string& db) {
      return ordered_json{{"adapter", "postgresql"}, {"host", s.host},         {"port", s.port},
                          {"database", db},          {"username", t::pg_user()}, {"password", t::pg_password()}};
    };
    ordered_json e = ordered_json::object();
    e["primary"] = pg(t::pg_primary(), prefix + "_main");
    e["primary_replica"] = pg(t::pg_replica(), prefix + "_main");
    e["primary_replica"]["replica"] = true;
    e["animals"] = pg(t::pg_primary(), prefix + "_animals");
    e["animals_replica"] = pg(t::pg_replica(), prefix + "_animals");
    e["animals_replica"]["replica"] = true;
    e["legacy"] = pg(t::pg_second(), prefix + "_main");
    e["legacy"]["database_tasks"] = false;
    a.tree[env] = e;
    return a;
  }

  switchyard::DatabaseConfigurations configurations() const {
    return switchyard::DatabaseConfigurations(tree, (root / "config" / "database.json").string(), env);
  }

  switchyard::DatabaseConfig config(const std::string& name) const {
    return *configurations().find(env, name, true);
  }

  switchyard::migrate::DatabaseTasks tasks(std::ostream* out = nullptr,
                                           switchyard::migrate::TaskOptions options = {}) const {
    options.root = root;
    options.out = out;
    return switchyard::migrate::DatabaseTasks(configurations(), options);
  }

  // Writes migrations/<db>/<version>_<name>.up.sql (and .down.sql when `down` is not empty).
  void migration(const std::string& db, const std::string& version, const std::string& name,
                 const std::string& up, const std::string& down = "") const {
    auto dir = root / "migrations" / db;
    fs::create_directories(dir);
    switchyard::test::write_file(dir, version + "_" + name + ".up.sql", up);
    if (!down.empty()) switchyard::test::write_file(dir, version + "_" + name + ".down.sql", down);
  }

  // Writes config/database.json for the CLI.
  fs::path write_config() const {
    fs::create_directories(root / "config");
    return switchyard::test::write_file(root / "config", "database.json", tree.dump(2));
  }

  std::unique_ptr<switchyard::Connection> connect(const std::string& name) const {
    return switchyard::open_connection(config(name), {"test"});
  }

  // schema_migrations versions of `name`, comma-separated in ascending order.
  std::string versions(const std::string& name) const {
    auto c = connect(name);
    auto r = c->execute("SELECT version FROM schema_migrations ORDER BY length(version), version");
    std::string out;
    for (const auto& row : r.rows) out += (out.empty() ? "" : ",") + switchyard::to_text(row[0]);
    return out;
  }

  bool has_table(const std::string& name, const std::string& table) const {
    auto c = connect(name);
    if (c->dialect() == switchyard::sql::Dialect::postgresql)
      return !c->execute("SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = $1",
                         {switchyard::Value{table}})
                  .empty();
    return !c->execute("SELECT 1 FROM sqlite_master WHERE name = $1", {switchyard::Value{table}}).empty();
  }
};

}  // namespace sytest

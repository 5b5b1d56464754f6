#include "reliability_support.hpp"

namespace rel {

SqliteApp::SqliteApp(const std::string& name) {
  const auto file = (sy::test::temp_dir() / (name + ".sqlite3")).string();
  std::filesystem::remove(file);
  nlohmann::ordered_json s = {{"adapter", "sqlite3"}, {"database", file}};
  nlohmann::ordered_json config;
  config["rel"] = {{"primary", s}, {"rel", s}};
  sy::establish(sy::DatabaseConfigurations(config, name + ".json", "rel"), "rel");
}

PgApp::PgApp(const std::string& name, nlohmann::json extra) {
  sy::test::fresh_pg_database(name);
  const auto server = sy::test::pg_primary();
  settings = {{"adapter", "postgresql"},
              {"host", server.host},
              {"port", server.port},
              {"database", name},
              {"username", sy::test::pg_user()},
              {"password", sy::test::pg_password()}};
  for (const auto& [k, v] : extra.items()) settings[k] = v;
  nlohmann::ordered_json config;
  config["rel"] = {{"primary", settings}, {"rel", settings}};
  sy::establish(sy::DatabaseConfigurations(config, name + ".json", "rel"), "rel");
}

}  // namespace rel

// All database configurations of an application: environment → database name → settings, loaded
// from config/database.json or config/database.yml (Rails' format), with `${VAR}` interpolation,
// DATABASE_URL / NAME_DATABASE_URL merging and validation of every key. See docs/configuration.md.
//
// The current environment (the one passed to the loader) is resolved strictly: any error throws
// at load. Other environments are resolved too, but their errors are kept and thrown only when
// that environment is asked for, so a missing ${PRODUCTION_PASSWORD} does not stop development.
#pragma once

#include "switchyard/config/database_config.hpp"

#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard {

namespace detail {
struct SourceMarks;  // line/column of each key of a YAML file, for error messages
}

class DatabaseConfigurations {
 public:
  DatabaseConfigurations() = default;
  // From a parsed tree. Environments and databases keep the tree's key order, which decides the
  // primary rule; a plain nlohmann::json sorts its keys, so prefer ordered_json.
  explicit DatabaseConfigurations(const nlohmann::ordered_json& tree, std::string source = "<json>",
                                  std::string env = current_env());
  explicit DatabaseConfigurations(const nlohmann::json& tree, std::string source = "<json>",
                                  std::string env = current_env());

  // .json, .yml or .yaml by extension. Throws ConfigurationError (unreadable file, syntax error
  // with line and column, invalid settings) or AdapterNotSpecified.
  static DatabaseConfigurations load_file(const std::filesystem::path& path,
                                          std::string env = current_env());
  static DatabaseConfigurations parse_json(std::string_view text, std::string source,
                                           std::string env = current_env());
  static DatabaseConfigurations parse_yaml(std::string_view text, std::string source,
                                           std::string env = current_env());

  // SWITCHYARD_ENV, else "development" (an empty SWITCHYARD_ENV is ignored).
  static std::string current_env();

  // The environment this set was resolved for.
  const std::string& env() const noexcept { return env_; }
  // Every environment, in file order (including one synthesised from DATABASE_URL).
  std::vector<std::string> environments() const;
  bool has_environment(const std::string& env) const;

  // The configs of `env` in file order; hidden ones (replica: true, database_tasks: false) only
  // with include_hidden. Throws ConfigurationError for an unknown environment (listing the known
  // ones) or for an environment whose settings are invalid.
  std::vector<DatabaseConfig> configs_for(const std::string& env, bool include_hidden = false) const;
  // One config by name, or nullopt.
  std::optional<DatabaseConfig> configs_for(const std::string& env, const std::string& name,
                                            bool include_hidden = false) const;
  // Without this, configs_for(env, "animals") would pick the bool overload.
  std::optional<DatabaseConfig> configs_for(const std::string& env, const char* name,
                                            bool include_hidden = false) const {
    return configs_for(env, std::string(name), include_hidden);
  }
  // Like configs_for by name, but hidden configs are found by default.
  std::optional<DatabaseConfig> find(const std::string& env, const std::string& name,
                                     bool include_hidden = true) const;

  // `name` in the current environment (hidden configs included). When `name` is instead an
  // environment, that environment's primary config (Rails' find_db_config). Otherwise throws
  // AdapterNotSpecified listing what is configured.
  DatabaseConfig resolve(const std::string& name) const;

  // The config named "primary", else the first config of `env` in file order; nullopt when the
  // environment has none.
  std::optional<DatabaseConfig> primary(const std::string& env) const;
  std::optional<DatabaseConfig> primary() const { return primary(env_); }
  bool is_primary(const DatabaseConfig& config) const;

  // File the schema is dumped to: the `schema_dump` setting, else "structure.sql" for the primary
  // config and "NAME_structure.sql" otherwise; nullopt when `schema_dump: false`.
  std::optional<std::string> schema_dump_path(const DatabaseConfig& config) const;

  bool empty() const noexcept { return envs_.empty(); }

 private:
  struct Environment {
    std::string name;
    std::vector<std::string> database_names;  // as written, even when resolution failed
    std::vector<DatabaseConfig> configs;
    std::exception_ptr error;  // rethrown when this environment is used
  };

  void build(const nlohmann::ordered_json& tree, const detail::SourceMarks* marks);
  // DATABASE_URL alone configures `primary` when the current environment has no database.
  void synthesize_from_database_url();
  const Environment* environment(const std::string& name) const;
  const Environment& usable_environment(const std::string& name) const;
  std::string available_summary() const;

  std::string source_;
  std::string env_;
  std::vector<Environment> envs_;
};

}  // namespace switchyard

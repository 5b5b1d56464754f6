// One named database of one environment: the resolved settings of a `database.yml` entry, after
// merge keys, `${VAR}` interpolation and DATABASE_URL / NAME_DATABASE_URL have been applied.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace switchyard {

class DatabaseConfig {
 public:
  DatabaseConfig() = default;
  DatabaseConfig(std::string env_name, std::string name, nlohmann::json settings,
                 std::string source);

  const std::string& env_name() const noexcept { return env_name_; }
  const std::string& name() const noexcept { return name_; }
  // Where it came from: a file path, or "DATABASE_URL" / "ANIMALS_DATABASE_URL".
  const std::string& source() const noexcept { return source_; }
  // The merged settings, password included: never print this, print redacted() instead.
  const nlohmann::json& settings() const noexcept { return settings_; }

  std::string adapter() const;  // "postgresql" or "sqlite3"
  std::optional<std::string> string(const std::string& key) const;
  bool replica() const;         // `replica: true`
  bool database_tasks() const;  // !replica && database_tasks != false
  bool hidden() const { return !database_tasks(); }

  int pool() const;                                // default 5
  double checkout_timeout() const;                 // seconds, default 5
  std::optional<double> idle_timeout() const;      // seconds, default 300; <= 0 means never
  std::optional<double> reaping_frequency() const; // seconds, default 60; <= 0 means never
  std::optional<double> max_lifetime() const;      // seconds, default none
  std::vector<std::string> migrations_paths() const;  // default {"migrations/<name>"}
  // Schema dump file name; nullopt when `schema_dump: false`. Default per Rails' primary rule is
  // decided by DatabaseConfigurations, which knows which config is primary.
  std::optional<std::string> schema_dump() const;
  bool schema_dump_disabled() const;

  // The settings with every secret replaced by "[FILTERED]", safe to print or log.
  nlohmann::json redacted() const;
  // "production/animals (config/database.yml)" for messages.
  std::string describe() const;

 private:
  std::string env_name_;
  std::string name_;
  nlohmann::json settings_ = nlohmann::json::object();
  std::string source_;
};

}  // namespace switchyard

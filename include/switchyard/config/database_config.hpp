// One named database of one environment: the resolved settings of a `database.yml` entry, after
// merge keys, `${VAR}` interpolation and DATABASE_URL / NAME_DATABASE_URL have been applied.
#pragma once

#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

  std::string adapter() const;  // "postgresql", "postgresql_proxy" or "sqlite3"
  // A setting as text (numbers and booleans rendered); nullopt when unset or null.
  std::optional<std::string> string(const std::string& key) const;
  // Typed access for settings validated at load; nullopt when unset, null or of another type.
  std::optional<bool> boolean(const std::string& key) const;
  std::optional<std::int64_t> integer(const std::string& key) const;
  std::optional<double> number(const std::string& key) const;
  // The raw value, or nullptr when unset.
  const nlohmann::json* get(const std::string& key) const;
  bool has(const std::string& key) const { return get(key) != nullptr; }
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

  // The settings with every secret replaced by "[FILTERED]", safe to print or log: password-like
  // keys at any depth (password, sslpassword, *_secret, *token ...) and passwords inside URLs.
  nlohmann::json redacted() const;
  // True for keys whose value is a secret (case-insensitive): *password*, *passwd*, *secret*,
  // *token*, api_key.
  static bool is_secret_key(std::string_view key);
  // "production/animals (config/database.yml)" for messages.
  std::string describe() const;

 private:
  std::string env_name_;
  std::string name_;
  nlohmann::json settings_ = nlohmann::json::object();
  std::string source_;
};

}  // namespace switchyard

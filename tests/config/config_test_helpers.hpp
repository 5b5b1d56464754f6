// Helpers for the config tests: scoped environment variables and error-message capture.
#pragma once

#include "databases.hpp"
#include "error_text.hpp"
#include "switchyard/config/database_configurations.hpp"
#include "switchyard/config/known_settings.hpp"
#include "switchyard/errors.hpp"

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::test {

// Variables the loader reads, cleared once at start-up so the caller's shell cannot change results.
inline const bool kEnvironmentCleared = [] {
  for (const char* name : {"SWITCHYARD_ENV", "DATABASE_URL", "PRIMARY_DATABASE_URL", "ANIMALS_DATABASE_URL",
                           "ANIMALS_REPLICA_DATABASE_URL", "DB_PASSWORD", "DB_REPLICA_HOST", "DB_HOST",
                           "DB_PORT", "DB_USER", "DB_SSLMODE", "DB_POOL"})
    ::unsetenv(name);
  return true;
}();

// Sets (or, with nullopt, unsets) an environment variable and restores it on scope exit.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) ::setenv(name_.c_str(), value->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_.c_str(), old_->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// The message of the ConfigurationError (or subclass E) `fn` throws; fails the test otherwise.
template <class E = ConfigurationError>
std::string error_of(const std::function<void()>& fn) {
  return error_text<E>(fn);
}

inline DatabaseConfigurations yaml(const std::string& text, const std::string& env = "development") {
  return DatabaseConfigurations::parse_yaml(text, "config/database.yml", env);
}

inline DatabaseConfigurations json(const std::string& text, const std::string& env = "development") {
  return DatabaseConfigurations::parse_json(text, "config/database.json", env);
}

inline std::vector<std::string> names(const std::vector<DatabaseConfig>& configs) {
  std::vector<std::string> out;
  for (const auto& c : configs) out.push_back(c.name());
  return out;
}

}  // namespace switchyard::test

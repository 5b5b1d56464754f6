#include "switchyard/config/database_config.hpp"

#include "switchyard/errors.hpp"

namespace switchyard {
namespace {

std::optional<double> seconds(const nlohmann::json& s, const char* key, std::optional<double> dflt) {
  if (!s.contains(key) || s[key].is_null()) return dflt;
  double v = s[key].get<double>();
  if (v <= 0) return std::nullopt;
  return v;
}

bool is_secret_key(const std::string& key) {
  return key == "password" || key == "passwd" || key == "secret" || key == "sslpassword" ||
         key == "cookie_secret";
}

}  // namespace

DatabaseConfig::DatabaseConfig(std::string env_name, std::string name, nlohmann::json settings,
                               std::string source)
    : env_name_(std::move(env_name)),
      name_(std::move(name)),
      settings_(std::move(settings)),
      source_(std::move(source)) {}

std::string DatabaseConfig::adapter() const {
  auto a = string("adapter");
  if (!a) throw AdapterNotSpecified("database configuration does not specify adapter (" + describe() + ")");
  return *a;
}

std::optional<std::string> DatabaseConfig::string(const std::string& key) const {
  if (!settings_.contains(key) || settings_[key].is_null()) return std::nullopt;
  const auto& v = settings_[key];
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

bool DatabaseConfig::replica() const { return settings_.value("replica", false); }

bool DatabaseConfig::database_tasks() const {
  return !replica() && settings_.value("database_tasks", true);
}

int DatabaseConfig::pool() const { return settings_.value("pool", 5); }
double DatabaseConfig::checkout_timeout() const { return settings_.value("checkout_timeout", 5.0); }
std::optional<double> DatabaseConfig::idle_timeout() const {
  return seconds(settings_, "idle_timeout", 300.0);
}
std::optional<double> DatabaseConfig::reaping_frequency() const {
  return seconds(settings_, "reaping_frequency", 60.0);
}
std::optional<double> DatabaseConfig::max_lifetime() const {
  return seconds(settings_, "max_lifetime", std::nullopt);
}

std::vector<std::string> DatabaseConfig::migrations_paths() const {
  if (!settings_.contains("migrations_paths")) return {"migrations/" + name_};
  const auto& v = settings_["migrations_paths"];
  if (v.is_string()) return {v.get<std::string>()};
  return v.get<std::vector<std::string>>();
}

std::optional<std::string> DatabaseConfig::schema_dump() const {
  if (schema_dump_disabled()) return std::nullopt;
  return string("schema_dump");
}

bool DatabaseConfig::schema_dump_disabled() const {
  return settings_.contains("schema_dump") &&
         (settings_["schema_dump"].is_null() ||
          (settings_["schema_dump"].is_boolean() && !settings_["schema_dump"].get<bool>()));
}

nlohmann::json DatabaseConfig::redacted() const {
  nlohmann::json out = settings_;
  for (auto& [key, value] : out.items())
    if (is_secret_key(key) && !value.is_null()) value = "[FILTERED]";
  if (out.contains("url") && out["url"].is_string()) {
    // postgresql://user:secret@host -> postgresql://user:[FILTERED]@host
    auto url = out["url"].get<std::string>();
    auto scheme = url.find("://");
    auto at = url.find('@', scheme == std::string::npos ? 0 : scheme + 3);
    if (scheme != std::string::npos && at != std::string::npos) {
      auto colon = url.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at)
        url = url.substr(0, colon + 1) + "[FILTERED]" + url.substr(at);
    }
    out["url"] = url;
  }
  return out;
}

std::string DatabaseConfig::describe() const {
  return env_name_ + "/" + name_ + (source_.empty() ? "" : " (" + source_ + ")");
}

}  // namespace switchyard

#include "switchyard/config/database_config.hpp"

#include "switchyard/config/database_url.hpp"
#include "switchyard/errors.hpp"

#include <algorithm>
#include <cctype>

namespace switchyard {
namespace {

std::optional<double> seconds(const nlohmann::json& s, const char* key, std::optional<double> dflt) {
  if (!s.contains(key) || s[key].is_null()) return dflt;
  if (!s[key].is_number()) return dflt;  // validated at load; a hand-built config falls back
  double v = s[key].get<double>();
  if (v <= 0) return std::nullopt;
  return v;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Secrets may hide at any depth (replicas[*].password, a url inside circuit_breaker, ...).
void redact_in_place(nlohmann::json& value) {
  if (value.is_object()) {
    for (auto& [key, item] : value.items()) {
      if (DatabaseConfig::is_secret_key(key) && !item.is_null()) item = "[FILTERED]";
      else redact_in_place(item);
    }
  } else if (value.is_array()) {
    for (auto& item : value) redact_in_place(item);
  } else if (value.is_string() && looks_like_database_url(value.get_ref<const std::string&>())) {
    value = redact_database_url(value.get_ref<const std::string&>());
  }
}

}  // namespace

DatabaseConfig::DatabaseConfig(std::string env_name, std::string name, nlohmann::json settings,
                               std::string source)
    : env_name_(std::move(env_name)),
      name_(std::move(name)),
      settings_(std::move(settings)),
      source_(std::move(source)) {}

bool DatabaseConfig::is_secret_key(std::string_view key) {
  auto k = lower(key);
  for (const char* word : {"password", "passwd", "secret", "token"})
    if (k.find(word) != std::string::npos) return true;
  return k == "api_key" || k == "apikey" || k == "pass" || k == "pwd";
}

std::string DatabaseConfig::adapter() const {
  auto a = string("adapter");
  if (!a) throw AdapterNotSpecified("database configuration does not specify adapter (" + describe() + ")");
  return *a;
}

const nlohmann::json* DatabaseConfig::get(const std::string& key) const {
  auto it = settings_.find(key);
  return it == settings_.end() ? nullptr : &*it;
}

std::optional<std::string> DatabaseConfig::string(const std::string& key) const {
  const auto* v = get(key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  return v->dump();
}

std::optional<bool> DatabaseConfig::boolean(const std::string& key) const {
  const auto* v = get(key);
  return v && v->is_boolean() ? std::optional<bool>(v->get<bool>()) : std::nullopt;
}

std::optional<std::int64_t> DatabaseConfig::integer(const std::string& key) const {
  const auto* v = get(key);
  return v && v->is_number_integer() ? std::optional<std::int64_t>(v->get<std::int64_t>())
                                      : std::nullopt;
}

std::optional<double> DatabaseConfig::number(const std::string& key) const {
  const auto* v = get(key);
  return v && v->is_number() ? std::optional<double>(v->get<double>()) : std::nullopt;
}

bool DatabaseConfig::replica() const { return boolean("replica").value_or(false); }

bool DatabaseConfig::database_tasks() const {
  return !replica() && boolean("database_tasks").value_or(true);
}

int DatabaseConfig::pool() const { return static_cast<int>(integer("pool").value_or(5)); }
double DatabaseConfig::checkout_timeout() const { return number("checkout_timeout").value_or(5.0); }
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
  const auto* v = get("migrations_paths");
  if (!v || v->is_null()) return {"migrations/" + name_};
  if (v->is_string()) return {v->get<std::string>()};
  return v->get<std::vector<std::string>>();
}

std::optional<std::string> DatabaseConfig::schema_dump() const {
  if (schema_dump_disabled()) return std::nullopt;
  return string("schema_dump");
}

bool DatabaseConfig::schema_dump_disabled() const {
  const auto* v = get("schema_dump");
  return v && (v->is_null() || (v->is_boolean() && !v->get<bool>()));
}

nlohmann::json DatabaseConfig::redacted() const {
  nlohmann::json out = settings_;
  redact_in_place(out);
  return out;
}

std::string DatabaseConfig::describe() const {
  return env_name_ + "/" + name_ + (source_.empty() ? "" : " (" + source_ + ")");
}

}  // namespace switchyard

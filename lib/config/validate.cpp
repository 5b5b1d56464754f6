#include "validate.hpp"

#include "lexical.hpp"
#include "switchyard/config/database_config.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

namespace switchyard::detail {
namespace {

using ordered_json = nlohmann::ordered_json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::int64_t> integer_of(const ordered_json& v) {
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9e15) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  const char* begin = s.data() + (!s.empty() && s[0] == '+' ? 1 : 0);
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size() || begin == end) return std::nullopt;
  return out;
}

std::optional<double> number_of(const ordered_json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nullopt;
  return parse_decimal(v.get_ref<const std::string&>());
}

std::optional<bool> bool_of(const ordered_json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer() && (v.get<std::int64_t>() == 0 || v.get<std::int64_t>() == 1))
    return v.get<std::int64_t>() == 1;
  if (!v.is_string()) return std::nullopt;
  auto s = lower(v.get_ref<const std::string&>());
  if (s == "true" || s == "1") return true;
  if (s == "false" || s == "0") return false;
  return std::nullopt;
}

std::optional<ordered_json> choice_of(const SettingSpec& spec, const ordered_json& v) {
  if (!v.is_string()) return std::nullopt;
  auto s = lower(v.get_ref<const std::string&>());
  for (auto choice : spec.choices)
    if (s == choice) return std::string(choice);
  return std::nullopt;
}

std::optional<ordered_json> in_range(std::optional<std::int64_t> v, std::int64_t lo, std::int64_t hi) {
  if (!v || *v < lo || *v > hi) return std::nullopt;
  return *v;
}

std::optional<ordered_json> string_list(const ordered_json& v) {
  if (v.is_string()) return ordered_json::array({v});
  if (!v.is_array()) return std::nullopt;
  for (const auto& item : v)
    if (!item.is_string()) return std::nullopt;
  return v;
}

std::optional<ordered_json> string_or_false(const ordered_json& v) {
  if (v.is_null() || (v.is_boolean() && !v.get<bool>())) return v;
  if (!v.is_string()) return std::nullopt;
  if (lower(v.get_ref<const std::string&>()) == "false") return false;
  return v;
}

// A short description of a rejected value. Strings are quoted only for non-secret keys.
std::string shown(const std::string& key, const ordered_json& v) {
  if (v.is_string()) {
    if (DatabaseConfig::is_secret_key(key)) return "a string";
    auto s = v.get<std::string>();
    return "\"" + (s.size() > 40 ? s.substr(0, 40) + "..." : s) + "\"";
  }
  if (v.is_object()) return "a mapping";
  if (v.is_array()) return "a list";
  return v.dump();
}

const std::vector<std::string>& known_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const auto& s : known_settings()) out.emplace_back(s.key);
    return out;
  }();
  return keys;
}

std::string joined(std::span<const std::string_view> items) {
  std::string out;
  for (auto item : items) out += (out.empty() ? "" : ", ") + std::string(item);
  return out;
}

std::string type_problem(const SettingSpec& spec, const std::string& key, const ordered_json& v) {
  if (spec.type != SettingType::Choice)
    return "expected " + std::string(describe_type(spec)) + ", got " + shown(key, v);
  std::vector<std::string> choices(spec.choices.begin(), spec.choices.end());
  std::string hint = v.is_string() ? did_you_mean(lower(v.get<std::string>()), choices) : "";
  return "expected one of " + joined(spec.choices) + ", got " + shown(key, v) + hint;
}

bool applies(SettingScope scope, const std::string& adapter) {
  if (scope == SettingScope::PostgreSQL) return adapter == "postgresql" || adapter == "postgresql_proxy";
  if (scope == SettingScope::SQLite) return adapter == "sqlite3";
  return true;
}

std::string check_adapter(const ordered_json& settings,
                          const std::function<Location(const std::string&)>& at) {
  if (!settings.contains("adapter") || settings["adapter"].is_null())
    fail_adapter(at("adapter"), "database configuration does not specify adapter");
  const auto& v = settings["adapter"];
  if (!v.is_string()) fail(at("adapter"), "expected a string, got " + shown("adapter", v));
  auto name = lower(v.get<std::string>());
  if (name == "postgres") name = "postgresql";
  for (auto known : available_adapters())
    if (name == known) return name;
  std::vector<std::string> names(available_adapters().begin(), available_adapters().end());
  fail(at("adapter"), "unknown adapter " + shown("adapter", v) + "; available adapters: " +
                          joined(available_adapters()) + did_you_mean(name, names));
}

void check_variables(const ordered_json& vars, const std::function<Location(const std::string&)>& at) {
  for (const auto& [name, value] : vars.items()) {
    auto where = at("variables");
    where.key += "." + name;
    if (!is_identifier(name, ".")) fail(where, "not a valid PostgreSQL setting name");
    if (value.is_object() || value.is_array())
      fail(where, "expected a string, number or boolean, got " + shown(name, value));
  }
}

void check_replicas(const ordered_json& replicas, const std::function<Location(const std::string&)>& at) {
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    if (replicas[i].is_string() || replicas[i].is_object()) continue;
    auto where = at("replicas");
    where.key += "[" + std::to_string(i) + "]";
    fail(where, "expected a database name or a mapping, got " + shown("replicas", replicas[i]));
  }
}

}  // namespace

std::optional<ordered_json> coerce(const SettingSpec& spec, const ordered_json& v) {
  using T = SettingType;
  switch (spec.type) {
    case T::String:
      if (v.is_string()) return v;
      if (v.is_number()) return v.dump();  // `password: 12345` in YAML is an integer
      return std::nullopt;
    case T::Boolean: {
      auto b = bool_of(v);
      return b ? std::optional<ordered_json>(*b) : std::nullopt;
    }
    case T::Integer: {
      auto i = integer_of(v);
      return i ? std::optional<ordered_json>(*i) : std::nullopt;
    }
    case T::PositiveInteger: return in_range(integer_of(v), 1, INT64_MAX);
    case T::NonNegativeInteger: return in_range(integer_of(v), 0, INT64_MAX);
    case T::Port: return in_range(integer_of(v), 1, 65535);
    case T::Seconds: {
      auto d = number_of(v);
      return d && *d >= 0 ? std::optional<ordered_json>(*d) : std::nullopt;
    }
    case T::Number: {
      auto d = number_of(v);
      return d ? std::optional<ordered_json>(*d) : std::nullopt;
    }
    case T::IntegerOrString:
      if (auto i = integer_of(v)) return *i;
      return v.is_string() ? std::optional<ordered_json>(v) : std::nullopt;
    case T::StringOrFalse: return string_or_false(v);
    case T::StringList: return string_list(v);
    case T::Choice: return choice_of(spec, v);
    case T::Object: return v.is_object() ? std::optional<ordered_json>(v) : std::nullopt;
    case T::Array: return v.is_array() ? std::optional<ordered_json>(v) : std::nullopt;
  }
  return std::nullopt;
}

ordered_json validate_settings(const ordered_json& settings,
                               const std::function<Location(const std::string&)>& at) {
  const std::string adapter = check_adapter(settings, at);
  ordered_json out = ordered_json::object();
  for (const auto& [key, value] : settings.items()) {
    if (key == "adapter") continue;  // checked and normalized above
    const SettingSpec* spec = find_setting(key);
    if (!spec) fail(at(key), "unknown setting '" + key + "'" + did_you_mean(key, known_keys()));
    if (!applies(spec->scope, adapter))
      fail(at(key), "'" + key + "' is a " +
                        (spec->scope == SettingScope::SQLite ? "sqlite3" : "postgresql") +
                        " setting and does not apply to adapter '" + adapter + "'");
    if (value.is_null()) {  // `password:` with nothing after it: unset
      out[key] = nullptr;
      continue;
    }
    auto normalized = coerce(*spec, value);
    if (!normalized) fail(at(key), type_problem(*spec, key, value));
    if (key == "variables") check_variables(*normalized, at);
    if (key == "replicas") check_replicas(*normalized, at);
    out[key] = std::move(*normalized);
  }
  out["adapter"] = adapter;
  if (adapter == "sqlite3" && (!out.contains("database") || !out["database"].is_string() ||
                               out["database"].get<std::string>().empty()))
    fail(at("database"), "an sqlite3 database needs 'database' (a file path, or :memory:)");
  return out;
}

}  // namespace switchyard::detail

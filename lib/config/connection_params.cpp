#include "switchyard/config/connection_params.hpp"

#include "switchyard/errors.hpp"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <utility>

namespace switchyard {
namespace {

bool is_postgresql(const std::string& adapter) {
  return adapter == "postgresql" || adapter == "postgresql_proxy";
}

void require_adapter(const DatabaseConfig& config, bool postgresql, const char* what) {
  const auto adapter = config.adapter();
  if (is_postgresql(adapter) != postgresql)
    throw ConfigurationError(config.describe() + ": " + what + " needs " +
                             (postgresql ? "a postgresql" : "an sqlite3") + " config, not adapter '" +
                             adapter + "'");
}

// libpq conninfo value: single-quoted, with ' and \ backslash-escaped, when it is empty or holds
// whitespace, a quote or a backslash.
std::string conninfo_value(const std::string& value) {
  bool plain = !value.empty();
  for (unsigned char c : value)
    if (std::isspace(c) || c == '\'' || c == '\\') plain = false;
  if (plain) return value;
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// One word of the server's `options` (split on whitespace, backslash escapes the next character).
std::string option_word(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isspace(c) || c == '\\') out += '\\';
    out += static_cast<char>(c);
  }
  return out;
}

std::string guc_value(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "on" : "off";
  return v.dump();
}

// `options`: the raw setting, then one `-c name=value` per server setting.
std::string server_options(const DatabaseConfig& config, bool read_only) {
  std::string out = config.string("options").value_or("");
  auto add = [&](const std::string& name, const std::string& value) {
    out += (out.empty() ? "" : " ") + std::string("-c ") + name + "=" + option_word(value);
  };
  if (auto v = config.string("statement_timeout")) add("statement_timeout", *v);
  if (auto v = config.string("schema_search_path")) add("search_path", *v);
  if (const auto* vars = config.get("variables"); vars && vars->is_object())
    for (const auto& [name, value] : vars->items())
      if (!value.is_null() && value != "default") add(name, guc_value(value));  // Rails: default = leave
  if (read_only) add("default_transaction_read_only", "on");
  return out;
}

std::string client_encoding(const std::string& encoding) {
  std::string upper;
  for (unsigned char c : encoding) upper += static_cast<char>(std::toupper(c));
  return upper == "UNICODE" ? "UTF8" : encoding;  // Rails templates say `encoding: unicode`
}

std::string build_conninfo(const DatabaseConfig& config, bool read_only, bool redact) {
  require_adapter(config, true, "pg_conninfo");
  std::string out;
  auto add = [&](const char* key, const std::optional<std::string>& value) {
    if (!value) return;
    out += (out.empty() ? "" : " ") + std::string(key) + "=" + conninfo_value(*value);
  };
  add("host", config.string("host"));
  add("port", config.string("port"));
  add("dbname", config.string("database"));
  add("user", config.string("username"));
  if (config.string("password")) add("password", redact ? "[FILTERED]" : config.string("password"));
  for (const char* key : {"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout",
                          "application_name", "target_session_attrs"})
    add(key, config.string(key));
  if (auto keepalives = config.boolean("keepalives")) add("keepalives", *keepalives ? "1" : "0");
  add("keepalives_idle", config.string("keepalives_idle"));
  if (auto encoding = config.string("encoding")) add("client_encoding", client_encoding(*encoding));
  auto options = server_options(config, read_only);
  if (!options.empty()) add("options", options);
  return out;
}

}  // namespace

std::string pg_conninfo(const DatabaseConfig& config, bool read_only) {
  return build_conninfo(config, read_only, false);
}

std::string pg_conninfo_redacted(const DatabaseConfig& config, bool read_only) {
  return build_conninfo(config, read_only, true);
}

std::string sqlite_path(const DatabaseConfig& config) {
  require_adapter(config, false, "sqlite_path");
  auto database = config.string("database");
  if (!database || database->empty())
    throw ConfigurationError(config.describe() + ": an sqlite3 database needs 'database'");
  if (*database == ":memory:" || database->rfind("file:", 0) == 0) return *database;
  return std::filesystem::absolute(*database).lexically_normal().string();
}

std::string sqlite_soci_connect_string(const DatabaseConfig& config, bool read_only) {
  auto path = sqlite_path(config);
  // SOCI splits on spaces and understands only "..." around a value, with no escape for '"'.
  if (path.find(' ') != std::string::npos) {
    if (path.find('"') != std::string::npos)
      throw ConfigurationError(config.describe() +
                               ": SOCI cannot open an sqlite3 path containing both a space and '\"'");
    path = "\"" + path + "\"";
  }
  auto ms = config.integer("busy_timeout").value_or(config.integer("timeout").value_or(5000));
  auto seconds = (ms + 999) / 1000;  // SOCI takes whole seconds; never shorten the wait
  std::string out = "db=" + path + " timeout=" + std::to_string(seconds);
  if (read_only) out += " readonly=1";
  if (auto sync = config.string("synchronous")) out += " synchronous=" + *sync;
  return out;
}

std::vector<std::string> sqlite_pragmas(const DatabaseConfig& config) {
  require_adapter(config, false, "sqlite_pragmas");
  std::vector<std::string> out;
  // Rails turns foreign keys on for SQLite unless told otherwise; so do we.
  out.push_back(std::string("PRAGMA foreign_keys = ") +
                (config.boolean("foreign_keys").value_or(true) ? "ON" : "OFF"));
  if (auto mode = config.string("journal_mode")) out.push_back("PRAGMA journal_mode = " + *mode);
  return out;
}

}  // namespace switchyard

#include "switchyard/config/database_configurations.hpp"

#include "interpolation.hpp"
#include "location.hpp"
#include "source_document.hpp"
#include "switchyard/config/database_url.hpp"
#include "switchyard/errors.hpp"
#include "validate.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace switchyard {
namespace {

using ordered_json = nlohmann::ordered_json;
using detail::Location;

std::optional<std::string> env_var(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v && *v ? std::optional<std::string>(v) : std::nullopt;
}

// "animals_replica" → "ANIMALS_REPLICA_DATABASE_URL"; other characters become '_'.
std::string url_variable(const std::string& name) {
  std::string out;
  for (unsigned char c : name) out += std::isalnum(c) ? static_cast<char>(std::toupper(c)) : '_';
  return out + "_DATABASE_URL";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Every string stored under a password-like key, at any depth: these are scrubbed from messages.
void collect_secrets(const ordered_json& value, std::vector<std::string>& out) {
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (DatabaseConfig::is_secret_key(key) && item.is_string()) out.push_back(item.get<std::string>());
      else collect_secrets(item, out);
    }
  } else if (value.is_array()) {
    for (const auto& item : value) collect_secrets(item, out);
  }
}

[[noreturn]] void rethrow_scrubbed(const ConfigurationError& e, const std::vector<std::string>& secrets) {
  auto message = detail::scrub(e.what(), secrets);
  if (dynamic_cast<const AdapterNotSpecified*>(&e)) throw AdapterNotSpecified(message);
  throw ConfigurationError(message);
}

// {variable, URL} for database `name`: NAME_DATABASE_URL, and DATABASE_URL for primary (Rails).
std::optional<std::pair<std::string, std::string>> environment_url(const std::string& name) {
  auto var = url_variable(name);
  if (auto url = env_var(var)) return std::pair{var, *url};
  if (name != "primary") return std::nullopt;
  if (auto url = env_var("DATABASE_URL")) return std::pair{std::string("DATABASE_URL"), *url};
  return std::nullopt;
}

// One database entry of one environment, as written, before resolution.
struct Entry {
  std::string name;
  ordered_json settings;
  std::string pointer;  // "/production/animals": where its keys are in SourceMarks
};

// Resolves entries of one environment: interpolation, URLs, validation.
class EntryResolver {
 public:
  EntryResolver(std::string source, std::string env, const detail::SourceMarks* marks, bool current)
      : source_(std::move(source)), env_(std::move(env)), marks_(marks), current_(current) {}

  DatabaseConfig resolve(const Entry& entry) const {
    std::vector<std::string> secrets;
    collect_secrets(entry.settings, secrets);
    try {
      return resolve_unscrubbed(entry, secrets);
    } catch (const ConfigurationError& e) {
      rethrow_scrubbed(e, secrets);
    }
  }

 private:
  // Keys whose value came from a URL, and which URL: errors say so and point at the url line.
  using UrlKeys = std::map<std::string, std::string>;

  Location at(const Entry& entry, const std::string& key, const UrlKeys& from_url = {}) const {
    Location where{source_, env_, entry.name, key, "", 0, 0};
    auto via = from_url.find(key);
    if (via != from_url.end()) where.via = via->second;
    if (!marks_) return where;
    auto marked = via == from_url.end() ? key : std::string("url");
    auto [line, column] = marks_->find(entry.pointer + "/" + marked);
    if (line == 0) std::tie(line, column) = marks_->find(entry.pointer);
    where.line = line, where.column = column;
    return where;
  }

  DatabaseConfig resolve_unscrubbed(const Entry& entry, std::vector<std::string>& secrets) const {
    ordered_json settings = entry.settings;
    for (auto& [key, value] : settings.items()) detail::interpolate_all(value, at(entry, key));
    collect_secrets(settings, secrets);

    std::string source = source_;
    // An environment URL replaces the `url` setting; its parts win over the other keys.
    auto env_url = current_ ? environment_url(entry.name) : std::nullopt;
    if (env_url) {
      settings["url"] = env_url->second;
      source = source.empty() ? env_url->first : source + " + " + env_url->first;
    }
    UrlKeys from_url;
    if (settings.contains("url") && !settings["url"].is_null()) {
      auto via = env_url ? env_url->first : "url";
      auto where = env_url ? env_url->first : detail::describe(at(entry, "url"));
      for (const auto& key : merge_url(settings, where, entry, secrets)) from_url[key] = via;
    }

    auto valid = detail::validate_settings(
        settings, [&](const std::string& key) { return at(entry, key, from_url); });
    return DatabaseConfig(env_, entry.name, nlohmann::json(valid), source);
  }

  // Returns the keys the URL set.
  std::vector<std::string> merge_url(ordered_json& settings, const std::string& where,
                                     const Entry& entry, std::vector<std::string>& secrets) const {
    if (!settings["url"].is_string())
      detail::fail(at(entry, "url"), "expected a database URL string");
    auto parts = parse_database_url(settings["url"].get<std::string>(), where);
    if (parts.contains("password")) secrets.push_back(parts["password"].get<std::string>());
    std::vector<std::string> keys;
    for (auto& [key, value] : parts.items()) settings[key] = value, keys.push_back(key);
    return keys;
  }

  std::string source_;
  std::string env_;
  const detail::SourceMarks* marks_;
  bool current_;
};

// Rails' rule: an environment is three-tier when every value is a mapping.
std::vector<Entry> entries_of(const std::string& env, const ordered_json& value, const Location& where) {
  const std::string pointer = "/" + env;
  if (value.is_string()) return {Entry{"primary", ordered_json{{"url", value}}, pointer}};
  if (!value.is_object())
    detail::fail(where, "expected a mapping of settings (or of databases), or a URL string");
  bool three_tier = std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_object(); });
  if (!three_tier) return {Entry{"primary", value, pointer}};
  std::vector<Entry> out;
  for (const auto& [name, settings] : value.items()) out.push_back(Entry{name, settings, pointer + "/" + name});
  return out;
}

std::string suggestion(const std::string& name, const std::vector<std::string>& names) {
  auto best = detail::closest(name, names);
  return best ? "\n\n  Did you mean `" + *best + "`?" : "";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigurationError(path.string() + ": cannot read the database configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

DatabaseConfigurations::DatabaseConfigurations(const nlohmann::ordered_json& tree, std::string source,
                                               std::string env)
    : source_(std::move(source)), env_(std::move(env)) {
  build(tree, nullptr);
}

DatabaseConfigurations::DatabaseConfigurations(const nlohmann::json& tree, std::string source,
                                               std::string env)
    : DatabaseConfigurations(nlohmann::ordered_json(tree), std::move(source), std::move(env)) {}

DatabaseConfigurations DatabaseConfigurations::parse_json(std::string_view text, std::string source,
                                                          std::string env) {
  auto doc = detail::read_json(text, source);
  DatabaseConfigurations out;
  out.source_ = std::move(source), out.env_ = std::move(env);
  out.build(doc.tree, &doc.marks);
  return out;
}

DatabaseConfigurations DatabaseConfigurations::parse_yaml(std::string_view text, std::string source,
                                                          std::string env) {
  auto doc = detail::read_yaml(text, source);
  DatabaseConfigurations out;
  out.source_ = std::move(source), out.env_ = std::move(env);
  out.build(doc.tree, &doc.marks);
  return out;
}

DatabaseConfigurations DatabaseConfigurations::load_file(const std::filesystem::path& path,
                                                         std::string env) {
  auto ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".json") return parse_json(read_file(path), path.string(), std::move(env));
  if (ext == ".yml" || ext == ".yaml") return parse_yaml(read_file(path), path.string(), std::move(env));
  throw ConfigurationError(path.string() + ": unsupported configuration format '" + ext +
                           "' (use .json, .yml or .yaml)");
}

std::string DatabaseConfigurations::current_env() {
  return env_var("SWITCHYARD_ENV").value_or("development");
}

void DatabaseConfigurations::build(const nlohmann::ordered_json& tree, const detail::SourceMarks* marks) {
  Location top{source_, "", "", "", "", 0, 0};
  if (tree.is_null()) detail::fail(top, "the configuration is empty (expected environments such as development:)");
  if (!tree.is_object()) detail::fail(top, "expected a mapping of environments at the top level");

  for (const auto& [env_name, value] : tree.items()) {
    Environment env{env_name, {}, {}, nullptr};
    EntryResolver resolver(source_, env_name, marks, env_name == env_);
    try {
      Location where{source_, env_name, "", "", "", 0, 0};
      if (marks) std::tie(where.line, where.column) = marks->find("/" + env_name);
      auto entries = entries_of(env_name, value, where);
      for (const auto& entry : entries) env.database_names.push_back(entry.name);
      for (const auto& entry : entries) env.configs.push_back(resolver.resolve(entry));
    } catch (const ConfigurationError&) {
      env.error = std::current_exception();
    }
    envs_.push_back(std::move(env));
  }
  synthesize_from_database_url();
  usable_environment(env_);  // the current environment must be valid now, not at first use
}

void DatabaseConfigurations::synthesize_from_database_url() {
  auto url = env_var("DATABASE_URL");
  auto it = std::find_if(envs_.begin(), envs_.end(), [&](const Environment& e) { return e.name == env_; });
  if (!url || (it != envs_.end() && (!it->configs.empty() || it->error))) return;
  if (it == envs_.end()) it = envs_.insert(envs_.end(), Environment{env_, {}, {}, nullptr});
  EntryResolver resolver("", env_, nullptr, true);
  it->database_names = {"primary"};
  it->configs = {resolver.resolve(Entry{"primary", ordered_json::object(), ""})};
}

const DatabaseConfigurations::Environment* DatabaseConfigurations::environment(const std::string& name) const {
  auto it = std::find_if(envs_.begin(), envs_.end(), [&](const Environment& e) { return e.name == name; });
  return it == envs_.end() ? nullptr : &*it;
}

const DatabaseConfigurations::Environment& DatabaseConfigurations::usable_environment(
    const std::string& name) const {
  const Environment* env = environment(name);
  if (!env)
    throw ConfigurationError((source_.empty() ? "<config>" : source_) + ": environment '" + name +
                             "' is not configured; available environments: " + join(environments()));
  if (env->error) std::rethrow_exception(env->error);
  return *env;
}

std::vector<std::string> DatabaseConfigurations::environments() const {
  std::vector<std::string> out;
  for (const auto& env : envs_) out.push_back(env.name);
  return out;
}

bool DatabaseConfigurations::has_environment(const std::string& env) const {
  return environment(env) != nullptr;
}

std::vector<DatabaseConfig> DatabaseConfigurations::configs_for(const std::string& env,
                                                                bool include_hidden) const {
  std::vector<DatabaseConfig> out;
  for (const auto& config : usable_environment(env).configs)
    if (include_hidden || !config.hidden()) out.push_back(config);
  return out;
}

std::optional<DatabaseConfig> DatabaseConfigurations::configs_for(const std::string& env,
                                                                  const std::string& name,
                                                                  bool include_hidden) const {
  const Environment* e = environment(env);
  if (!e) return std::nullopt;
  if (e->error) std::rethrow_exception(e->error);
  for (const auto& config : e->configs)
    if (config.name() == name && (include_hidden || !config.hidden())) return config;
  return std::nullopt;
}

std::optional<DatabaseConfig> DatabaseConfigurations::find(const std::string& env, const std::string& name,
                                                           bool include_hidden) const {
  return configs_for(env, name, include_hidden);
}

std::string DatabaseConfigurations::available_summary() const {
  std::string out;
  for (const auto& env : envs_) out += "\n  " + env.name + ": " + join(env.database_names);
  return out;
}

DatabaseConfig DatabaseConfigurations::resolve(const std::string& name) const {
  const Environment& env = usable_environment(env_);
  for (const auto& config : env.configs)
    if (config.name() == name) return config;
  if (environment(name))
    if (auto config = primary(name)) return *config;
  throw AdapterNotSpecified("database '" + name + "' is not configured for '" + env_ +
                            "'; available: " + join(env.database_names) + "\nThe `" + name +
                            "` database is not configured for the `" + env_ +
                            "` environment.\n\n  Available database configurations are:\n" +
                            available_summary() + suggestion(name, env.database_names));
}

std::optional<DatabaseConfig> DatabaseConfigurations::primary(const std::string& env) const {
  const auto& configs = usable_environment(env).configs;
  for (const auto& config : configs)
    if (config.name() == "primary") return config;
  if (configs.empty()) return std::nullopt;
  return configs.front();
}

bool DatabaseConfigurations::is_primary(const DatabaseConfig& config) const {
  if (config.name() == "primary") return true;
  const Environment* env = environment(config.env_name());
  if (!env || env->error || env->configs.empty()) return false;
  auto named_primary = std::any_of(env->configs.begin(), env->configs.end(),
                                   [](const DatabaseConfig& c) { return c.name() == "primary"; });
  return !named_primary && env->configs.front().name() == config.name();
}

std::optional<std::string> DatabaseConfigurations::schema_dump_path(const DatabaseConfig& config) const {
  if (config.schema_dump_disabled()) return std::nullopt;
  if (auto file = config.schema_dump()) return file;
  return is_primary(config) ? "structure.sql" : config.name() + "_structure.sql";
}

}  // namespace switchyard

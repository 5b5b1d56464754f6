#include "switchyard/sql/dialect.hpp"
#include "switchyard/migrate/database_tasks.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>
#include <tuple>

#include "switchyard/config/connection_params.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/migrate/schema_dumper.hpp"

namespace switchyard::migrate {
namespace {

std::string sql_string(const std::string& s) { return sql::quote_literal(s); }

// Rails' Array#to_sentence: "a", "a and b", "a, b, and c".
std::string to_sentence(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  if (items.size() == 1) return items[0];
  if (items.size() == 2) return items[0] + " and " + items[1];
  std::string out;
  for (std::size_t i = 0; i + 1 < items.size(); ++i) out += items[i] + ", ";
  return out + "and " + items.back();
}

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return false;
  std::string s(v);
  return s != "0" && s != "false";
}

bool is_sqlite(const DatabaseConfig& c) { return c.adapter() == "sqlite3"; }

std::string pg_database_name(const DatabaseConfig& c) {
  auto name = c.string("database");
  if (!name || name->empty()) throw ConfigurationError(c.describe() + ": no 'database' to create or drop");
  return *name;
}

// A connection to the server's maintenance database (`postgres`, else `template1`), as Rails.
std::unique_ptr<Connection> maintenance_connection(const DatabaseConfig& c) {
  std::exception_ptr first;
  for (const char* db : {"postgres", "template1"}) {
    auto settings = c.settings();
    settings["database"] = db;
    settings.erase("url");
    DatabaseConfig m(c.env_name(), c.name(), settings, c.source());
    try {
      return open_connection(m, ConnectionIdentity{.connection_name = "switchyard:tasks",
                                                   .role = "writing",
                                                   .shard = "default",
                                                   .database = c.name(),
                                                   .node = {}});
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  std::rethrow_exception(first);
}

bool pg_exists(Connection& m, const std::string& name) {
  return !m.execute("SELECT 1 FROM pg_database WHERE datname = $1", {Value{name}}, {.name = "SCHEMA"}).empty();
}

void remove_sqlite_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ec;
    std::filesystem::remove(path + suffix, ec);
  }
}

std::string center(const std::string& s, std::size_t width) {
  if (s.size() >= width) return s;
  auto pad = width - s.size();
  return std::string(pad / 2, ' ') + s + std::string(pad - pad / 2, ' ');
}

std::string ljust(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

}  // namespace

std::string database_label(const DatabaseConfig& config) {
  return config.string("database").value_or(config.name());
}

DatabaseTasks::DatabaseTasks(DatabaseConfigurations configurations, TaskOptions options)
    : configurations_(std::move(configurations)), options_(std::move(options)) {}

void DatabaseTasks::say(const std::string& line) const {
  if (out()) *out() << line << "\n" << std::flush;
}

bool DatabaseTasks::forced() const {
  return options_.force || env_flag("DISABLE_DATABASE_ENVIRONMENT_CHECK");
}

std::vector<DatabaseConfig> DatabaseTasks::task_configs() const {
  return configurations_.configs_for(env(), false);
}

bool DatabaseTasks::multiple_databases() const { return task_configs().size() > 1; }

DatabaseConfig DatabaseTasks::task_config(const std::string& name) const {
  auto found = configurations_.find(env(), name, true);
  std::vector<std::string> names;
  for (const auto& c : task_configs()) names.push_back(c.name());
  if (!found)
    throw TaskUsageError("The `" + name + "` database is not configured for the `" + env() +
                         "` environment. Task databases: " + join(names) + ".");
  if (found->replica())
    throw TaskUsageError("'" + name + "' is a replica (replica: true): database tasks never run on "
                         "replicas. Task databases: " + join(names) + ".");
  if (found->hidden())
    throw TaskUsageError("'" + name + "' has database_tasks: false: database tasks skip it. Task "
                         "databases: " + join(names) + ".");
  return *found;
}

std::vector<DatabaseConfig> DatabaseTasks::selected(const std::optional<std::string>& name) const {
  if (name) return {task_config(*name)};
  return task_configs();
}

DatabaseConfig DatabaseTasks::require_single(const std::string& command,
                                             const std::optional<std::string>& name) const {
  if (name) return task_config(*name);
  auto configs = task_configs();
  if (configs.size() > 1) {
    std::vector<std::string> tasks;
    for (const auto& c : configs) tasks.push_back(command + ":" + c.name());
    throw TaskUsageError("You're using a multiple database application. To use `" + command +
                         "` you must run the namespaced task with a VERSION. Available tasks are " +
                         to_sentence(tasks) + ".");
  }
  if (configs.empty())
    throw TaskUsageError("No database of the `" + env() + "` environment takes database tasks.");
  return configs.front();
}

std::unique_ptr<Migrator> DatabaseTasks::migrator(const DatabaseConfig& config) const {
  return std::make_unique<Migrator>(config, MigratorOptions{.root = options_.root,
                                                            .paths = {},
                                                            .out = options_.out,
                                                            .allow_edited = options_.allow_edited,
                                                            .lock_timeout = options_.lock_timeout,
                                                            .label_database = multiple_databases(),
                                                            .environment = env()});
}

// ---- create / drop ---------------------------------------------------------------------------

bool DatabaseTasks::database_exists(const DatabaseConfig& config) const {
  if (is_sqlite(config)) {
    auto path = sqlite_path(config);
    if (path == ":memory:" || path.rfind("file:", 0) == 0) return true;
    return std::filesystem::exists(path);
  }
  auto m = maintenance_connection(config);
  return pg_exists(*m, pg_database_name(config));
}

void DatabaseTasks::create_database(const DatabaseConfig& config) const {
  auto label = database_label(config);
  if (is_sqlite(config)) {
    auto path = sqlite_path(config);
    if (path != ":memory:" && path.rfind("file:", 0) != 0 && std::filesystem::exists(path)) {
      say("Database '" + label + "' already exists");
      return;
    }
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    open_connection(config, ConnectionIdentity{.connection_name = "switchyard:tasks",
                                               .role = "writing",
                                               .shard = "default",
                                               .database = config.name(),
                                               .node = {}})
        ->execute("PRAGMA user_version", {}, {.name = "SCHEMA"});
    say("Created database '" + label + "'");
    return;
  }
  auto name = pg_database_name(config);
  auto m = maintenance_connection(config);
  if (pg_exists(*m, name)) {
    say("Database '" + label + "' already exists");
    return;
  }
  std::string sql = "CREATE DATABASE " + sql::quote_identifier(name);
  if (auto v = config.string("encoding")) sql += " ENCODING = " + sql_string(*v);
  if (auto v = config.string("collation")) sql += " LC_COLLATE = " + sql_string(*v);
  if (auto v = config.string("ctype")) sql += " LC_CTYPE = " + sql_string(*v);
  if (auto v = config.string("template")) sql += " TEMPLATE = " + sql::quote_identifier(*v);
  try {
    m->execute(sql, {}, {.name = "SCHEMA"});
  } catch (const StatementInvalid& e) {
    if (e.sqlstate() != "42P04") throw;  // duplicate_database: someone else just created it
    say("Database '" + label + "' already exists");
    return;
  }
  say("Created database '" + label + "'");
}

void DatabaseTasks::drop_database(const DatabaseConfig& config) const {
  auto label = database_label(config);
  if (is_sqlite(config)) {
    auto path = sqlite_path(config);
    if (path == ":memory:" || path.rfind("file:", 0) == 0 || !std::filesystem::exists(path)) {
      say("Database '" + label + "' does not exist");
      return;
    }
    remove_sqlite_files(path);
    say("Dropped database '" + label + "'");
    return;
  }
  auto name = pg_database_name(config);
  auto m = maintenance_connection(config);
  if (!pg_exists(*m, name)) {
    say("Database '" + label + "' does not exist");
    return;
  }
  m->execute("DROP DATABASE IF EXISTS " + sql::quote_identifier(name), {}, {.name = "SCHEMA"});
  say("Dropped database '" + label + "'");
}

std::vector<DatabaseConfig> DatabaseTasks::create_drop_configs(const std::optional<std::string>& name) const {
  auto configs = selected(name);
  if (!name && env() == "development" && options_.include_test_environment &&
      !env_flag("SKIP_TEST_DATABASE") && !std::getenv("DATABASE_URL") &&
      configurations_.has_environment("test"))
    for (auto& c : configurations_.configs_for("test", false)) configs.push_back(std::move(c));
  return configs;
}

void DatabaseTasks::create(const std::optional<std::string>& name) {
  for (const auto& c : create_drop_configs(name)) create_database(c);
}

void DatabaseTasks::drop(const std::optional<std::string>& name) {
  check_protected_environments(name);
  for (const auto& c : create_drop_configs(name)) drop_database(c);
}

void DatabaseTasks::purge(const std::optional<std::string>& name) {
  check_protected_environments(name);
  auto saved = options_.out;
  options_.out = nullptr;  // Rails' purge is silent
  try {
    for (const auto& c : selected(name)) {
      drop_database(c);
      create_database(c);
    }
  } catch (...) {
    options_.out = saved;
    throw;
  }
  options_.out = saved;
}

// ---- environment protection ---------------------------------------------------------------------

void DatabaseTasks::check_protected_environments(const std::optional<std::string>& name) const {
  if (forced()) return;
  auto protected_message = [](const std::string& e) {
    return "You are attempting to run a destructive action against your '" + e +
           "' database.\nIf you are sure you want to continue, run the same command with the "
           "environment variable:\nDISABLE_DATABASE_ENVIRONMENT_CHECK=1 (or pass --force)";
  };
  if (options_.protected_environments.count(env())) throw ProtectedEnvironmentError(protected_message(env()));
  for (const auto& c : selected(name)) {
    if (!database_exists(c)) continue;
    auto stored = migrator(c)->stored_environment();
    if (!stored) continue;
    if (options_.protected_environments.count(*stored)) throw ProtectedEnvironmentError(protected_message(*stored));
    if (*stored != env())
      throw EnvironmentMismatchError(
          "You are attempting to modify a database that was last run in `" + *stored +
          "` environment.\nYou are running in `" + env() +
          "` environment. If you are sure you want to continue, first set the environment using:\n\n"
          "        switchyard db:environment:set --env " + env() + "\n");
  }
}

void DatabaseTasks::set_environment(const std::optional<std::string>& name) {
  for (const auto& c : selected(name)) migrator(c)->record_environment(env());
}

// ---- migrations ---------------------------------------------------------------------------------

void DatabaseTasks::migrate(std::optional<std::int64_t> target) {
  auto configs = task_configs();
  std::vector<std::unique_ptr<Migrator>> migrators;
  std::vector<std::tuple<std::int64_t, std::size_t>> pending;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    migrators.push_back(migrator(configs[i]));
    migrators.back()->check_edited();  // refuse before anything runs on any database
    for (auto v : migrators.back()->pending_versions())
      if (!target || v <= *target) pending.emplace_back(v, i);
  }
  std::stable_sort(pending.begin(), pending.end());
  for (const auto& [version, i] : pending) migrators[i]->run(Direction::up, version);
  for (auto& m : migrators) m->ensure_tables();
  dump_after_migration(configs);
}

void DatabaseTasks::migrate(const std::string& name, std::optional<std::int64_t> target) {
  auto c = task_config(name);
  migrator(c)->migrate(target);
  dump_after_migration({c});
}

void DatabaseTasks::rollback(const std::string& name, int steps) {
  auto c = task_config(name);
  migrator(c)->rollback(steps);
  dump_after_migration({c});
}

void DatabaseTasks::migrate_up(const std::string& name, std::int64_t version) {
  auto c = task_config(name);
  migrator(c)->run(Direction::up, version);
  dump_after_migration({c});
}

void DatabaseTasks::migrate_down(const std::string& name, std::int64_t version) {
  auto c = task_config(name);
  migrator(c)->run(Direction::down, version);
  dump_after_migration({c});
}

void DatabaseTasks::redo(const std::string& name, std::optional<std::int64_t> version, int steps) {
  auto c = task_config(name);
  auto m = migrator(c);
  if (version) {
    m->run(Direction::down, *version);
    m->run(Direction::up, *version);
  } else {
    m->rollback(steps);
    m->migrate();
  }
  dump_after_migration({c});
}

void DatabaseTasks::dump_after_migration(const std::vector<DatabaseConfig>& configs) {
  if (!options_.dump_schema_after_migration) return;
  for (const auto& c : configs)
    if (auto file = schema_file(c)) dump_structure(c, *file);
}

void DatabaseTasks::status(const std::optional<std::string>& name) {
  for (const auto& c : selected(name)) {
    auto m = migrator(c);
    std::ostringstream text;
    text << "\ndatabase: " << database_label(c) << "\n\n";
    if (!m->initialized()) {
      text << "Schema migrations table does not exist yet.\n";
    } else {
      text << " Status   Migration ID    Migration Name\n";
      text << std::string(50, '-') << "\n";
      for (const auto& row : m->status()) {
        text << center(row.up ? "up" : "down", 8) << "  " << ljust(std::to_string(row.version), 14)
             << "  " << row.name;
        if (row.edited) text << "  (edited since it was applied)";
        text << "\n";
      }
    }
    if (out()) *out() << text.str() << std::flush;
  }
  if (out()) *out() << "\n" << std::flush;
}

void DatabaseTasks::version(const std::optional<std::string>& name) {
  bool headers = multiple_databases() || name;
  for (const auto& c : selected(name)) {
    auto v = migrator(c)->current_version();
    if (headers) say("\ndatabase: " + c.name());
    say("Current version: " + std::to_string(v));
  }
}

void DatabaseTasks::abort_if_pending_migrations(const std::optional<std::string>& name) {
  std::string list;
  std::size_t count = 0;
  for (const auto& c : selected(name)) {
    auto m = migrator(c);
    for (auto v : m->pending_versions()) {
      ++count;
      list += "  " + c.name() + " " + std::to_string(v) + " " + m->find(v)->class_name() + "\n";
    }
  }
  if (count)
    throw MigrationError("You have " + std::to_string(count) + " pending migration" +
                         (count == 1 ? "" : "s") + ":\n" + list +
                         "Run `switchyard db:migrate` to update your database then try again.");
}

// ---- schema -------------------------------------------------------------------------------------

std::optional<std::filesystem::path> DatabaseTasks::schema_file(const DatabaseConfig& config) const {
  auto file = configurations_.schema_dump_path(config);
  if (!file) return std::nullopt;
  std::filesystem::path p(*file);
  if (p.is_absolute()) return p;
  auto dir = options_.schema_dir ? *options_.schema_dir : options_.root / "db";
  return (dir / p).lexically_normal();
}

void DatabaseTasks::dump_schema(const std::optional<std::string>& name) {
  for (const auto& c : selected(name)) {
    auto file = schema_file(c);
    if (!file) continue;
    dump_structure(c, *file);
    say("Dumped the schema of '" + c.name() + "' to " + file->string());
  }
}

void DatabaseTasks::load_schema(const std::optional<std::string>& name) {
  check_protected_environments(name);
  for (const auto& c : selected(name)) {
    auto file = schema_file(c);
    if (!file) continue;
    if (!std::filesystem::exists(*file))
      throw Error(file->string() + " doesn't exist yet. Run `switchyard db:migrate` to create it, then try again.");
    purge(c.name());
    auto m = migrator(c);
    load_structure(m->connection(), *file);
    m->ensure_tables();
    say("Loaded the schema of '" + c.name() + "' from " + file->string());
  }
}

// ---- prepare / seed -------------------------------------------------------------------------------

void DatabaseTasks::prepare() {
  bool seed_needed = false;
  for (const auto& c : task_configs()) {
    if (!database_exists(c)) create_database(c);
    auto m = migrator(c);
    if (!m->initialized()) {
      auto file = schema_file(c);
      if (file && std::filesystem::exists(*file)) {
        load_structure(m->connection(), *file);
        say("Loaded the schema of '" + c.name() + "' from " + file->string());
      }
      m->ensure_tables();
      seed_needed = true;
    }
  }
  migrate();
  if (seed_needed) seed();
}

void DatabaseTasks::seed() {
  auto primary = configurations_.primary(env());
  if (!primary) throw ConfigurationError("The `" + env() + "` environment has no primary database to seed");
  auto conn = open_connection(*primary, ConnectionIdentity{.connection_name = "switchyard:seed",
                                                           .role = "writing",
                                                           .shard = "default",
                                                           .database = primary->name(),
                                                           .node = {}});
  if (const auto& fn = registered_seed()) {
    conn->begin_transaction();
    try {
      fn(*conn);
      conn->commit_transaction();
    } catch (...) {
      conn->rollback_transaction();
      throw;
    }
    say("Seeded '" + primary->name() + "' (C++ seed)");
    return;
  }
  auto file = options_.root / "db" / "seeds.sql";
  std::ifstream in(file, std::ios::binary);
  if (!in) return;
  std::ostringstream text;
  text << in.rdbuf();
  if (split_statements(text.str()).empty()) return;
  conn->begin_transaction();
  try {
    conn->execute(text.str(), {}, {.name = "Seed", .bind_names = {}, .route_reason = {}, .prepare = false});
    conn->commit_transaction();
  } catch (...) {
    conn->rollback_transaction();
    throw;
  }
  say("Seeded '" + primary->name() + "' from " + file.string());
}

}  // namespace switchyard::migrate

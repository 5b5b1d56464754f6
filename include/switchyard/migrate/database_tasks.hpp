// The database tasks (Rails' ActiveRecord::Tasks::DatabaseTasks and databases.rake) as a library:
// what `switchyard db:*` runs, usable from an application's own code and tests.
//
// Only the task databases of the environment take part: replicas (`replica: true`) and
// `database_tasks: false` databases are never created, dropped, migrated or loaded. Naming one
// of them is an error that says why.
//
// Paths: migrations_paths, the schema directory (default ROOT/db) and db/seeds.sql resolve
// against TaskOptions::root. SQLite database files resolve as the config layer says (against the
// current directory).
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "switchyard/config/database_configurations.hpp"
#include "switchyard/migrate/migrator.hpp"

namespace switchyard::migrate {

struct TaskOptions {
  std::filesystem::path root{"."};                     // application root
  std::optional<std::filesystem::path> schema_dir{};   // default root/db
  std::ostream* out = nullptr;                         // progress and results; nullptr: silent
  bool allow_edited = false;                           // see Migrator
  double lock_timeout = 300;                           // see Migrator
  // Skip the protected-environment check of destructive tasks (also skipped when the process
  // environment has DISABLE_DATABASE_ENVIRONMENT_CHECK set to anything but "" or "0").
  bool force = false;
  // Environments destructive tasks refuse (Rails' protected_environments).
  std::set<std::string> protected_environments{"production"};
  // Dump the schema of each migrated database after db:migrate / db:migrate:NAME / rollback.
  bool dump_schema_after_migration = false;
  // db:create / db:drop in development also act on the test environment (Rails), unless
  // SKIP_TEST_DATABASE or DATABASE_URL is set.
  bool include_test_environment = true;
};

class DatabaseTasks {
 public:
  explicit DatabaseTasks(DatabaseConfigurations configurations, TaskOptions options = {});

  const DatabaseConfigurations& configurations() const noexcept { return configurations_; }
  const TaskOptions& options() const noexcept { return options_; }
  const std::string& env() const noexcept { return configurations_.env(); }

  // Non-hidden configs of the environment, in file order.
  std::vector<DatabaseConfig> task_configs() const;
  // More than one task database (Rails: namespaced tasks exist).
  bool multiple_databases() const;
  // The task database called `name`; throws TaskUsageError for an unknown, replica or
  // database_tasks: false name, listing the task databases.
  DatabaseConfig task_config(const std::string& name) const;
  // The configs a task acts on: the named one, or all task databases.
  std::vector<DatabaseConfig> selected(const std::optional<std::string>& name) const;

  // Rails' refusal for rollback / migrate:up / migrate:down / migrate:redo without a name in a
  // multi-database application (TaskUsageError). Returns the single database otherwise.
  DatabaseConfig require_single(const std::string& command, const std::optional<std::string>& name) const;

  std::unique_ptr<Migrator> migrator(const DatabaseConfig& config) const;

  // ---- create / drop ----
  bool database_exists(const DatabaseConfig& config) const;
  void create(const std::optional<std::string>& name = std::nullopt);
  void drop(const std::optional<std::string>& name = std::nullopt);   // destructive
  void purge(const std::optional<std::string>& name = std::nullopt);  // destructive: drop + create
  void create_database(const DatabaseConfig& config) const;
  void drop_database(const DatabaseConfig& config) const;

  // ---- migrations ----
  // All task databases: pending versions of every database sorted globally by version (ties
  // in config order), each run on its own database. With target: only versions <= target.
  void migrate(std::optional<std::int64_t> target = std::nullopt);
  // One database: Migrator::migrate(target).
  void migrate(const std::string& name, std::optional<std::int64_t> target = std::nullopt);
  void rollback(const std::string& name, int steps = 1);
  void migrate_up(const std::string& name, std::int64_t version);
  void migrate_down(const std::string& name, std::int64_t version);
  // With a version: down then up of that version; else rollback `steps` then migrate.
  void redo(const std::string& name, std::optional<std::int64_t> version, int steps = 1);
  // "database: <file or name>" header, then Rails' status table, per database.
  void status(const std::optional<std::string>& name = std::nullopt);
  // "database: NAME" then "Current version: N" per database.
  void version(const std::optional<std::string>& name = std::nullopt);
  // Throws MigrationError listing pending migrations, if any (Rails' abort_if_pending_migrations).
  void abort_if_pending_migrations(const std::optional<std::string>& name = std::nullopt);

  // ---- schema ----
  // ROOT/db/structure.sql for the primary, ROOT/db/NAME_structure.sql otherwise (or the
  // `schema_dump` setting); nullopt when `schema_dump: false`.
  std::optional<std::filesystem::path> schema_file(const DatabaseConfig& config) const;
  void dump_schema(const std::optional<std::string>& name = std::nullopt);
  // Destructive: purges each database, loads its schema file, records the environment.
  void load_schema(const std::optional<std::string>& name = std::nullopt);

  // ---- prepare / seed ----
  // Per database: create if missing; if uninitialized load the schema file when one exists;
  // then migrate everything pending in global version order; seed once if any database was
  // created or uninitialized.
  void prepare();
  // Runs the registered C++ seed, else ROOT/db/seeds.sql, on the primary database.
  void seed();

  // ---- environment protection ----
  // Throws ProtectedEnvironmentError / EnvironmentMismatchError (Rails' messages) unless forced.
  void check_protected_environments(const std::optional<std::string>& name = std::nullopt) const;
  // Records the current environment in every selected database (db:environment:set).
  void set_environment(const std::optional<std::string>& name = std::nullopt);

 private:
  std::ostream* out() const { return options_.out; }
  void say(const std::string& line) const;
  bool forced() const;
  std::vector<DatabaseConfig> create_drop_configs(const std::optional<std::string>& name) const;
  void dump_after_migration(const std::vector<DatabaseConfig>& configs);

  DatabaseConfigurations configurations_;
  TaskOptions options_;
};

// What the status header names: the SQLite file path or the PostgreSQL database name.
std::string database_label(const DatabaseConfig& config);

}  // namespace switchyard::migrate

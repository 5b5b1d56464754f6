// The migrator of one database (Rails' MigrationContext + Migrator): reads the database's
// migrations, keeps `schema_migrations` (version, plus switchyard's checksum and applied_at) and
// `switchyard_internal_metadata` (environment), and applies migrations one at a time, each in a
// transaction with its bookkeeping where the migration allows.
//
// Every operation that changes the database holds the migration lock for its duration: a
// session-level PostgreSQL advisory lock keyed on the server's database name, or on SQLite an
// exclusive flock(2) on the database file. A second migrator waits for it up to `lock_timeout`
// seconds (printing one "waiting" line) and then fails with ConcurrentMigrationError; pending
// work is recomputed after the lock is taken, so concurrent migrators apply each migration once.
//
// All SQL goes through Connection::execute (instrumented, guarded).
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/config/database_config.hpp"
#include "switchyard/migrate/migration.hpp"

namespace switchyard {
class Connection;
}

namespace switchyard::migrate {

inline constexpr const char* schema_migrations_table = "schema_migrations";
inline constexpr const char* internal_metadata_table = "switchyard_internal_metadata";

struct MigratorOptions {
  // Directory that relative `migrations_paths` resolve against (the application root).
  std::filesystem::path root{"."};
  // Replaces the config's migrations_paths when non-empty (still resolved against root).
  std::vector<std::filesystem::path> paths{};
  // Progress lines ("== 20240101000000 CreateDogs: migrating ===="); nullptr: silent.
  std::ostream* out = nullptr;
  // Proceed although an applied migration's file was edited since it was applied.
  bool allow_edited = false;
  // Seconds to wait for another migrator's lock; 0 fails at once.
  double lock_timeout = 300;
  // Add "[database]" to progress lines (set by DatabaseTasks in multi-database applications).
  bool label_database = false;
  // Environment recorded in switchyard_internal_metadata; empty: the config's env_name().
  std::string environment{};
};

enum class Direction { up, down };

struct AppliedMigration {
  std::int64_t version = 0;
  std::string checksum{};    // empty when recorded by a tool that does not keep checksums
  std::string applied_at{};  // as the database prints it; empty when unknown
};

struct MigrationStatus {
  bool up = false;
  std::int64_t version = 0;
  std::string name{};         // "Create dogs", or "********** NO FILE **********"
  bool missing_file = false;  // applied, but no migration with this version exists
  bool edited = false;        // applied with a different checksum than the file has now
};

inline constexpr const char* no_file_marker = "********** NO FILE **********";

class Migrator {
 public:
  explicit Migrator(DatabaseConfig config, MigratorOptions options = {});
  ~Migrator();
  Migrator(const Migrator&) = delete;
  Migrator& operator=(const Migrator&) = delete;

  const DatabaseConfig& config() const noexcept { return config_; }
  const MigratorOptions& options() const noexcept { return options_; }
  // The migration directories after resolution against root.
  const std::vector<std::filesystem::path>& paths() const noexcept { return paths_; }
  // Every migration of this database (files and registered C++), sorted by version.
  const std::vector<Migration>& migrations() const noexcept { return migrations_; }
  const Migration* find(std::int64_t version) const;

  // ---- queries (no lock) ----
  // schema_migrations exists.
  bool initialized();
  // Applied versions in ascending order; empty when the table does not exist.
  std::vector<AppliedMigration> applied();
  std::vector<std::int64_t> pending_versions();
  // One row per migration and per applied version without a file, ascending by version.
  std::vector<MigrationStatus> status();
  // Highest applied version, 0 when none.
  std::int64_t current_version();
  // Applied migrations whose .up.sql no longer matches the recorded checksum.
  std::vector<MigrationStatus> edited();
  // Throws EditedMigrationError listing the edited migrations (unless allow_edited).
  void check_edited();
  // The environment recorded in switchyard_internal_metadata, if any.
  std::optional<std::string> stored_environment();

  // ---- operations (lock held) ----
  // Applies pending migrations in version order; with a target, migrates up to it (inclusive)
  // or, when the target is below the current version, reverts applied migrations above it.
  // Refuses with EditedMigrationError when an applied migration was edited (unless
  // allow_edited). Returns the versions run.
  std::vector<std::int64_t> migrate(std::optional<std::int64_t> target = std::nullopt);
  // Runs exactly one migration in one direction. Returns false (and prints nothing) when it is
  // already in that state. Throws UnknownMigrationVersionError for an unknown version.
  bool run(Direction direction, std::int64_t version);
  // Reverts the `steps` most recently applied versions, newest first. Returns them.
  std::vector<std::int64_t> rollback(int steps = 1);
  // Creates schema_migrations / switchyard_internal_metadata (adding switchyard's columns to a
  // Rails-made schema_migrations) and records the environment, under the lock.
  void ensure_tables();
  // Records `environment` in switchyard_internal_metadata (creating the tables if needed).
  void record_environment(const std::string& environment);

  // The writing connection the migrator uses (opened on first use).
  Connection& connection();
  // Closes the connection (tasks that drop the database call this first).
  void disconnect();

  // Held for the duration of each operation (see the header comment); implementation detail.
  class Lock;

 private:
  std::unique_ptr<Lock> acquire_lock();
  void create_tables();
  void write_environment(const std::string& environment);
  void apply(const Migration& m, Direction direction);
  void announce(const Migration& m, const std::string& message);
  std::string environment() const;

  DatabaseConfig config_;
  MigratorOptions options_;
  std::vector<std::filesystem::path> paths_;
  std::vector<Migration> migrations_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace switchyard::migrate

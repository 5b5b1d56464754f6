// Migrations: what changes a database's schema, one version at a time.
//
// A migration is either a pair of SQL files in one of the database's `migrations_paths`
//   20240101000000_create_dogs.up.sql     applied by migrate / up
//   20240101000000_create_dogs.down.sql   applied by rollback / down (optional: without it the
//                                         migration is irreversible)
// or a C++ migration registered in code for what SQL cannot say. A first line
// `-- switchyard:no_transaction` in an .up.sql / .down.sql runs that file outside a transaction
// (CREATE INDEX CONCURRENTLY); every other migration runs in one transaction together with its
// schema_migrations bookkeeping. See docs/migrations.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/errors.hpp"

namespace switchyard {
class Connection;
}

namespace switchyard::migrate {

// The body of a C++ migration or seed: runs on the database's writing connection (inside the
// migration's transaction unless registered with transactional = false).
using MigrationFn = std::function<void(Connection&)>;

struct Migration {
  std::int64_t version = 0;
  std::string name{};                         // snake_case: "create_dogs"
  std::string database{};                     // config name it belongs to
  std::optional<std::filesystem::path> up_path{};    // .up.sql (SQL migrations)
  std::optional<std::filesystem::path> down_path{};  // .down.sql, when present
  MigrationFn up_fn{};                        // C++ migrations
  MigrationFn down_fn{};                      // empty: irreversible
  bool up_transactional = true;               // false: `-- switchyard:no_transaction`
  bool down_transactional = true;
  // SHA-256 (hex) of the .up.sql file's bytes: what was applied. Editing the .down.sql file is
  // allowed (fixing a rollback is legitimate). Empty for C++ migrations.
  std::string checksum{};

  bool is_sql() const noexcept { return up_path.has_value(); }
  bool reversible() const noexcept { return is_sql() ? down_path.has_value() : bool(down_fn); }
  // "CreateDogs": the name Rails prints.
  std::string class_name() const;
  // "Create dogs": the name db:migrate:status prints (Rails' humanize).
  std::string display_name() const;
};

// ---- registration of C++ migrations and seeds -----------------------------------------------

// Registers a migration written in C++ for `database`. Typically called from a static
// initializer or at the start of main, before the migrator runs. Throws ArgumentError when the
// same (database, version) is registered twice.
void register_migration(std::string database, std::int64_t version, std::string name,
                        MigrationFn up, MigrationFn down = {}, bool transactional = true);
// Every registered C++ migration of `database`.
std::vector<Migration> registered_migrations(const std::string& database);
// Forget all registrations (tests).
void clear_registered_migrations();

// A C++ seed for db:seed, run on the primary database instead of db/seeds.sql.
void register_seed(MigrationFn seed);
const MigrationFn& registered_seed();
void clear_registered_seed();

// ---- names ----------------------------------------------------------------------------------

std::string camelize(const std::string& snake);     // create_dogs -> CreateDogs
std::string underscore(const std::string& camel);   // AddBreedToDogs -> add_breed_to_dogs
std::string humanize(const std::string& snake);     // create_dogs -> Create dogs

// SHA-256 of bytes / a file as lower-case hex. Throws Error when the file cannot be read.
std::string sha256_hex(std::string_view bytes);
std::string sha256_file(const std::filesystem::path& path);

// ---- loading from disk ----------------------------------------------------------------------

// The migrations of `database`: SQL pairs from each directory of `paths` (missing directories
// are skipped) plus registered C++ migrations, sorted by version. Throws
// DuplicateMigrationVersionError when a version appears twice, and MigrationError for a
// `.down.sql` without its `.up.sql` or a file name that does not parse. Files whose names do
// not end in .up.sql / .down.sql are ignored.
std::vector<Migration> load_migrations(const std::string& database,
                                       const std::vector<std::filesystem::path>& paths);

// Splits a SQL script into statements at top-level semicolons, honouring quotes, dollar quotes,
// comments and SQLite's CREATE TRIGGER ... BEGIN ... END. Empty statements are dropped.
std::vector<std::string> split_statements(std::string_view script);

// ---- errors ---------------------------------------------------------------------------------

class MigrationError : public Error {
 public:
  using Error::Error;
};
// Rails: ActiveRecord::ConcurrentMigrationError.
class ConcurrentMigrationError : public MigrationError {
 public:
  using MigrationError::MigrationError;
};
class DuplicateMigrationVersionError : public MigrationError {
 public:
  using MigrationError::MigrationError;
};
class UnknownMigrationVersionError : public MigrationError {
 public:
  using MigrationError::MigrationError;
};
class IrreversibleMigration : public MigrationError {
 public:
  using MigrationError::MigrationError;
};
// An applied migration's file changed since it was applied (migrate refuses without
// allow_edited).
class EditedMigrationError : public MigrationError {
 public:
  using MigrationError::MigrationError;
};
// Destructive task against a protected environment / a database last used by another one.
class ProtectedEnvironmentError : public Error {
 public:
  using Error::Error;
};
class EnvironmentMismatchError : public Error {
 public:
  using Error::Error;
};
// The database does not exist (Rails' NoDatabaseError).
class NoDatabaseError : public Error {
 public:
  using Error::Error;
};
// A task invoked the wrong way (missing VERSION, un-namespaced task in a multi-database app):
// the CLI exits with status 2 for these.
class TaskUsageError : public ArgumentError {
 public:
  using ArgumentError::ArgumentError;
};

}  // namespace switchyard::migrate

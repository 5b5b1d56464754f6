// Structure dumps (Rails' `structure.sql`): the schema of one database as SQL, plus the rows of
// schema_migrations, so that loading the file gives a database at the same version.
//
// PostgreSQL: `pg_dump --schema-only --no-owner --no-privileges` (the password reaches the child
// through PGPASSWORD in its environment only, never its command line), then
// `SET search_path TO "$user", public;` and the schema_migrations INSERT.
// SQLite: the `sql` of sqlite_master in creation order, then the INSERT.
#pragma once

#include <filesystem>

#include "switchyard/config/database_config.hpp"

namespace switchyard {
class Connection;
}

namespace switchyard::migrate {

// Writes the structure of the database `config` names to `path` (parent directories created).
// Throws Error when pg_dump fails (its stderr in the message, password scrubbed).
void dump_structure(const DatabaseConfig& config, const std::filesystem::path& path);

// Runs a structure file against `connection` statement by statement, through the execution path.
// psql-only meta-commands that pg_dump writes (`\restrict`, `\unrestrict`) are skipped.
void load_structure(Connection& connection, const std::filesystem::path& path);

}  // namespace switchyard::migrate

// Connection strings derived from a DatabaseConfig: a libpq conninfo for PostgreSQL and SOCI's
// sqlite3 connect string. The connection layer opens sessions with these; nothing else should
// assemble connection strings by hand.
#pragma once

#include "switchyard/config/database_config.hpp"

#include <string>
#include <vector>

namespace switchyard {

// "host=... port=... dbname=... user=... password=... sslmode=... options='-c ...'".
// Unset settings are omitted; values with spaces, quotes or backslashes are single-quoted with
// libpq's escaping. statement_timeout, schema_search_path and `variables` become
// `options=-c name=value` (spaces and backslashes escaped for the server's option parser).
// read_only adds `-c default_transaction_read_only=on`: replicas are opened read-only at the
// database level as well as guarded in the library. Throws ConfigurationError for an sqlite3
// config.
std::string pg_conninfo(const DatabaseConfig& config, bool read_only = false);
// The same with the password replaced by [FILTERED]: the only form that may be logged.
std::string pg_conninfo_redacted(const DatabaseConfig& config, bool read_only = false);

// The database file as an absolute path (relative paths resolve against the current directory);
// ":memory:" and "file:" URIs are returned unchanged. Throws ConfigurationError when the config is
// not sqlite3 or has no `database`.
std::string sqlite_path(const DatabaseConfig& config);

// SOCI 4.0.3's sqlite3 connect string: `db=<path> timeout=<seconds> [readonly=1]
// [synchronous=<mode>]`. A path with spaces is double-quoted (SOCI's only quoting rule); a path
// that SOCI cannot express (a double quote together with a space) throws ConfigurationError.
// timeout comes from `timeout` / `busy_timeout` in milliseconds (default 5000), rounded up to
// whole seconds because SOCI takes seconds.
std::string sqlite_soci_connect_string(const DatabaseConfig& config, bool read_only);

// PRAGMA statements the connection layer runs after opening an sqlite3 connection
// (journal_mode, foreign_keys); values are validated choices, so they are safe to send as is.
std::vector<std::string> sqlite_pragmas(const DatabaseConfig& config);

}  // namespace switchyard

// Renders a DatabaseConfig into what each driver takes to connect.
#pragma once

#include <string>

#include "switchyard/config/database_config.hpp"

namespace switchyard {

// libpq conninfo ("host='h' port='5432' dbname='d' user='u' password='p' ..."), values quoted.
std::string pg_conninfo(const DatabaseConfig& config);
// The same with the password replaced by [FILTERED], for messages.
std::string pg_conninfo_redacted(const DatabaseConfig& config);
// The SQLite file path (relative paths as given; ":memory:" kept).
std::string sqlite_path(const DatabaseConfig& config);
// SOCI 4.0.3's sqlite3 connect string: db=... timeout=... [readonly=1].
std::string sqlite_soci_connect_string(const DatabaseConfig& config, bool read_only);

}  // namespace switchyard

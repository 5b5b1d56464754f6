// Database URLs (`DATABASE_URL`, `ANIMALS_DATABASE_URL`, a `url:` setting) turned into settings.
//
//   postgresql://user:pass@host:5432/dbname?sslmode=require&pool=10   (also postgres://)
//   postgresql://user@[::1]/dbname          postgresql:///dbname  (Unix socket, libpq defaults)
//   postgresql_proxy://host/dbname          adapter postgresql_proxy
//   sqlite3:db/development.sqlite3          relative path
//   sqlite3:///var/lib/app.sqlite3          absolute path
//   sqlite3::memory:                        in-memory database
//
// User, password, host, database and query parts are percent-decoded; query parameters become
// settings, typed by the known-settings table (pool=10 → 10, replica=true → true,
// schema_dump=false → false). Error messages never contain the URL itself, only which part is
// wrong, so a password in a malformed URL cannot leak.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace switchyard {

// Parses `url` into settings (adapter, host, port, database, username, password, query keys).
// `where` prefixes error messages ("DATABASE_URL", "config/database.yml: ... key 'url'").
// Throws ConfigurationError.
nlohmann::json parse_database_url(std::string_view url, const std::string& where = "database URL");

// `url` with the password (userinfo and any password-like query parameter) replaced by
// "[FILTERED]". Safe on malformed input: everything that might be a password is removed.
std::string redact_database_url(std::string_view url);

// True when `text` starts with a URL scheme ("postgresql:", "sqlite3:").
bool looks_like_database_url(std::string_view text);

}  // namespace switchyard

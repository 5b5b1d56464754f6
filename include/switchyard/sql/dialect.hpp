// The SQL dialects switchyard speaks, and the few rendering rules every layer shares: identifier
// quoting and bind placeholders. Both dialects use `$N` placeholders (SQLite accepts them as
// named parameters; the sqlite3 driver maps each `$N` to position N).
#pragma once

#include <string>
#include <string_view>

namespace switchyard::sql {

enum class Dialect { postgresql, sqlite3 };

std::string_view to_string(Dialect dialect) noexcept;
// Maps a config `adapter` ("postgresql", "postgresql_proxy", "sqlite3") to its dialect; throws
// ConfigurationError for anything else.
Dialect dialect_for_adapter(std::string_view adapter);

// Quotes one identifier ("dogs" -> "\"dogs\"", embedded quotes doubled). Never splits on dots:
// "schema.table" is one identifier; use quote_qualified for a dotted name.
std::string quote_identifier(std::string_view name);
std::string quote_qualified(std::string_view dotted_name);

// A SQL string literal: 'it''s' (for DDL and dumps that cannot take binds; values are bound).
std::string quote_literal(std::string_view text);

// "$N", 1-based.
std::string placeholder(int n);

}  // namespace switchyard::sql

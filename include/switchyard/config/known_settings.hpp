// The table of settings a database configuration may contain: every key, its type and the adapter
// it belongs to. Validation, URL query typing and the docs all read this one table, so a later
// layer adds a setting by adding one row in lib/config/known_settings.cpp.
#pragma once

#include <span>
#include <string_view>

namespace switchyard {

enum class SettingType {
  String,
  Boolean,
  Integer,             // any integer
  PositiveInteger,     // >= 1
  NonNegativeInteger,  // >= 0
  Port,                // 1..65535
  Seconds,             // a non-negative number of seconds (fractions allowed)
  Number,              // any number (for durations where <= 0 means "never")
  IntegerOrString,     // statement_timeout: 5000 or "5s"
  StringOrFalse,       // schema_dump: a file name, or false / null for none
  StringList,          // migrations_paths: a string or an array of strings
  Choice,              // one of `choices` (compared case-insensitively, stored canonical)
  Object,              // a mapping (variables, circuit_breaker)
  Array,               // replicas: database names or objects
};

// Which adapters a setting applies to; a PostgreSQL-only key in an sqlite3 config is an error.
enum class SettingScope { Any, PostgreSQL, SQLite };

struct SettingSpec {
  std::string_view key;
  SettingType type;
  SettingScope scope;
  std::string_view default_value;  // as documented; empty when there is none
  std::span<const std::string_view> choices = {};
};

// Every known setting, in documentation order.
std::span<const SettingSpec> known_settings();
// The row for `key`, or nullptr when the key is unknown.
const SettingSpec* find_setting(std::string_view key);
// The adapters switchyard can connect with: postgresql, postgresql_proxy, sqlite3.
std::span<const std::string_view> available_adapters();
// Human wording of a type ("a positive integer"), for error messages and docs.
std::string_view describe_type(const SettingSpec& spec);

}  // namespace switchyard

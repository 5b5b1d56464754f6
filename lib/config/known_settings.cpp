// The one table of database settings. To support a new key, add a row here (and a line in
// docs/configuration.md); validation, URL query typing and error suggestions pick it up.
#include "switchyard/config/known_settings.hpp"

#include <algorithm>
#include <array>

namespace switchyard {
namespace {

using T = SettingType;
using S = SettingScope;

constexpr std::array<std::string_view, 3> kAdapters = {"postgresql", "postgresql_proxy", "sqlite3"};
constexpr std::array<std::string_view, 6> kSslModes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};
constexpr std::array<std::string_view, 6> kSessionAttrs = {
    "any", "read-write", "read-only", "primary", "standby", "prefer-standby"};
constexpr std::array<std::string_view, 6> kJournalModes = {"delete", "truncate", "persist",
                                                           "memory", "wal",      "off"};
constexpr std::array<std::string_view, 4> kSynchronous = {"off", "normal", "full", "extra"};
constexpr std::array<std::string_view, 2> kStickiness = {"time", "wal"};
constexpr std::array<std::string_view, 3> kBalancing = {"round_robin", "least_outstanding",
                                                        "weighted"};

const SettingSpec kSettings[] = {
    // Identity and connection target.
    {"adapter", T::Choice, S::Any, "", kAdapters},
    {"url", T::String, S::Any, ""},
    {"host", T::String, S::PostgreSQL, "libpq default (Unix socket)"},
    {"port", T::Port, S::PostgreSQL, "5432"},
    {"database", T::String, S::Any, "libpq default (user name); required for sqlite3"},
    {"username", T::String, S::PostgreSQL, "libpq default (OS user)"},
    {"password", T::String, S::PostgreSQL, ""},
    // Roles and database tasks.
    {"replica", T::Boolean, S::Any, "false"},
    {"database_tasks", T::Boolean, S::Any, "true"},
    {"migrations_paths", T::StringList, S::Any, "migrations/<name>"},
    {"schema_dump", T::StringOrFalse, S::Any, "structure.sql / <name>_structure.sql"},
    // Pool.
    {"pool", T::PositiveInteger, S::Any, "5"},
    {"checkout_timeout", T::Seconds, S::Any, "5"},
    {"idle_timeout", T::Number, S::Any, "300 (<= 0: never)"},
    {"reaping_frequency", T::Number, S::Any, "60 (<= 0: never)"},
    {"max_lifetime", T::Number, S::Any, "none (<= 0: never)"},
    // PostgreSQL (libpq) options.
    {"encoding", T::String, S::PostgreSQL, "server default"},
    {"sslmode", T::Choice, S::PostgreSQL, "prefer", kSslModes},
    {"sslrootcert", T::String, S::PostgreSQL, ""},
    {"sslcert", T::String, S::PostgreSQL, ""},
    {"sslkey", T::String, S::PostgreSQL, ""},
    {"connect_timeout", T::NonNegativeInteger, S::PostgreSQL, "0 (wait forever)"},
    {"application_name", T::String, S::PostgreSQL, ""},
    {"options", T::String, S::PostgreSQL, ""},
    {"target_session_attrs", T::Choice, S::PostgreSQL, "any", kSessionAttrs},
    {"keepalives", T::Boolean, S::PostgreSQL, "true"},
    {"keepalives_idle", T::NonNegativeInteger, S::PostgreSQL, "OS default"},
    {"statement_timeout", T::IntegerOrString, S::PostgreSQL, "server default"},
    {"variables", T::Object, S::PostgreSQL, "{}"},
    {"prepared_statements", T::Boolean, S::PostgreSQL, "true"},
    {"schema_search_path", T::String, S::PostgreSQL, "server default"},
    // SQLite options.
    {"timeout", T::NonNegativeInteger, S::SQLite, "5000 (ms)"},
    {"busy_timeout", T::NonNegativeInteger, S::SQLite, "5000 (ms)"},
    {"journal_mode", T::Choice, S::SQLite, "sqlite default (delete)", kJournalModes},
    {"foreign_keys", T::Boolean, S::SQLite, "true"},
    {"synchronous", T::Choice, S::SQLite, "sqlite default (full)", kSynchronous},
    // Routing (proxy mode, stickiness, replica selection, health).
    {"proxy", T::Boolean, S::Any, "false"},
    {"proxy_delay", T::Seconds, S::Any, "2"},
    {"stickiness", T::Choice, S::Any, "wal (postgresql), time (sqlite3)", kStickiness},
    {"replicas", T::Array, S::Any, "[]"},
    {"load_balancing", T::Choice, S::Any, "round_robin", kBalancing},
    {"weight", T::Seconds, S::Any, "1"},
    {"max_lag_bytes", T::NonNegativeInteger, S::Any, "none"},
    {"max_lag_seconds", T::Seconds, S::Any, "none"},
    {"replica_probe_interval", T::Seconds, S::Any, "0.2"},
    {"sticky_wait", T::Seconds, S::Any, "0.02"},
    {"replicas_must_be_standbys", T::Boolean, S::PostgreSQL, "true"},
    {"circuit_breaker", T::Object, S::Any, "{}"},
    // Sync (double-write target).
    {"sync_target", T::String, S::Any, ""},
};

}  // namespace

std::span<const SettingSpec> known_settings() { return kSettings; }

const SettingSpec* find_setting(std::string_view key) {
  auto it = std::find_if(std::begin(kSettings), std::end(kSettings),
                         [&](const SettingSpec& s) { return s.key == key; });
  return it == std::end(kSettings) ? nullptr : &*it;
}

std::span<const std::string_view> available_adapters() { return kAdapters; }

std::string_view describe_type(const SettingSpec& spec) {
  switch (spec.type) {
    case T::String: return "a string";
    case T::Boolean: return "a boolean (true or false)";
    case T::Integer: return "an integer";
    case T::PositiveInteger: return "a positive integer";
    case T::NonNegativeInteger: return "a non-negative integer";
    case T::Port: return "a port number (1-65535)";
    case T::Seconds: return "a non-negative number of seconds";
    case T::Number: return "a number";
    case T::IntegerOrString: return "an integer (milliseconds) or a string such as \"5s\"";
    case T::StringOrFalse: return "a file name or false";
    case T::StringList: return "a string or a list of strings";
    case T::Choice: return "one of the listed values";
    case T::Object: return "a mapping";
    case T::Array: return "a list";
  }
  return "a value";
}

}  // namespace switchyard

// libpq conninfo and SOCI sqlite3 connect strings derived from configs.
#include "config_test_helpers.hpp"
#include "switchyard/config/connection_params.hpp"

#include <filesystem>

using namespace switchyard;
using namespace switchyard::test;

namespace {

DatabaseConfig pg(nlohmann::json settings) {
  settings["adapter"] = "postgresql";
  return DatabaseConfig("development", "primary", std::move(settings), "test");
}

DatabaseConfig lite(nlohmann::json settings) {
  settings["adapter"] = "sqlite3";
  return DatabaseConfig("development", "primary", std::move(settings), "test");
}

}  // namespace

TEST_SUITE("connection params") {

TEST_CASE("pg_conninfo maps keys and omits unset ones") {
  auto info = pg_conninfo(pg({{"host", "db.local"}, {"port", 5433}, {"database", "app"},
                              {"username", "alice"}, {"password", "pw"}, {"sslmode", "require"}}));
  CHECK(info == "host=db.local port=5433 dbname=app user=alice password=pw sslmode=require");
  CHECK(pg_conninfo(pg({{"database", "only"}})) == "dbname=only");
}

TEST_CASE("pg_conninfo quotes spaces, quotes and backslashes the libpq way") {
  auto info = pg_conninfo(pg({{"password", "a b'c\\d"}, {"application_name", "my app"}, {"sslrootcert", ""}}));
  CHECK(info.find("password='a b\\'c\\\\d'") != std::string::npos);
  CHECK(info.find("application_name='my app'") != std::string::npos);
  CHECK(info.find("sslrootcert=''") != std::string::npos);
}

TEST_CASE("pg_conninfo passes adapter options through") {
  auto info = pg_conninfo(pg({{"sslrootcert", "/etc/ca.pem"}, {"sslcert", "/c.pem"}, {"sslkey", "/k.pem"},
                              {"connect_timeout", 3}, {"target_session_attrs", "read-write"},
                              {"keepalives", false}, {"keepalives_idle", 30}, {"encoding", "unicode"}}));
  CHECK(info == "sslrootcert=/etc/ca.pem sslcert=/c.pem sslkey=/k.pem connect_timeout=3 "
                "target_session_attrs=read-write keepalives=0 keepalives_idle=30 client_encoding=UTF8");
}

TEST_CASE("statement_timeout, schema_search_path and variables become options -c") {
  auto info = pg_conninfo(pg({{"statement_timeout", 5000},
                              {"schema_search_path", "app, public"},
                              {"variables", {{"lock_timeout", "2s"}, {"jit", false}, {"work_mem", "default"}}}}));
  CHECK(info == "options='-c statement_timeout=5000 -c search_path=app,\\\\ public -c jit=off -c lock_timeout=2s'");
}

TEST_CASE("a backslash in a server option is escaped twice: for options and for conninfo") {
  auto info = pg_conninfo(pg({{"variables", {{"app.note", "a\\b"}}}}));
  CHECK(info == "options='-c app.note=a\\\\\\\\b'");
}

TEST_CASE("raw options come first; read_only adds default_transaction_read_only") {
  auto info = pg_conninfo(pg({{"options", "-c geqo=off"}}), true);
  CHECK(info == "options='-c geqo=off -c default_transaction_read_only=on'");
}

TEST_CASE("pg_conninfo_redacted hides the password only") {
  auto config = pg({{"host", "h"}, {"password", "hunter2 x"}});
  auto info = pg_conninfo_redacted(config);
  CHECK(info == "host=h password=[FILTERED]");
  CHECK(pg_conninfo(config).find("hunter2") != std::string::npos);
}

TEST_CASE("pg_conninfo refuses an sqlite3 config") {
  auto message = error_of([] { pg_conninfo(lite({{"database", "x"}})); });
  CHECK(message.find("needs a postgresql config") != std::string::npos);
}

TEST_CASE("sqlite_path resolves relative paths against the current directory") {
  auto expected = (std::filesystem::current_path() / "db/dev.sqlite3").lexically_normal().string();
  CHECK(sqlite_path(lite({{"database", "db/./dev.sqlite3"}})) == expected);
  CHECK(sqlite_path(lite({{"database", "/abs/x.sqlite3"}})) == "/abs/x.sqlite3");
  CHECK(sqlite_path(lite({{"database", ":memory:"}})) == ":memory:");
  CHECK(error_of([] { sqlite_path(pg({{"database", "x"}})); }).find("needs an sqlite3 config") != std::string::npos);
}

TEST_CASE("sqlite_soci_connect_string: db, timeout in seconds, readonly, synchronous") {
  CHECK(sqlite_soci_connect_string(lite({{"database", "/d/x.sqlite3"}}), false) == "db=/d/x.sqlite3 timeout=5");
  CHECK(sqlite_soci_connect_string(lite({{"database", "/d/x.sqlite3"}, {"timeout", 1500}}), true) ==
        "db=/d/x.sqlite3 timeout=2 readonly=1");
  CHECK(sqlite_soci_connect_string(lite({{"database", "/d/x"}, {"busy_timeout", 0}, {"synchronous", "normal"}}),
                                   false) == "db=/d/x timeout=0 synchronous=normal");
}

TEST_CASE("sqlite_soci_connect_string double-quotes a path with spaces") {
  CHECK(sqlite_soci_connect_string(lite({{"database", "/my dir/x y.sqlite3"}}), false) ==
        "db=\"/my dir/x y.sqlite3\" timeout=5");
  auto message = error_of([] { sqlite_soci_connect_string(lite({{"database", "/a \"b\""}}), false); });
  CHECK(message.find("space and '\"'") != std::string::npos);
}

TEST_CASE("sqlite_pragmas: foreign keys on by default, journal mode when set") {
  CHECK(sqlite_pragmas(lite({{"database", "x"}})) == std::vector<std::string>{"PRAGMA foreign_keys = ON"});
  CHECK(sqlite_pragmas(lite({{"database", "x"}, {"foreign_keys", false}, {"journal_mode", "wal"}})) ==
        std::vector<std::string>{"PRAGMA foreign_keys = OFF", "PRAGMA journal_mode = wal"});
}

TEST_CASE("a loaded config converts end to end") {
  auto c = yaml("development:\n  url: postgresql://app:pw@[::1]:5433/app_dev?sslmode=disable\n");
  CHECK(pg_conninfo(c.resolve("primary")) == "host=::1 port=5433 dbname=app_dev user=app password=pw sslmode=disable");
}

}  // TEST_SUITE

// Test fixtures: the real databases scripts/test starts, found through the environment it exports.
// Without them (`meson test` alone) PostgreSQL test cases are skipped; scripts/test sets
// SWITCHYARD_REQUIRE_PG=1, so there a missing server fails the run instead of skipping.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

namespace switchyard::test {

struct PgServer {
  std::string host;
  int port = 0;
};

bool pg_available();                 // all three servers configured (or required: then true)
PgServer pg_primary();               // streaming primary
PgServer pg_replica();               // hot standby of pg_primary
PgServer pg_second();                // independent second primary (sync target, second shard)
std::string pg_user();
std::string pg_password();           // distinctive: the secrets tests search output for it

// libpq conninfo for `database` on a server ("host=... port=... dbname=... user=... password=...").
std::string pg_conninfo(const PgServer& server, const std::string& database);

// Drops and creates database `name` on the primary and on the second primary, and waits until
// the standby has replayed its creation. Each test binary uses its own names, so binaries can run
// in parallel against one cluster.
void fresh_pg_database(const std::string& name);

// Run one statement on a server as the test superuser, outside any library code (setup, checks).
std::string pg_scalar(const PgServer& server, const std::string& database, const std::string& sql);
void pg_exec(const PgServer& server, const std::string& database, const std::string& sql);

// Wait until the standby has replayed everything the primary has written (bounded: throws).
void pg_wait_catchup(const std::string& database);

// scripts/pg-cluster SUBCOMMAND (pause-replay, resume-replay, kill-replica, start-replica, ...).
void pg_cluster(const std::string& subcommand);

// A fresh, empty directory for this test process (removed at exit).
std::filesystem::path temp_dir();

// Writes `text` to `dir/name` and returns the path.
std::filesystem::path write_file(const std::filesystem::path& dir, const std::string& name,
                                 const std::string& text);

}  // namespace switchyard::test

// Decorator for PostgreSQL test cases: skipped when no servers are configured.
#define SY_PG doctest::skip(!switchyard::test::pg_available())

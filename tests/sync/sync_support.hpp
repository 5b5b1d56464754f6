// Shared helpers of the sync tests: configs for SQLite files and the test PostgreSQL servers,
// a JSON config file for the sync tool, and running / killing the tool as a child process.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "databases.hpp"
#include "switchyard/config/database_config.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/sync/table_sync.hpp"

namespace switchyard::test {

DatabaseConfig sqlite_config(const std::string& name, const std::filesystem::path& file);
nlohmann::json sqlite_settings(const std::filesystem::path& file);
DatabaseConfig pg_config(const std::string& name, const PgServer& server,
                         const std::string& database, bool replica = false);
nlohmann::json pg_settings(const PgServer& server, const std::string& database,
                           bool replica = false);

std::unique_ptr<Connection> connect(const DatabaseConfig& config);

// A fresh database `db` with table `ddl` on the primary and on the second primary, the outbox
// (and, with `capture`, the capture trigger on `dogs`) in the source: the sync of `dogs` from
// config "animals" (primary) to "target" (second primary).
sync::TableSync pg_dogs_sync(const std::string& db, const char* ddl, bool capture = true);
std::int64_t count(Connection& conn, const std::string& sql);

// Writes {"test": databases} to a file and returns its path.
std::filesystem::path write_config(const std::string& file_name, const nlohmann::json& databases);

// The sync tool (sync_main as a process). run_tool waits and returns the exit code; spawn_tool
// returns the child's pid (stdout/stderr to `log`, appended).
int run_tool(const std::vector<std::string>& args, std::string* output = nullptr);
pid_t spawn_tool(const std::vector<std::string>& args, const std::filesystem::path& log);
void kill_hard(pid_t pid);          // SIGKILL and reap
int wait_tool(pid_t pid);           // exit code (or 128 + signal)

}  // namespace switchyard::test

#include "databases.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace switchyard::test {
namespace {

std::string env(const char* name, const char* fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

PgServer server(const char* port_var) {
  return {env("SWITCHYARD_PG_HOST", "127.0.0.1"), std::atoi(env(port_var, "0").c_str())};
}

struct Conn {
  PGconn* c;
  explicit Conn(const std::string& info) : c(PQconnectdb(info.c_str())) {
    if (PQstatus(c) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(c);
      PQfinish(c);
      throw std::runtime_error("test fixture cannot connect: " + msg);
    }
  }
  ~Conn() { PQfinish(c); }
  std::string run(const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    auto st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      std::string msg = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error("test fixture: " + sql + ": " + msg);
    }
    std::string out = (st == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
                          ? PQgetvalue(r, 0, 0)
                          : "";
    PQclear(r);
    return out;
  }
};

}  // namespace

bool pg_available() {
  return !env("SWITCHYARD_PG_PRIMARY_PORT").empty() || env("SWITCHYARD_REQUIRE_PG") == "1";
}
PgServer pg_primary() { return server("SWITCHYARD_PG_PRIMARY_PORT"); }
PgServer pg_replica() { return server("SWITCHYARD_PG_REPLICA_PORT"); }
PgServer pg_second() { return server("SWITCHYARD_PG_SECOND_PORT"); }
std::string pg_user() { return env("SWITCHYARD_PG_USER", "switchyard"); }
std::string pg_password() { return env("SWITCHYARD_PG_PASSWORD"); }

std::string pg_conninfo(const PgServer& s, const std::string& database) {
  return "host=" + s.host + " port=" + std::to_string(s.port) + " dbname=" + database +
         " user=" + pg_user() + " password=" + pg_password() + " connect_timeout=5";
}

std::string pg_scalar(const PgServer& s, const std::string& database, const std::string& sql) {
  return Conn(pg_conninfo(s, database)).run(sql);
}
void pg_exec(const PgServer& s, const std::string& database, const std::string& sql) {
  Conn(pg_conninfo(s, database)).run(sql);
}

void pg_wait_catchup(const std::string& database) {
  Conn primary(pg_conninfo(pg_primary(), database));
  Conn replica(pg_conninfo(pg_replica(), database));
  // The insert position sits past the next page's header when the last record ended on a page
  // boundary; replay stops at the boundary. Compare with the header taken off in that case.
  std::string target = primary.run(
      "SELECT (CASE WHEN (l - '0/0') % pg_size_bytes(current_setting('wal_segment_size')) = 40 "
      "THEN l - 40 WHEN (l - '0/0') % current_setting('wal_block_size')::int = 24 THEN l - 24 "
      "ELSE l END)::text FROM (SELECT pg_current_wal_insert_lsn() AS l) AS s");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (replica.run("SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn") == "t") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("standby did not replay " + target + " within 30 s");
}

void fresh_pg_database(const std::string& name) {
  for (const auto& s : {pg_primary(), pg_second()}) {
    Conn c(pg_conninfo(s, "postgres"));
    c.run("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
    c.run("CREATE DATABASE \"" + name + "\"");
  }
  // The standby applies CREATE DATABASE by replay; wait until it can connect to it.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    try {
      pg_wait_catchup(name);
      return;
    } catch (const std::exception&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

void pg_cluster(const std::string& subcommand) {
  std::string script = env("SWITCHYARD_PG_CLUSTER");
  if (script.empty()) throw std::runtime_error("SWITCHYARD_PG_CLUSTER is not set");
  std::string cmd = "'" + script + "' " + subcommand + " >/dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
}

std::filesystem::path temp_dir() {
  static const std::filesystem::path dir = [] {
    auto base = std::filesystem::temp_directory_path() /
                ("switchyard-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(base);
    std::filesystem::create_directories(base);
    static struct Cleanup {
      std::filesystem::path p;
      ~Cleanup() {
        std::error_code ec;
        std::filesystem::remove_all(p, ec);
      }
    } cleanup{base};
    return base;
  }();
  return dir;
}

std::filesystem::path write_file(const std::filesystem::path& dir, const std::string& name,
                                 const std::string& text) {
  auto path = dir / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path;
}

}  // namespace switchyard::test

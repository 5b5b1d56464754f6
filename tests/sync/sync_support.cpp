#include "sync_support.hpp"

#include "switchyard/sync/outbox.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace switchyard::test {

nlohmann::json sqlite_settings(const std::filesystem::path& file) {
  return {{"adapter", "sqlite3"}, {"database", file.string()}, {"journal_mode", "wal"},
          {"timeout", 10000}};
}

DatabaseConfig sqlite_config(const std::string& name, const std::filesystem::path& file) {
  return DatabaseConfig("test", name, sqlite_settings(file), "test");
}

nlohmann::json pg_settings(const PgServer& server, const std::string& database, bool replica) {
  nlohmann::json s = {{"adapter", "postgresql"},     {"host", server.host},
                      {"port", server.port},         {"database", database},
                      {"username", pg_user()},       {"password", pg_password()},
                      {"connect_timeout", 3}};
  if (replica) s["replica"] = true;
  return s;
}

DatabaseConfig pg_config(const std::string& name, const PgServer& server,
                         const std::string& database, bool replica) {
  return DatabaseConfig("test", name, pg_settings(server, database, replica), "test");
}

std::unique_ptr<Connection> connect(const DatabaseConfig& config) {
  ConnectionIdentity id;
  id.connection_name = "test";
  return open_connection(config, id);
}

std::int64_t count(Connection& conn, const std::string& sql) {
  auto v = conn.execute(sql).scalar();
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* s = std::get_if<std::string>(&v)) return std::atoll(s->c_str());
  return -1;
}

std::filesystem::path write_config(const std::string& file_name, const nlohmann::json& databases) {
  nlohmann::json doc = {{"test", databases}};
  return write_file(temp_dir(), file_name, doc.dump(2));
}

namespace {
std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}
}  // namespace

pid_t spawn_tool(const std::vector<std::string>& args, const std::filesystem::path& log) {
  std::vector<std::string> full{SY_SYNC_TOOL};
  full.insert(full.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    setenv("SWITCHYARD_ENV", "test", 1);
    auto argv = argv_of(full);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int wait_tool(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void kill_hard(pid_t pid) {
  ::kill(pid, SIGKILL);
  wait_tool(pid);
}

int run_tool(const std::vector<std::string>& args, std::string* output) {
  static int counter = 0;
  auto log = temp_dir() / ("tool-" + std::to_string(++counter) + ".log");
  int rc = wait_tool(spawn_tool(args, log));
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  if (output) *output = ss.str();
  if (rc != 0) MESSAGE("sync tool exited " << rc << ": " << ss.str());
  return rc;
}

sync::TableSync pg_dogs_sync(const std::string& db, const char* ddl, bool capture) {
  fresh_pg_database(db);
  pg_exec(pg_primary(), db, ddl);
  pg_exec(pg_second(), db, ddl);
  sync::TableSync spec;
  spec.table = "dogs";
  spec.source = pg_config("animals", pg_primary(), db);
  spec.target = pg_config("target", pg_second(), db);
  auto src = connect(spec.source);
  sync::install_outbox(*src);
  if (capture) sync::install_capture_trigger(*src, "dogs", "id");
  return spec;
}

}  // namespace switchyard::test

#include "switchyard/sql/dialect.hpp"
#include "switchyard/migrate/schema_dumper.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "switchyard/config/connection_params.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/migrate/migration.hpp"
#include "switchyard/migrate/migrator.hpp"

extern char** environ;

namespace switchyard::migrate {
namespace {

std::string sql_string(const std::string& s) { return sql::quote_literal(s); }

std::string scrub(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos))
    text.replace(pos, secret.size(), "[FILTERED]");
  return text;
}

// Runs argv with PGPASSWORD set in the child's environment only; returns exit status, stderr.
std::pair<int, std::string> run_with_password(const std::vector<std::string>& args,
                                              const std::optional<std::string>& password) {
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "PGPASSWORD=", 11) != 0) env_strings.emplace_back(*e);
  if (password) env_strings.push_back("PGPASSWORD=" + *password);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args_copy = args;
  for (auto& s : args_copy) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw Error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(err_pipe[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execvpe(argv[0], argv.data(), envp.data());
    const char* msg = "cannot run ";
    (void)!::write(2, msg, std::strlen(msg));
    (void)!::write(2, argv[0], std::strlen(argv[0]));
    (void)!::write(2, "\n", 1);
    ::_exit(127);
  }
  ::close(err_pipe[1]);
  std::string err;
  char buf[4096];
  for (;;) {
    auto n = ::read(err_pipe[0], buf, sizeof buf);
    if (n > 0) err.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, err};
}

std::string migrations_inserts(Connection& c) {
  auto exists = c.dialect() == sql::Dialect::postgresql
                    ? c.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = ANY "
                                "(current_schemas(false)) AND table_name = 'schema_migrations'")
                    : c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
                                "'schema_migrations'");
  if (exists.empty()) return "";
  auto r = c.execute("SELECT version, checksum FROM schema_migrations", {}, {.name = "SCHEMA"});
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& row : r.rows)
    rows.emplace_back(to_text(row[0]), is_null(row[1]) ? "" : to_text(row[1]));
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  if (rows.empty()) return "";
  std::string out = "INSERT INTO \"schema_migrations\" (version, checksum) VALUES\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out += "(" + sql_string(rows[i].first) + ", " +
           (rows[i].second.empty() ? std::string("NULL") : sql_string(rows[i].second)) + ")";
    out += i + 1 < rows.size() ? ",\n" : ";\n";
  }
  return out;
}

}  // namespace

void dump_structure(const DatabaseConfig& config, const std::filesystem::path& path) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  auto conn = open_connection(config, ConnectionIdentity{.connection_name = "switchyard:schema",
                                                         .role = "writing",
                                                         .shard = "default",
                                                         .database = config.name(),
                                                         .node = {}});
  std::string tail;
  if (conn->dialect() == sql::Dialect::postgresql) {
    auto settings = config.settings();
    std::optional<std::string> password;
    if (settings.contains("password") && settings["password"].is_string())
      password = settings["password"].get<std::string>();
    settings.erase("password");
    DatabaseConfig no_secret(config.env_name(), config.name(), settings, config.source());
    auto [code, err] = run_with_password({"pg_dump", "--schema-only", "--no-owner", "--no-privileges",
                                          "--file", path.string(), "--dbname", pg_conninfo(no_secret)},
                                         password);
    if (code != 0)
      throw Error("pg_dump failed for database '" + config.name() + "' (exit " + std::to_string(code) +
                  "): " + scrub(err, password.value_or("")));
    auto inserts = migrations_inserts(*conn);
    std::ofstream out(path, std::ios::app);
    if (!inserts.empty()) out << "SET search_path TO \"$user\", public;\n\n" << inserts << "\n";
    if (!out) throw Error("cannot write " + path.string());
    return;
  }
  auto r = conn->execute(
      "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
      {}, {.name = "SCHEMA"});
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw Error("cannot write " + path.string());
  for (const auto& row : r.rows) out << to_text(row[0]) << ";\n";
  auto inserts = migrations_inserts(*conn);
  if (!inserts.empty()) out << "\n" << inserts;
  if (!out) throw Error("cannot write " + path.string());
}

void load_structure(Connection& connection, const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + " doesn't exist yet. Run `switchyard db:migrate` to create it, then try again.");
  std::string text, line;
  while (std::getline(in, line)) {
    if (line.rfind("\\restrict", 0) == 0 || line.rfind("\\unrestrict", 0) == 0) continue;
    text += line;
    text += '\n';
  }
  if (split_statements(text).empty()) return;
  connection.execute(text, {}, {.name = "Schema Load", .bind_names = {}, .route_reason = {}, .prepare = false});
}

}  // namespace switchyard::migrate

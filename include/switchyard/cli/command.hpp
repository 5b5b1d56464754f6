// The `switchyard` command's extension point: a registry of command factories.
//
// Every command (the built-in db:* tasks and generators, and commands other layers or an
// application add) is a Command registered under a name. A layer adds commands from its own
// translation unit without touching anyone else's:
//
//   // lib/cli/route_command.cpp
//   #include <CLI/CLI.hpp>
//   #include "switchyard/cli/command.hpp"
//   namespace {
//   struct RouteExplain : switchyard::cli::Command {
//     std::string sql;
//     void configure(CLI::App& app) override { app.add_option("sql", sql, "SQL text")->required(); }
//     int run(switchyard::cli::Context& ctx) override { ctx.out() << ...; return 0; }
//   };
//   const switchyard::cli::CommandRegistration route_explain{
//       {.name = "route:explain", .description = "Explain where a statement would be routed",
//        .factory = [] { return std::make_unique<RouteExplain>(); }}};
//   }  // namespace
//
// `configure` gets the command's own CLI11 subcommand (description and --help already set) to add
// options and positionals to; `run` is called after a successful parse. Commands report failure
// by throwing (switchyard::Error: exit 1; UsageError or migrate::TaskUsageError: exit 2) or by
// returning a status. See docs/cli.md.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/config/database_configurations.hpp"
#include "switchyard/errors.hpp"

namespace CLI {
class App;
}

namespace switchyard::cli {

// Options every command accepts (before or after the command name).
struct GlobalOptions {
  std::string config{};  // --config PATH; empty: config/database.yml, else config/database.json
  std::string env{};     // --env NAME; empty: SWITCHYARD_ENV, else "development"
  std::string root{};    // --root DIR; empty: the directory above config/ (or the config's directory)
};

// What a running command can use.
class Context {
 public:
  Context(std::ostream& out, std::ostream& err, GlobalOptions globals,
          std::map<std::string, std::string> settings, std::optional<std::string> database);

  std::ostream& out() const noexcept { return out_; }
  std::ostream& err() const noexcept { return err_; }
  const GlobalOptions& globals() const noexcept { return globals_; }

  // The environment: --env, else SWITCHYARD_ENV, else development.
  std::string env() const;
  // The configuration file: --config, else ROOT-or-cwd config/database.yml, then .json.
  std::filesystem::path config_path() const;
  // The application root: --root, else derived from the config path, else the current directory.
  std::filesystem::path root() const;
  // Loaded on first use (throws ConfigurationError with file and key).
  const DatabaseConfigurations& configurations();

  // KEY=value arguments (STEP=2 VERSION=2024...), Rails style.
  const std::map<std::string, std::string>& settings() const noexcept { return settings_; }
  std::optional<std::string> setting(const std::string& key) const;
  // The database of a namespaced invocation (`db:migrate:animals`) or --database.
  const std::optional<std::string>& database() const noexcept { return database_; }
  void set_database(std::optional<std::string> database) { database_ = std::move(database); }

 private:
  std::ostream& out_;
  std::ostream& err_;
  GlobalOptions globals_;
  std::map<std::string, std::string> settings_;
  std::optional<std::string> database_;
  std::optional<DatabaseConfigurations> configurations_;
};

class Command {
 public:
  virtual ~Command() = default;
  // Add options / positionals to the command's CLI11 subcommand.
  virtual void configure(CLI::App& app) = 0;
  // Returns the exit status (0 ok, 1 failed, 2 usage).
  virtual int run(Context& context) = 0;
};

using CommandFactory = std::function<std::unique_ptr<Command>()>;

struct CommandInfo {
  std::string name{};          // "db:migrate", "route:explain", "sync:backfill", "generate"
  std::string description{};   // one line for --help
  CommandFactory factory{};
  // Accepts a database: `NAME:db` (db:migrate:animals) and --database/-d are allowed.
  bool takes_database = false;
  // KEY=value arguments the command understands (besides the global SWITCHYARD_ENV and
  // DISABLE_DATABASE_ENVIRONMENT_CHECK); others are a usage error.
  std::vector<std::string> settings{};
  std::vector<std::string> aliases{};  // "g" for "generate"
  std::string group = "Commands";      // heading in --help
};

// Adds a command; a later registration with the same name replaces the earlier one (an
// application can override a built-in). Thread-safe; usually called during static
// initialisation through CommandRegistration, or from main before run().
void register_command(CommandInfo info);
// Every registered command, sorted by name.
std::vector<CommandInfo> registered_commands();

struct CommandRegistration {
  explicit CommandRegistration(CommandInfo info) { register_command(std::move(info)); }
};

// Invalid invocation: printed with a hint to --help, exit status 2.
class UsageError : public ArgumentError {
 public:
  using ArgumentError::ArgumentError;
};

}  // namespace switchyard::cli

// The command runner: the registry of commands, argument pre-processing (namespaced task names,
// Rails' KEY=value arguments) and CLI11 parsing with switchyard's exit statuses.
#include "switchyard/cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <regex>

#include "builtin_commands.hpp"
#include "switchyard/cli/command.hpp"
#include "switchyard/migrate/migration.hpp"

namespace switchyard::cli {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, CommandInfo> commands;
};

Registry& registry() {
  static Registry r;
  return r;
}

const std::vector<std::string> global_settings = {"SWITCHYARD_ENV", "DISABLE_DATABASE_ENVIRONMENT_CHECK"};

bool is_setting(const std::string& token) {
  static const std::regex pattern("^[A-Z][A-Z0-9_]*=.*$");
  return std::regex_match(token, pattern);
}

struct Invocation {
  std::vector<std::string> args;  // for CLI11, KEY=value removed, namespaced names split
  std::map<std::string, std::string> settings;
  std::optional<std::string> database;  // from `task:NAME`
  std::string command;                  // the registered name, "" when none found
  std::string unknown;                  // a command word that matched nothing
};

bool takes_value(const std::string& token) {
  return token == "-c" || token == "--config" || token == "-e" || token == "--env" || token == "--root";
}

// Finds the command (exact name, alias, or `name:database` for commands that take a database),
// removes it from the arguments, and pulls out KEY=value settings.
Invocation preprocess(const std::vector<std::string>& in, const std::vector<CommandInfo>& commands) {
  Invocation inv;
  bool found = false;
  bool after_dashes = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto& token = in[i];
    if (after_dashes) {
      inv.args.push_back(token);
      continue;
    }
    if (token == "--") {
      after_dashes = true;
      inv.args.push_back(token);
      continue;
    }
    if (is_setting(token)) {
      auto eq = token.find('=');
      inv.settings[token.substr(0, eq)] = token.substr(eq + 1);
      continue;
    }
    if (!found && takes_value(token) && i + 1 < in.size()) {
      inv.args.push_back(token);
      inv.args.push_back(in[++i]);
      continue;
    }
    if (!found && !token.empty() && token[0] != '-') {
      found = true;
      for (const auto& c : commands) {
        bool alias = std::find(c.aliases.begin(), c.aliases.end(), token) != c.aliases.end();
        if (token == c.name || alias) {
          inv.command = c.name;
          break;
        }
      }
      if (inv.command.empty()) {
        // Namespaced: the longest command name N with token == N + ":" + database.
        const CommandInfo* best = nullptr;
        for (const auto& c : commands) {
          if (!c.takes_database || token.size() <= c.name.size() + 1) continue;
          if (token.compare(0, c.name.size(), c.name) != 0 || token[c.name.size()] != ':') continue;
          if (token.find(':', c.name.size() + 1) != std::string::npos) continue;
          if (!best || c.name.size() > best->name.size()) best = &c;
        }
        if (best) {
          inv.command = best->name;
          inv.database = token.substr(best->name.size() + 1);
        } else {
          inv.unknown = token;
        }
      }
      continue;
    }
    inv.args.push_back(token);
  }
  return inv;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

void register_command(CommandInfo info) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  auto name = info.name;
  r.commands[name] = std::move(info);
}

namespace detail {
void register_default_command(CommandInfo info) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  auto name = info.name;
  r.commands.emplace(name, std::move(info));
}

void register_builtin_commands() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_db_commands();
    register_generate_command();
  });
}
}  // namespace detail

std::vector<CommandInfo> registered_commands() {
  detail::register_builtin_commands();
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<CommandInfo> out;
  for (const auto& [name, info] : r.commands) out.push_back(info);
  return out;
}

// ---- Context ------------------------------------------------------------------------------------

Context::Context(std::ostream& out, std::ostream& err, GlobalOptions globals,
                 std::map<std::string, std::string> settings, std::optional<std::string> database)
    : out_(out),
      err_(err),
      globals_(std::move(globals)),
      settings_(std::move(settings)),
      database_(std::move(database)) {}

std::string Context::env() const {
  if (!globals_.env.empty()) return globals_.env;
  if (auto s = setting("SWITCHYARD_ENV"); s && !s->empty()) return *s;
  return DatabaseConfigurations::current_env();
}

std::filesystem::path Context::root() const {
  if (!globals_.root.empty()) return std::filesystem::absolute(globals_.root).lexically_normal();
  if (!globals_.config.empty()) {
    auto dir = std::filesystem::absolute(globals_.config).lexically_normal().parent_path();
    return dir.filename() == "config" ? dir.parent_path() : dir;
  }
  return std::filesystem::current_path();
}

std::filesystem::path Context::config_path() const {
  if (!globals_.config.empty()) return globals_.config;
  auto dir = root() / "config";
  for (const char* name : {"database.yml", "database.json"})
    if (std::filesystem::exists(dir / name)) return dir / name;
  throw ConfigurationError("no database configuration: neither " + (dir / "database.yml").string() + " nor " +
                           (dir / "database.json").string() + " exists (pass --config PATH)");
}

const DatabaseConfigurations& Context::configurations() {
  if (!configurations_) configurations_ = DatabaseConfigurations::load_file(config_path(), env());
  return *configurations_;
}

std::optional<std::string> Context::setting(const std::string& key) const {
  auto it = settings_.find(key);
  if (it == settings_.end()) return std::nullopt;
  return it->second;
}

// ---- run ----------------------------------------------------------------------------------------

int run(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  std::string program = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "switchyard";
  return run(args, std::cout, std::cerr, program);
}

namespace {

void add_global_options(CLI::App& app, GlobalOptions& globals) {
  app.add_option("-c,--config", globals.config,
                 "Database configuration file (default: config/database.yml, then config/database.json)")
      ->group("Global options");
  app.add_option("-e,--env", globals.env, "Environment (default: SWITCHYARD_ENV, else development)")
      ->group("Global options");
  app.add_option("--root", globals.root,
                 "Application root holding migrations/ and db/ (default: the directory above the config's "
                 "config/ folder, else the current directory)")
      ->group("Global options");
}

void print_overview(std::ostream& out, const std::string& program, const std::vector<CommandInfo>& commands) {
  out << "switchyard: database tasks, generators and tools for a multi-database C++ application.\n\n"
      << "Usage: " << program << " [--config PATH] [--env NAME] [--root DIR] COMMAND [options] [KEY=value ...]\n"
      << "       " << program << " COMMAND --help\n";
  std::map<std::string, std::vector<const CommandInfo*>> groups;
  std::size_t width = 0;
  for (const auto& c : commands) {
    groups[c.group].push_back(&c);
    width = std::max(width, c.name.size() + (c.takes_database ? 5 : 0));
  }
  for (const auto& [group, list] : groups) {
    out << "\n" << group << ":\n";
    for (const auto* c : list) {
      std::string name = c->name + (c->takes_database ? "[:DB]" : "");
      out << "  " << name << std::string(width + 2 - name.size(), ' ') << c->description << "\n";
    }
  }
  out << "\nGlobal options:\n"
      << "  -c, --config PATH  Database configuration file (default: config/database.yml, then .json)\n"
      << "  -e, --env NAME     Environment (default: SWITCHYARD_ENV, else development)\n"
      << "  --root DIR         Application root holding migrations/ and db/\n"
      << "  -h, --help         This text; COMMAND --help for a command's options\n"
      << "\nTasks marked [:DB] take a database name as in Rails (db:migrate:animals) or --database NAME.\n"
      << "KEY=value arguments work as in Rails: STEP=2, VERSION=20240101000000, SWITCHYARD_ENV=test,\n"
      << "DISABLE_DATABASE_ENVIRONMENT_CHECK=1.\n"
      << "Exit status: 0 ok, 1 failed, 2 usage error.\n";
}

}  // namespace

int run(const std::vector<std::string>& raw, std::ostream& out, std::ostream& err, const std::string& program) {
  auto commands = registered_commands();
  auto inv = preprocess(raw, commands);
  bool wants_help = std::any_of(inv.args.begin(), inv.args.end(),
                                [](const std::string& a) { return a == "-h" || a == "--help"; });
  if (inv.command.empty()) {
    if (!inv.unknown.empty()) {
      err << program << ": unknown command '" << inv.unknown << "'. Run `" << program << " --help` for the list.\n";
      return 2;
    }
    if (wants_help) {
      print_overview(out, program, commands);
      return 0;
    }
    print_overview(err, program, commands);
    err << "\n" << program << ": no command given\n";
    return 2;
  }
  const CommandInfo& info = *std::find_if(commands.begin(), commands.end(),
                                          [&](const CommandInfo& c) { return c.name == inv.command; });

  std::string description = info.description;
  if (info.takes_database)
    description += "\nPer database: " + info.name + ":NAME (or --database NAME); replicas and database_tasks: false "
                   "databases are never acted on.";
  CLI::App app{description, program + " " + info.name};
  GlobalOptions globals;
  add_global_options(app, globals);
  std::optional<std::string> database_flag;
  if (info.takes_database)
    app.add_option("-d,--database", database_flag, "Only this database (same as " + info.name + ":NAME)");
  if (!info.settings.empty()) {
    std::string keys;
    for (const auto& k : info.settings) keys += (keys.empty() ? "" : ", ") + k;
    app.footer("KEY=value arguments: " + keys + ".");
  }
  auto command = info.factory();
  command->configure(app);

  try {
    std::vector<std::string> reversed(inv.args.rbegin(), inv.args.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    return code == 0 ? 0 : 2;
  }

  for (const auto& [key, value] : inv.settings) {
    bool known = std::find(global_settings.begin(), global_settings.end(), key) != global_settings.end() ||
                 std::find(info.settings.begin(), info.settings.end(), key) != info.settings.end();
    if (!known) {
      std::vector<std::string> allowed = info.settings;
      allowed.insert(allowed.end(), global_settings.begin(), global_settings.end());
      err << program << ": " << info.name << " does not take " << key << "= (it takes " << join(allowed) << ")\n";
      return 2;
    }
  }
  if (inv.database && database_flag && *inv.database != *database_flag) {
    err << program << ": two databases given: " << *inv.database << " and --database " << *database_flag << "\n";
    return 2;
  }

  Context context(out, err, globals, inv.settings, inv.database ? inv.database : database_flag);
  try {
    int status = command->run(context);
    out << std::flush;
    return status;
  } catch (const UsageError& e) {
    out << std::flush;
    err << program << ": " << e.what() << "\nRun `" << program << " " << info.name << " --help` for usage.\n";
    return 2;
  } catch (const migrate::TaskUsageError& e) {
    out << std::flush;
    err << program << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    out << std::flush;
    err << program << ": error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace switchyard::cli

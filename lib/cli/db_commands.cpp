// The db:* commands: thin wrappers over migrate::DatabaseTasks with Rails' names, KEY=value
// arguments and refusals.
#include <CLI/CLI.hpp>

#include <ostream>

#include "builtin_commands.hpp"
#include "switchyard/cli/command.hpp"
#include "switchyard/migrate/database_tasks.hpp"

namespace switchyard::cli::detail {
namespace {

using migrate::DatabaseTasks;

enum Flags : unsigned {
  kForce = 1,
  kMigrate = 2,   // --allow-edited, --lock-timeout, --dump-schema
  kStep = 4,
  kVersion = 8,
  kSchemaDir = 16,
};

class DbCommand;
using Body = std::function<void(DbCommand&, Context&, DatabaseTasks&)>;

class DbCommand : public Command {
 public:
  DbCommand(std::string name, unsigned flags, Body body)
      : name_(std::move(name)), flags_(flags), body_(std::move(body)) {}

  void configure(CLI::App& app) override {
    if (flags_ & kForce)
      app.add_flag("-f,--force", force_,
                   "Skip the protected-environment check (same as DISABLE_DATABASE_ENVIRONMENT_CHECK=1)");
    if (flags_ & kMigrate) {
      app.add_flag("--allow-edited", allow_edited_, "Migrate although an applied migration's file was edited");
      app.add_option("--lock-timeout", lock_timeout_,
                     "Seconds to wait for another migrator's lock (0: fail at once)")
          ->default_val(300)
          ->check(CLI::NonNegativeNumber);
      app.add_flag("--dump-schema", dump_schema_, "Dump the schema of each migrated database afterwards");
    }
    if (flags_ & kStep) app.add_option("--step", step_, "How many migrations (same as STEP=n)");
    if (flags_ & kVersion) app.add_option("--version", version_, "Migration version (same as VERSION=n)");
    if (flags_ & (kSchemaDir | kMigrate))
      app.add_option("--schema-dir", schema_dir_, "Directory of structure files (default: ROOT/db)");
  }

  int run(Context& ctx) override {
    migrate::TaskOptions options;
    options.root = ctx.root();
    options.out = &ctx.out();
    options.force = force_ || ctx.setting("DISABLE_DATABASE_ENVIRONMENT_CHECK").value_or("0") != "0";
    options.allow_edited = allow_edited_;
    options.lock_timeout = lock_timeout_;
    options.dump_schema_after_migration = dump_schema_;
    if (!schema_dir_.empty()) options.schema_dir = std::filesystem::absolute(schema_dir_);
    DatabaseTasks tasks(ctx.configurations(), options);
    body_(*this, ctx, tasks);
    return 0;
  }

  const std::string& name() const { return name_; }

  // VERSION=... or --version, as a number; nullopt when absent.
  std::optional<std::int64_t> version(const Context& ctx) const {
    auto text = version_.empty() ? ctx.setting("VERSION").value_or("") : version_;
    if (text.empty()) return std::nullopt;
    if (text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
      throw UsageError("VERSION must be a migration version (digits), got '" + text + "'");
    return std::stoll(text);
  }
  std::optional<int> step(const Context& ctx) const {
    auto text = step_.empty() ? ctx.setting("STEP").value_or("") : step_;
    if (text.empty()) return std::nullopt;
    if (text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos || std::stoi(text) < 1)
      throw UsageError("STEP must be a positive number, got '" + text + "'");
    return std::stoi(text);
  }

 private:
  std::string name_;
  unsigned flags_;
  Body body_;
  bool force_ = false;
  bool allow_edited_ = false;
  double lock_timeout_ = 300;
  bool dump_schema_ = false;
  std::string step_;
  std::string version_;
  std::string schema_dir_;
};

void add(const std::string& name, const std::string& description, unsigned flags, bool takes_database,
         std::vector<std::string> settings, Body body) {
  register_default_command(CommandInfo{
      .name = name,
      .description = description,
      .factory = [name, flags, body] { return std::make_unique<DbCommand>(name, flags, body); },
      .takes_database = takes_database,
      .settings = std::move(settings),
      .aliases = {},
      .group = "Database tasks"});
}

void print_config(std::ostream& out, const DatabaseConfig& c, const DatabaseConfigurations& all) {
  std::string flags;
  if (all.is_primary(c)) flags += " primary";
  if (c.replica()) flags += " replica";
  else if (c.hidden()) flags += " database_tasks: false";
  out << c.name() << (flags.empty() ? "" : " (" + flags.substr(1) + ")") << ": " << c.redacted().dump() << "\n";
}

}  // namespace

void register_db_commands() {
  add("db:create", "Create the databases of the environment (and test's, in development)", 0, true, {},
      [](DbCommand&, Context& ctx, DatabaseTasks& t) { t.create(ctx.database()); });
  add("db:drop", "Drop the databases (refused in production unless forced)", kForce, true, {},
      [](DbCommand&, Context& ctx, DatabaseTasks& t) { t.drop(ctx.database()); });
  add("db:purge", "Empty the databases: drop and create (refused in production unless forced)", kForce, true, {},
      [](DbCommand&, Context& ctx, DatabaseTasks& t) { t.purge(ctx.database()); });
  add("db:migrate",
      "Run pending migrations of every database in global version order (VERSION=n: up to n)", kMigrate | kVersion,
      true, {"VERSION"}, [](DbCommand& c, Context& ctx, DatabaseTasks& t) {
        auto target = c.version(ctx);
        if (ctx.database()) t.migrate(*ctx.database(), target);
        else t.migrate(target);
      });
  add("db:rollback", "Revert the last STEP migrations (default 1) of one database", kMigrate | kStep | kVersion,
      true, {"STEP", "VERSION"}, [](DbCommand& c, Context& ctx, DatabaseTasks& t) {
        auto db = t.require_single("db:rollback", ctx.database());
        if (c.version(ctx))
          throw UsageError("VERSION is not supported - To rollback a specific version, use db:migrate:down");
        t.rollback(db.name(), c.step(ctx).value_or(1));
      });
  add("db:migrate:up", "Run the migration VERSION of one database", kMigrate | kVersion, true,
      {"VERSION"}, [](DbCommand& c, Context& ctx, DatabaseTasks& t) {
        auto db = t.require_single("db:migrate:up", ctx.database());
        auto version = c.version(ctx);
        if (!version) throw UsageError("VERSION is required");
        t.migrate_up(db.name(), *version);
      });
  add("db:migrate:down", "Revert the migration VERSION of one database", kMigrate | kVersion, true,
      {"VERSION"}, [](DbCommand& c, Context& ctx, DatabaseTasks& t) {
        auto db = t.require_single("db:migrate:down", ctx.database());
        auto version = c.version(ctx);
        if (!version) throw UsageError("VERSION is required - To go down one migration, use db:rollback");
        t.migrate_down(db.name(), *version);
      });
  add("db:migrate:redo", "Revert and re-run VERSION, or the last STEP migrations, of one database",
      kMigrate | kStep | kVersion, true, {"STEP", "VERSION"},
      [](DbCommand& c, Context& ctx, DatabaseTasks& t) {
        auto db = t.require_single("db:migrate:redo", ctx.database());
        t.redo(db.name(), c.version(ctx), c.step(ctx).value_or(1));
      });
  add("db:migrate:status", "Show up/down status of every migration, per database", 0, true, {},
      [](DbCommand&, Context& ctx, DatabaseTasks& t) { t.status(ctx.database()); });
  add("db:version", "Print the current schema version, per database", 0, true, {},
      [](DbCommand&, Context& ctx, DatabaseTasks& t) { t.version(ctx.database()); });
  add("db:abort_if_pending_migrations", "Fail when migrations are pending", 0, true, {},
      [](DbCommand&, Context& ctx, DatabaseTasks& t) { t.abort_if_pending_migrations(ctx.database()); });
  add("db:schema:dump", "Write db/structure.sql (primary) and db/NAME_structure.sql", kSchemaDir, true, {},
      [](DbCommand&, Context& ctx, DatabaseTasks& t) { t.dump_schema(ctx.database()); });
  add("db:schema:load", "Purge and load each database from its structure file (refused in production)",
      kSchemaDir | kForce, true, {}, [](DbCommand&, Context& ctx, DatabaseTasks& t) { t.load_schema(ctx.database()); });
  add("db:prepare", "Create missing databases, load schemas or migrate, seed new databases once",
      kMigrate | kSchemaDir, false, {}, [](DbCommand&, Context&, DatabaseTasks& t) { t.prepare(); });
  add("db:seed", "Run db/seeds.sql (or the registered C++ seed) on the primary database", 0, false, {},
      [](DbCommand&, Context&, DatabaseTasks& t) { t.seed(); });
  add("db:environment:set", "Record the current environment in each database", 0, true, {},
      [](DbCommand&, Context& ctx, DatabaseTasks& t) {
        t.set_environment(ctx.database());
        ctx.out() << "Environment set to " << t.env() << "\n";
      });
  add("db:config", "Print the resolved configuration of each database (passwords filtered)", 0, true, {},
      [](DbCommand&, Context& ctx, DatabaseTasks& t) {
        const auto& all = t.configurations();
        ctx.out() << "environment: " << t.env() << " (" << ctx.config_path().string() << ")\n";
        if (ctx.database()) {
          auto c = all.find(t.env(), *ctx.database(), true);
          if (!c) throw UsageError("The `" + *ctx.database() + "` database is not configured for the `" + t.env() +
                                   "` environment.");
          print_config(ctx.out(), *c, all);
          return;
        }
        for (const auto& c : all.configs_for(t.env(), true)) print_config(ctx.out(), c, all);
      });
}

}  // namespace switchyard::cli::detail

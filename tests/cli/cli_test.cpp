// The `switchyard` command: exit statuses, Rails' task names and refusals, output, secrets, and
// the command registry other layers and applications use.
#include <sstream>

#include "cli_support.hpp"
#include "switchyard/cli/cli.hpp"
#include "switchyard/cli/command.hpp"

#include <CLI/CLI.hpp>

using namespace switchyard;
using sytest::App;
using sytest::sy_cli;

namespace {

App cli_app(const std::string& label, const std::string& env = "development") {
  auto a = App::sqlite(label, env);
  a.migration("primary", "20240101000000", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
              "DROP TABLE users;");
  a.migration("animals", "20240102000000", "create_dogs", "CREATE TABLE dogs (id INTEGER PRIMARY KEY, name TEXT);",
              "DROP TABLE dogs;");
  a.migration("animals", "20240103000000", "add_breed_to_dogs", "ALTER TABLE dogs ADD COLUMN breed TEXT;",
              "ALTER TABLE dogs DROP COLUMN breed;");
  a.write_config();
  return a;
}

}  // namespace

TEST_CASE("cli: --help, no command, unknown command and bad options have the right exit status") {
  auto a = cli_app("cli-help");
  auto help = sy_cli(a.root, "--help");
  CHECK(help.status == 0);
  CHECK(help.out.find("db:migrate[:DB]") != std::string::npos);
  CHECK(help.out.find("generate") != std::string::npos);
  auto none = sy_cli(a.root, "");
  CHECK(none.status == 2);
  CHECK(none.err.find("no command given") != std::string::npos);
  auto unknown = sy_cli(a.root, "db:frobnicate");
  CHECK(unknown.status == 2);
  CHECK(unknown.err == "switchyard: unknown command 'db:frobnicate'. Run `switchyard --help` for the list.\n");
  auto sub_help = sy_cli(a.root, "db:rollback --help");
  CHECK(sub_help.status == 0);
  CHECK(sub_help.out.find("--step") != std::string::npos);
  CHECK(sub_help.out.find("KEY=value arguments: STEP, VERSION.") != std::string::npos);
  CHECK(sy_cli(a.root, "db:migrate --no-such-flag").status == 2);
  CHECK(sy_cli(a.root, "g model --help").status == 0);
  auto setting = sy_cli(a.root, "db:migrate STEP=2");
  CHECK(setting.status == 2);
  CHECK(setting.err.find("db:migrate does not take STEP=") != std::string::npos);
}

TEST_CASE("cli: db:migrate, status, namespaced tasks and Rails' refusals over SQLite") {
  auto a = cli_app("cli-tasks");
  auto migrate = sy_cli(a.root, "db:migrate");
  REQUIRE(migrate.status == 0);
  CHECK(migrate.err.empty());
  CHECK(migrate.out.find("== 20240101000000 CreateUsers [primary]: migrating ====") == 0);
  CHECK(migrate.out.find("== 20240103000000 AddBreedToDogs [animals]: migrated (") != std::string::npos);

  auto status = sy_cli(a.root, "db:migrate:status:animals");
  CHECK(status.status == 0);
  CHECK(status.out == "\ndatabase: " + (a.root / "db" / "animals.sqlite3").string() +
                          "\n\n Status   Migration ID    Migration Name\n"
                          "--------------------------------------------------\n"
                          "   up     20240102000000  Create dogs\n"
                          "   up     20240103000000  Add breed to dogs\n\n");

  auto rollback = sy_cli(a.root, "db:rollback");
  CHECK(rollback.status == 2);
  CHECK(rollback.err ==
        "switchyard: You're using a multiple database application. To use `db:rollback` you must run the namespaced "
        "task with a VERSION. Available tasks are db:rollback:primary and db:rollback:animals.\n");
  for (const char* task : {"db:migrate:up", "db:migrate:down", "db:migrate:redo"}) {
    auto r = sy_cli(a.root, std::string(task) + " VERSION=20240102000000");
    CHECK(r.status == 2);
    CHECK(r.err.find(std::string("To use `") + task + "` you must run the namespaced task") != std::string::npos);
  }
  auto no_version = sy_cli(a.root, "db:migrate:up:animals");
  CHECK(no_version.status == 2);
  CHECK(no_version.err.find("switchyard: VERSION is required\n") == 0);
  CHECK(sy_cli(a.root, "db:migrate:down:animals").err.find(
            "VERSION is required - To go down one migration, use db:rollback") != std::string::npos);
  CHECK(sy_cli(a.root, "db:rollback:animals VERSION=1").err.find("VERSION is not supported") != std::string::npos);
  CHECK(sy_cli(a.root, "db:rollback:animals STEP=zero").status == 2);

  auto down = sy_cli(a.root, "db:rollback:animals STEP=2");
  CHECK(down.status == 0);
  CHECK(down.out.find("AddBreedToDogs [animals]: reverting") < down.out.find("CreateDogs [animals]: reverting"));
  CHECK(a.versions("animals").empty());
  CHECK(a.versions("primary") == "20240101000000");
  CHECK(sy_cli(a.root, "db:migrate:up:animals VERSION=20240102000000").status == 0);
  CHECK(sy_cli(a.root, "db:migrate:up --database animals --version 20240103000000").status == 0);
  CHECK(a.versions("animals") == "20240102000000,20240103000000");
  CHECK(sy_cli(a.root, "db:migrate:redo:animals STEP=2").status == 0);
  CHECK(a.versions("animals") == "20240102000000,20240103000000");
  CHECK(sy_cli(a.root, "db:migrate:animals --database primary").status == 2);  // two databases

  auto replica = sy_cli(a.root, "db:migrate:animals_replica");
  CHECK(replica.status == 2);
  CHECK(replica.err.find("'animals_replica' is a replica (replica: true)") != std::string::npos);
  CHECK(sy_cli(a.root, "db:migrate:legacy").err.find("database_tasks: false") != std::string::npos);

  auto version = sy_cli(a.root, "db:version:animals");
  CHECK(version.out == "\ndatabase: animals\nCurrent version: 20240103000000\n");

  // A failing migration: exit 1, the error on stderr, progress on stdout.
  a.migration("animals", "20240104000000", "broken", "INSERT INTO nowhere VALUES (1);");
  auto broken = sy_cli(a.root, "db:migrate");
  CHECK(broken.status == 1);
  CHECK(broken.out.find("20240104000000 Broken [animals]: migrating") != std::string::npos);
  CHECK(broken.err.find("switchyard: error: An error has occurred, this and all later migrations canceled") == 0);
}

TEST_CASE("cli: config discovery, --config, --root, --env and SWITCHYARD_ENV") {
  auto a = cli_app("cli-config");
  auto elsewhere = sytest::fresh_dir("cli-elsewhere");
  auto missing = sy_cli(elsewhere, "db:migrate");
  CHECK(missing.status == 1);
  CHECK(missing.err.find("no database configuration") != std::string::npos);
  // --config from elsewhere: the root is the directory above config/.
  auto r = sy_cli(elsewhere, "--config " + sytest::shell_quote((a.root / "config" / "database.json").string()) +
                                     " db:migrate:primary");
  CHECK(r.status == 0);
  CHECK(a.versions("primary") == "20240101000000");
  auto env = sy_cli(a.root, "db:migrate --env production");
  CHECK(env.status == 1);
  CHECK(env.err.find("production") != std::string::npos);
  CHECK(sy_cli(a.root, "db:migrate", "SWITCHYARD_ENV=staging").err.find("staging") != std::string::npos);
  CHECK(sy_cli(a.root, "db:migrate SWITCHYARD_ENV=staging").err.find("staging") != std::string::npos);
}

TEST_CASE("cli: destructive tasks refuse in production unless forced") {
  auto a = cli_app("cli-production", "production");
  REQUIRE(sy_cli(a.root, "db:migrate --env production").status == 0);
  auto drop = sy_cli(a.root, "db:drop --env production");
  CHECK(drop.status == 1);
  CHECK(drop.err ==
        "switchyard: error: You are attempting to run a destructive action against your 'production' database.\n"
        "If you are sure you want to continue, run the same command with the environment variable:\n"
        "DISABLE_DATABASE_ENVIRONMENT_CHECK=1 (or pass --force)\n");
  CHECK(sy_cli(a.root, "db:schema:load --env production").status == 1);
  CHECK(sy_cli(a.root, "db:purge:animals --env production").status == 1);
  CHECK(std::filesystem::exists(a.root / "db" / "animals.sqlite3"));
  auto forced = sy_cli(a.root, "db:drop:animals --env production DISABLE_DATABASE_ENVIRONMENT_CHECK=1");
  CHECK(forced.status == 0);
  CHECK(forced.out == "Dropped database '" + (a.root / "db" / "animals.sqlite3").string() + "'\n");
  auto env_var = sy_cli(a.root, "db:drop:primary --env production", "DISABLE_DATABASE_ENVIRONMENT_CHECK=1");
  CHECK(env_var.status == 0);
  CHECK(sy_cli(a.root, "db:create --env production").status == 0);
  CHECK(sy_cli(a.root, "db:drop --env production --force").status == 0);
}

TEST_CASE("cli: db:schema:dump / load, db:prepare and db:seed") {
  auto a = cli_app("cli-schema");
  test::write_file(a.root / "db", "seeds.sql", "INSERT INTO users (name) VALUES ('seeded');");
  REQUIRE(sy_cli(a.root, "db:prepare").status == 0);
  CHECK(to_text(a.connect("primary")->execute("SELECT count(*) FROM users").scalar()) == "1");
  auto dump = sy_cli(a.root, "db:schema:dump");
  CHECK(dump.status == 0);
  CHECK(std::filesystem::exists(a.root / "db" / "structure.sql"));
  CHECK(std::filesystem::exists(a.root / "db" / "animals_structure.sql"));
  auto load = sy_cli(a.root, "db:schema:load:animals");
  CHECK(load.status == 0);
  CHECK(load.out.find("Loaded the schema of 'animals'") != std::string::npos);
  CHECK(a.versions("animals") == "20240102000000,20240103000000");
  auto seed = sy_cli(a.root, "db:seed");
  CHECK(seed.status == 0);
  CHECK(to_text(a.connect("primary")->execute("SELECT count(*) FROM users").scalar()) == "2");
  auto dir = sy_cli(a.root, "db:schema:dump:animals --schema-dir out");
  CHECK(dir.status == 0);
  CHECK(std::filesystem::exists(a.root / "out" / "animals_structure.sql"));
}

TEST_CASE("cli: db:migrate:status flags edited migrations; migrate refuses them unless --allow-edited") {
  auto a = cli_app("cli-edited");
  REQUIRE(sy_cli(a.root, "db:migrate").status == 0);
  a.migration("animals", "20240102000000", "create_dogs", "CREATE TABLE dogs (id INTEGER PRIMARY KEY);",
              "DROP TABLE dogs;");
  a.migration("animals", "20240105000000", "add_age", "ALTER TABLE dogs ADD COLUMN age INTEGER;");
  CHECK(sy_cli(a.root, "db:migrate:status").out.find("   up     20240102000000  Create dogs  (edited since it was applied)") !=
        std::string::npos);
  auto refused = sy_cli(a.root, "db:migrate");
  CHECK(refused.status == 1);
  CHECK(refused.err.find("were edited after they were applied") != std::string::npos);
  CHECK(sy_cli(a.root, "db:migrate --allow-edited").status == 0);
  CHECK(a.versions("animals") == "20240102000000,20240103000000,20240105000000");
}

TEST_CASE("cli: passwords never reach the output (PostgreSQL)" * SY_PG) {
  auto a = App::postgresql("sy_migrate_cli_secret");
  a.migration("animals", "1", "create_dogs", "CREATE TABLE dogs (id bigserial PRIMARY KEY);", "DROP TABLE dogs;");
  a.migration("animals", "2", "broken", "SELECT * FROM nowhere;");
  a.write_config();
  auto password = test::pg_password();
  REQUIRE_FALSE(password.empty());
  std::string all;
  auto config = sy_cli(a.root, "db:config");
  CHECK(config.status == 0);
  CHECK(config.out.find("\"password\":\"[FILTERED]\"") != std::string::npos);
  CHECK(config.out.find("animals_replica (replica)") != std::string::npos);
  CHECK(config.out.find("legacy (database_tasks: false)") != std::string::npos);
  all += config.out + config.err;
  for (const char* args : {"db:migrate", "db:migrate:status", "db:schema:dump", "db:create", "db:version"}) {
    auto r = sy_cli(a.root, args);
    all += r.out + r.err;
  }
  // A wrong password in an error path.
  a.tree["development"]["animals"]["password"] = "Wr0ng-" + password;
  a.write_config();
  auto wrong = sy_cli(a.root, "db:migrate:animals");
  CHECK(wrong.status == 1);
  all += wrong.out + wrong.err;
  CHECK(all.find("An error has occurred") != std::string::npos);  // the broken migration was reached
  CHECK(all.find(password) == std::string::npos);
  auto schema = sytest::slurp(a.root / "db" / "animals_structure.sql");
  CHECK(schema.find("CREATE TABLE public.dogs") != std::string::npos);
  CHECK(schema.find(password) == std::string::npos);
}

// ---- the registry ---------------------------------------------------------------------------------

namespace {

struct HelloCommand : cli::Command {
  std::string who = "world";
  void configure(CLI::App& app) override { app.add_option("--who", who, "Whom to greet"); }
  int run(cli::Context& ctx) override {
    ctx.out() << "hello " << who << " in " << ctx.env();
    if (ctx.database()) ctx.out() << " on " << *ctx.database();
    if (auto n = ctx.setting("TIMES")) ctx.out() << " x" << *n;
    ctx.out() << "\n";
    if (who == "usage") throw cli::UsageError("bad who");
    if (who == "fail") throw Error("it failed");
    return who == "three" ? 3 : 0;
  }
};

const cli::CommandRegistration hello_registration{cli::CommandInfo{
    .name = "hello:world",
    .description = "Greets",
    .factory = [] { return std::make_unique<HelloCommand>(); },
    .takes_database = true,
    .settings = {"TIMES"},
    .aliases = {"hi"},
    .group = "Examples"}};

int run_in_process(const std::vector<std::string>& args, std::string& out, std::string& err) {
  std::ostringstream o, e;
  int rc = cli::run(args, o, e);
  out = o.str();
  err = e.str();
  return rc;
}

}  // namespace

TEST_CASE("cli: commands registered from another translation unit, namespaced and with KEY=value") {
  std::string out, err;
  CHECK(run_in_process({"hello:world", "--who", "doctest", "--env", "staging"}, out, err) == 0);
  CHECK(out == "hello doctest in staging\n");
  CHECK(run_in_process({"hello:world:animals", "TIMES=2"}, out, err) == 0);
  CHECK(out.find("on animals x2") != std::string::npos);
  CHECK(run_in_process({"hi", "--database", "primary"}, out, err) == 0);
  CHECK(out.find("on primary") != std::string::npos);
  CHECK(run_in_process({"hello:world", "--who", "three"}, out, err) == 3);
  CHECK(run_in_process({"hello:world", "--who", "usage"}, out, err) == 2);
  CHECK(err == "switchyard: bad who\nRun `switchyard hello:world --help` for usage.\n");
  CHECK(run_in_process({"hello:world", "--who", "fail"}, out, err) == 1);
  CHECK(err == "switchyard: error: it failed\n");
  CHECK(run_in_process({"--help"}, out, err) == 0);
  CHECK(out.find("Examples:\n  hello:world[:DB]") != std::string::npos);

  // An application can replace a built-in command.
  cli::register_command(cli::CommandInfo{.name = "db:seed",
                                         .description = "The application's seed",
                                         .factory = [] { return std::make_unique<HelloCommand>(); },
                                         .takes_database = false,
                                         .settings = {},
                                         .aliases = {},
                                         .group = "Database tasks"});
  CHECK(run_in_process({"db:seed", "--who", "seeder"}, out, err) == 0);
  CHECK(out.find("hello seeder") == 0);
}

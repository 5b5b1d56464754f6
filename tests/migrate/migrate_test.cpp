// Migrations and database tasks against SQLite multi-database configs, plus the pure parts
// (file names, checksums, statement splitting).
#include <future>
#include <thread>

#include "app_fixture.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/migrate/schema_dumper.hpp"

using namespace switchyard;
using namespace switchyard::migrate;
using sytest::App;
namespace fs = std::filesystem;

namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no exception>";
}

void standard_migrations(const App& a) {
  a.migration("primary", "20240101000000", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
              "DROP TABLE users;");
  a.migration("animals", "20240102000000", "create_dogs", "CREATE TABLE dogs (id INTEGER PRIMARY KEY, name TEXT);",
              "DROP TABLE dogs;");
  a.migration("primary", "20240103000000", "add_email_to_users", "ALTER TABLE users ADD COLUMN email TEXT;",
              "ALTER TABLE users DROP COLUMN email;");
  a.migration("animals", "20240103000000", "add_breed_to_dogs", "ALTER TABLE dogs ADD COLUMN breed TEXT;",
              "ALTER TABLE dogs DROP COLUMN breed;");
}

}  // namespace

TEST_CASE("names: camelize, underscore, humanize") {
  CHECK(camelize("create_dogs") == "CreateDogs");
  CHECK(underscore("AddBreedToDogs") == "add_breed_to_dogs");
  CHECK(underscore("CreateHTTPLogs") == "create_http_logs");
  CHECK(humanize("create_dogs") == "Create dogs");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("split_statements honours quotes, dollar quotes, comments and triggers") {
  auto s = split_statements(
      "-- leading comment\nCREATE TABLE a (v text DEFAULT ';');\n"
      "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n"
      "/* ; */ SELECT \"x;y\" FROM a;\n"
      "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET v = 'x'; DELETE FROM a; END;\n"
      "-- trailing comment only\n");
  REQUIRE(s.size() == 4);
  CHECK(s[0] == "-- leading comment\nCREATE TABLE a (v text DEFAULT ';');");
  CHECK(s[1].find("$body$ SELECT 1; $body$") != std::string::npos);
  CHECK(s[2].rfind("/* ; */ SELECT", 0) == 0);
  CHECK(s[3].find("DELETE FROM a; END;") != std::string::npos);
  CHECK(split_statements("-- only a comment\n").empty());
  CHECK(split_statements("SELECT $1").size() == 1);
}

TEST_CASE("load_migrations: pairs, opt-out marker, checksums and errors") {
  auto a = App::sqlite("load");
  a.migration("animals", "20240101000000", "create_dogs", "CREATE TABLE dogs (id integer);", "DROP TABLE dogs;");
  a.migration("animals", "2", "concurrent_index", "-- switchyard:no_transaction\nCREATE INDEX i ON dogs (id);");
  sytest::fs::create_directories(a.root / "migrations" / "animals");
  test::write_file(a.root / "migrations" / "animals", "README.md", "ignored");
  auto ms = load_migrations("animals", {a.root / "migrations" / "animals", a.root / "missing"});
  REQUIRE(ms.size() == 2);
  CHECK(ms[0].version == 2);
  CHECK_FALSE(ms[0].up_transactional);
  CHECK_FALSE(ms[0].reversible());
  CHECK(ms[1].version == 20240101000000);
  CHECK(ms[1].class_name() == "CreateDogs");
  CHECK(ms[1].up_transactional);
  CHECK(ms[1].reversible());
  CHECK(ms[1].checksum == sha256_hex("CREATE TABLE dogs (id integer);"));

  auto dup = App::sqlite("dup");
  dup.migration("animals", "1", "a", "SELECT 1;");
  dup.migration("animals", "001", "b", "SELECT 1;");
  CHECK_THROWS_AS(load_migrations("animals", {dup.root / "migrations" / "animals"}), DuplicateMigrationVersionError);

  auto orphan = App::sqlite("orphan");
  sytest::fs::create_directories(orphan.root / "migrations" / "x");
  test::write_file(orphan.root / "migrations" / "x", "5_gone.down.sql", "SELECT 1;");
  CHECK(message_of([&] { load_migrations("x", {orphan.root / "migrations" / "x"}); }).find("no matching 5_gone.up.sql") !=
        std::string::npos);

  auto bad = App::sqlite("badname");
  sytest::fs::create_directories(bad.root / "migrations" / "x");
  test::write_file(bad.root / "migrations" / "x", "v1_thing.up.sql", "SELECT 1;");
  CHECK_THROWS_AS(load_migrations("x", {bad.root / "migrations" / "x"}), MigrationError);
}

TEST_CASE("sqlite: db:migrate runs pending versions of all databases in global version order") {
  auto a = App::sqlite("global");
  standard_migrations(a);
  std::ostringstream out;
  a.tasks(&out).migrate();
  auto text = out.str();
  auto p1 = text.find("== 20240101000000 CreateUsers [primary]: migrating");
  auto p2 = text.find("== 20240102000000 CreateDogs [animals]: migrating");
  auto p3 = text.find("== 20240103000000 AddEmailToUsers [primary]: migrating");
  auto p4 = text.find("== 20240103000000 AddBreedToDogs [animals]: migrating");
  REQUIRE(p1 != std::string::npos);
  REQUIRE(p2 != std::string::npos);
  REQUIRE(p3 != std::string::npos);
  REQUIRE(p4 != std::string::npos);
  CHECK(p1 < p2);
  CHECK(p2 < p3);
  CHECK(p3 < p4);  // equal versions: both run, in config order
  CHECK(text.find("== 20240101000000 CreateUsers [primary]: migrated (") != std::string::npos);
  CHECK(a.versions("primary") == "20240101000000,20240103000000");
  CHECK(a.versions("animals") == "20240102000000,20240103000000");
  // Hidden databases are never touched: the database_tasks: false file was not even created.
  CHECK_FALSE(fs::exists(a.root / "db" / "legacy.sqlite3"));
  // Bookkeeping: checksum recorded, environment recorded.
  auto c = a.connect("animals");
  CHECK(to_text(c->execute("SELECT checksum FROM schema_migrations WHERE version = '20240102000000'").scalar()) ==
        sha256_hex("CREATE TABLE dogs (id INTEGER PRIMARY KEY, name TEXT);"));
  CHECK(to_text(c->execute("SELECT value FROM switchyard_internal_metadata WHERE key = 'environment'").scalar()) ==
        "development");
  // Nothing pending: a second run prints nothing.
  std::ostringstream again;
  a.tasks(&again).migrate();
  CHECK(again.str().empty());
}

TEST_CASE("sqlite: db:migrate with a target runs only versions up to it") {
  auto a = App::sqlite("target");
  standard_migrations(a);
  a.tasks().migrate(std::int64_t{20240102000000});
  CHECK(a.versions("primary") == "20240101000000");
  CHECK(a.versions("animals") == "20240102000000");
}

TEST_CASE("sqlite: namespaced tasks act on one database") {
  auto a = App::sqlite("namespaced");
  standard_migrations(a);
  auto tasks = a.tasks();
  tasks.migrate("animals");
  CHECK(a.versions("animals") == "20240102000000,20240103000000");
  CHECK_FALSE(a.has_table("primary", "schema_migrations"));

  tasks.rollback("animals", 2);
  CHECK(a.versions("animals").empty());
  CHECK_FALSE(a.has_table("animals", "dogs"));

  tasks.migrate_up("animals", 20240102000000);
  CHECK(a.versions("animals") == "20240102000000");
  tasks.migrate_up("animals", 20240102000000);  // already up: nothing
  CHECK(a.versions("animals") == "20240102000000");
  tasks.migrate_down("animals", 20240102000000);
  CHECK(a.versions("animals").empty());

  tasks.migrate("animals");
  std::ostringstream out;
  a.tasks(&out).redo("animals", std::int64_t{20240103000000});
  CHECK(out.str().find("20240103000000 AddBreedToDogs [animals]: reverting") != std::string::npos);
  CHECK(out.str().find("20240103000000 AddBreedToDogs [animals]: migrated") != std::string::npos);
  CHECK(a.versions("animals") == "20240102000000,20240103000000");

  // migrate to a lower target reverts what is above it.
  tasks.migrate("animals", std::int64_t{20240102000000});
  CHECK(a.versions("animals") == "20240102000000");
  CHECK_THROWS_AS(tasks.migrate_up("animals", 99), UnknownMigrationVersionError);
}

TEST_CASE("sqlite: refusals name the tasks, replicas and hidden databases") {
  auto a = App::sqlite("refusals");
  auto tasks = a.tasks();
  CHECK(message_of([&] { tasks.require_single("db:rollback", std::nullopt); }) ==
        "You're using a multiple database application. To use `db:rollback` you must run the namespaced "
        "task with a VERSION. Available tasks are db:rollback:primary and db:rollback:animals.");
  CHECK_THROWS_AS(tasks.require_single("db:migrate:up", std::nullopt), TaskUsageError);
  CHECK(tasks.require_single("db:rollback", std::string("animals")).name() == "animals");
  CHECK(message_of([&] { tasks.migrate("animals_replica"); }).find("is a replica") != std::string::npos);
  CHECK(message_of([&] { tasks.migrate("legacy"); }).find("database_tasks: false") != std::string::npos);
  CHECK(message_of([&] { tasks.migrate("nope"); }) ==
        "The `nope` database is not configured for the `development` environment. Task databases: "
        "primary, animals.");

  // Three task databases: Rails' to_sentence.
  auto b = App::sqlite("three");
  b.tree["development"]["cats"] = {{"adapter", "sqlite3"}, {"database", (b.root / "db" / "cats.sqlite3").string()}};
  CHECK(message_of([&] { b.tasks().require_single("db:migrate:redo", std::nullopt); })
            .find("Available tasks are db:migrate:redo:primary, db:migrate:redo:animals, and "
                  "db:migrate:redo:cats.") != std::string::npos);

  // One task database: un-namespaced tasks act on it.
  auto c = App::sqlite("single");
  c.tree["development"].erase("animals");
  CHECK(c.tasks().require_single("db:rollback", std::nullopt).name() == "primary");
}

TEST_CASE("sqlite: db:migrate:status per database, NO FILE and edited rows") {
  auto a = App::sqlite("status");
  standard_migrations(a);
  auto tasks = a.tasks();
  std::ostringstream before;
  a.tasks(&before).status();
  CHECK(before.str() == "\ndatabase: " + (a.root / "db" / "primary.sqlite3").string() +
                            "\n\nSchema migrations table does not exist yet.\n\ndatabase: " +
                            (a.root / "db" / "animals.sqlite3").string() +
                            "\n\nSchema migrations table does not exist yet.\n\n");
  tasks.migrate();
  a.connect("animals")->execute("INSERT INTO schema_migrations (version) VALUES ('20230101000000')");
  a.migration("animals", "20240104000000", "add_age_to_dogs", "ALTER TABLE dogs ADD COLUMN age INTEGER;");
  // Edit an applied migration.
  a.migration("animals", "20240102000000", "create_dogs",
              "CREATE TABLE dogs (id INTEGER PRIMARY KEY, name TEXT NOT NULL);", "DROP TABLE dogs;");
  std::ostringstream out;
  a.tasks(&out).status("animals");
  CHECK(out.str() == "\ndatabase: " + (a.root / "db" / "animals.sqlite3").string() +
                         "\n\n"
                         " Status   Migration ID    Migration Name\n"
                         "--------------------------------------------------\n"
                         "   up     20230101000000  ********** NO FILE **********\n"
                         "   up     20240102000000  Create dogs  (edited since it was applied)\n"
                         "   up     20240103000000  Add breed to dogs\n"
                         "  down    20240104000000  Add age to dogs\n\n");
}

TEST_CASE("sqlite: an edited applied migration stops db:migrate unless allowed") {
  auto a = App::sqlite("edited");
  standard_migrations(a);
  a.tasks().migrate();
  a.migration("primary", "20240101000000", "create_users", "CREATE TABLE users (id INTEGER PRIMARY KEY);",
              "DROP TABLE users;");
  a.migration("animals", "20240105000000", "add_age_to_dogs", "ALTER TABLE dogs ADD COLUMN age INTEGER;");
  auto msg = message_of([&] { a.tasks().migrate(); });
  CHECK(msg.find("Applied migrations of database 'primary' were edited") != std::string::npos);
  CHECK(msg.find("20240101000000_create_users.up.sql") != std::string::npos);
  CHECK(msg.find("--allow-edited") != std::string::npos);
  CHECK(a.versions("animals") == "20240102000000,20240103000000");  // nothing ran anywhere
  CHECK_THROWS_AS(a.tasks().migrate("primary"), EditedMigrationError);

  TaskOptions allow;
  allow.allow_edited = true;
  a.tasks(nullptr, allow).migrate();
  CHECK(a.versions("animals") == "20240102000000,20240103000000,20240105000000");

  // Editing only a .down.sql is allowed: the checksum covers what was applied.
  auto b = App::sqlite("edited-down");
  standard_migrations(b);
  b.tasks().migrate();
  b.migration("animals", "20240102000000", "create_dogs", "CREATE TABLE dogs (id INTEGER PRIMARY KEY, name TEXT);",
              "DROP TABLE IF EXISTS dogs;");
  CHECK(b.tasks().migrator(b.config("animals"))->edited().empty());
}

TEST_CASE("sqlite: a failing migration rolls back with its bookkeeping and stops later ones") {
  auto a = App::sqlite("failing");
  a.migration("animals", "1", "create_dogs", "CREATE TABLE dogs (id INTEGER);");
  a.migration("animals", "2", "broken", "CREATE TABLE cats (id INTEGER);\nINSERT INTO no_such_table VALUES (1);");
  a.migration("animals", "3", "later", "CREATE TABLE birds (id INTEGER);");
  auto msg = message_of([&] { a.tasks().migrate("animals"); });
  CHECK(msg.find("An error has occurred, this and all later migrations canceled") != std::string::npos);
  CHECK(msg.find("animals 2 Broken") != std::string::npos);
  CHECK(msg.find("no_such_table") != std::string::npos);
  CHECK(a.versions("animals") == "1");
  CHECK_FALSE(a.has_table("animals", "cats"));  // rolled back with the failed statement
  CHECK_FALSE(a.has_table("animals", "birds"));
}

TEST_CASE("sqlite: C++ migrations registered in code run in version order with the SQL ones") {
  clear_registered_migrations();
  auto a = App::sqlite("cpp");
  a.migration("animals", "1", "create_dogs", "CREATE TABLE dogs (id INTEGER, name TEXT);", "DROP TABLE dogs;");
  register_migration(
      "animals", 2, "SeedDogNames",
      [](Connection& c) {
        for (const char* n : {"Rex", "Fido"}) c.execute("INSERT INTO dogs (name) VALUES ($1)", {Value{std::string(n)}});
      },
      [](Connection& c) { c.execute("DELETE FROM dogs"); });
  CHECK_THROWS_AS(register_migration("animals", 2, "again", [](Connection&) {}), ArgumentError);
  std::ostringstream out;
  a.tasks(&out).migrate("animals");
  CHECK(out.str().find("== 2 SeedDogNames [animals]: migrated") != std::string::npos);
  CHECK(to_text(a.connect("animals")->execute("SELECT count(*) FROM dogs").scalar()) == "2");
  a.tasks().rollback("animals", 1);
  CHECK(to_text(a.connect("animals")->execute("SELECT count(*) FROM dogs").scalar()) == "0");
  CHECK(a.versions("animals") == "1");
  clear_registered_migrations();
}

TEST_CASE("sqlite: the migration lock makes concurrent migrators apply each migration once") {
  auto a = App::sqlite("lock");
  for (int i = 1; i <= 6; ++i) {
    a.migration("primary", std::to_string(i * 2), "p" + std::to_string(i),
                "CREATE TABLE p" + std::to_string(i) + " (id INTEGER);");
    a.migration("animals", std::to_string(i * 2 + 1), "a" + std::to_string(i),
                "CREATE TABLE a" + std::to_string(i) + " (id INTEGER);");
  }
  a.tasks().create();
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      try {
        a.tasks().migrate();
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  CHECK(errors[0].empty());
  CHECK(errors[1].empty());
  CHECK(a.versions("primary") == "2,4,6,8,10,12");
  CHECK(a.versions("animals") == "3,5,7,9,11,13");
}

TEST_CASE("sqlite: a second migrator waits for the lock, or fails clearly with lock_timeout 0") {
  clear_registered_migrations();
  auto a = App::sqlite("lock-timeout");
  std::promise<void> entered, release;
  auto release_future = release.get_future().share();
  register_migration("animals", 1, "slow", [&](Connection&) {
    entered.set_value();
    release_future.wait();
  });
  a.tasks().create("animals");
  std::thread first([&] { a.tasks().migrate("animals"); });
  entered.get_future().wait();
  TaskOptions impatient;
  impatient.lock_timeout = 0;
  auto msg = message_of([&] { a.tasks(nullptr, impatient).migrate("animals"); });
  CHECK(msg.find("Cannot run migrations because another migration process is currently running") !=
        std::string::npos);
  TaskOptions patient;
  patient.lock_timeout = 30;
  std::ostringstream waiting;
  std::thread second([&] { a.tasks(&waiting, patient).migrate("animals"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  release.set_value();
  first.join();
  second.join();
  CHECK(waiting.str().find("Waiting for another migrator to release the migration lock on 'animals'") !=
        std::string::npos);
  CHECK(a.versions("animals") == "1");
  clear_registered_migrations();
}

TEST_CASE("sqlite: db:create / db:drop messages; hidden databases untouched") {
  auto a = App::sqlite("create");
  std::ostringstream out;
  auto tasks = a.tasks(&out);
  tasks.create();
  auto p = (a.root / "db" / "primary.sqlite3").string();
  auto an = (a.root / "db" / "animals.sqlite3").string();
  CHECK(out.str() == "Created database '" + p + "'\nCreated database '" + an + "'\n");
  out.str("");
  tasks.create("animals");
  CHECK(out.str() == "Database '" + an + "' already exists\n");
  CHECK_FALSE(fs::exists(a.root / "db" / "legacy.sqlite3"));
  out.str("");
  tasks.drop();
  CHECK(out.str() == "Dropped database '" + p + "'\nDropped database '" + an + "'\n");
  CHECK_FALSE(fs::exists(p));
  out.str("");
  tasks.drop("animals");
  CHECK(out.str() == "Database '" + an + "' does not exist\n");
}

TEST_CASE("sqlite: destructive tasks refuse in production and against a database of another environment") {
  auto a = App::sqlite("production", "production");
  a.migration("animals", "1", "create_dogs", "CREATE TABLE dogs (id INTEGER);");
  a.tasks().migrate();
  auto msg = message_of([&] { a.tasks().drop(); });
  CHECK(msg ==
        "You are attempting to run a destructive action against your 'production' database.\nIf you are sure "
        "you want to continue, run the same command with the environment variable:\n"
        "DISABLE_DATABASE_ENVIRONMENT_CHECK=1 (or pass --force)");
  CHECK_THROWS_AS(a.tasks().load_schema(), ProtectedEnvironmentError);
  CHECK_THROWS_AS(a.tasks().purge("animals"), ProtectedEnvironmentError);
  CHECK(fs::exists(a.root / "db" / "animals.sqlite3"));

  // The same files opened as development: the database remembers production.
  App dev = a;
  dev.env = "development";
  dev.tree = {{"development", a.tree["production"]}};
  CHECK_THROWS_AS(dev.tasks().drop("animals"), ProtectedEnvironmentError);

  // A database last migrated in staging, touched from development: mismatch.
  App staging = a;
  staging.env = "staging";
  staging.tree = {{"staging", a.tree["production"]}};
  staging.tasks().set_environment();
  auto mismatch = message_of([&] { dev.tasks().drop("animals"); });
  CHECK(mismatch.find("You are attempting to modify a database that was last run in `staging` environment.") == 0);
  CHECK(mismatch.find("switchyard db:environment:set --env development") != std::string::npos);

  TaskOptions force;
  force.force = true;
  a.tasks(nullptr, force).drop("animals");
  CHECK_FALSE(fs::exists(a.root / "db" / "animals.sqlite3"));
  a.tasks().create("animals");
  setenv("DISABLE_DATABASE_ENVIRONMENT_CHECK", "1", 1);
  CHECK_NOTHROW(a.tasks().drop("animals"));
  unsetenv("DISABLE_DATABASE_ENVIRONMENT_CHECK");
}

TEST_CASE("sqlite: schema dump and load per database with Rails' file names") {
  auto a = App::sqlite("schema");
  standard_migrations(a);
  a.connect("animals");  // nothing yet
  a.tasks().migrate();
  std::ostringstream out;
  a.tasks(&out).dump_schema();
  auto primary_file = a.root / "db" / "structure.sql";
  auto animals_file = a.root / "db" / "animals_structure.sql";
  REQUIRE(fs::exists(primary_file));
  REQUIRE(fs::exists(animals_file));
  CHECK_FALSE(fs::exists(a.root / "db" / "legacy_structure.sql"));
  CHECK_FALSE(fs::exists(a.root / "db" / "animals_replica_structure.sql"));
  auto animals = sytest::slurp(animals_file);
  CHECK(animals.find("CREATE TABLE dogs") != std::string::npos);
  CHECK(animals.find("users") == std::string::npos);
  CHECK(animals.find("INSERT INTO \"schema_migrations\" (version, checksum) VALUES\n('20240102000000', '") !=
        std::string::npos);
  CHECK(sytest::slurp(primary_file).find("CREATE TABLE users") != std::string::npos);

  // Load into the database after destroying it: same tables, same versions.
  a.connect("animals")->execute("DROP TABLE dogs; INSERT INTO schema_migrations (version) VALUES ('7')");
  a.tasks().load_schema("animals");
  CHECK(a.has_table("animals", "dogs"));
  CHECK(a.versions("animals") == "20240102000000,20240103000000");
  CHECK(a.tasks().migrator(a.config("animals"))->edited().empty());  // checksums survived
  CHECK(a.tasks().migrator(a.config("animals"))->pending_versions().empty());

  // schema_dump: false turns the file off; a custom --schema-dir moves it.
  a.tree["development"]["animals"]["schema_dump"] = false;
  TaskOptions dir;
  dir.schema_dir = a.root / "elsewhere";
  a.tasks(nullptr, dir).dump_schema();
  CHECK(fs::exists(a.root / "elsewhere" / "structure.sql"));
  CHECK_FALSE(fs::exists(a.root / "elsewhere" / "animals_structure.sql"));
}

TEST_CASE("sqlite: db:prepare creates, loads the schema or migrates, then seeds once") {
  auto a = App::sqlite("prepare");
  standard_migrations(a);
  test::write_file(a.root / "db", "seeds.sql", "INSERT INTO users (name) VALUES ('admin');");
  // animals has a schema file: it is loaded instead of migrated.
  a.tasks().migrate();
  a.tasks().dump_schema("animals");
  a.tasks(nullptr, TaskOptions{.force = true}).drop();
  std::ostringstream out;
  a.tasks(&out).prepare();
  auto text = out.str();
  CHECK(text.find("Created database") != std::string::npos);
  CHECK(text.find("Loaded the schema of 'animals'") != std::string::npos);
  CHECK(text.find("CreateUsers [primary]: migrated") != std::string::npos);
  CHECK(text.find("CreateDogs [animals]: migrating") == std::string::npos);  // from the schema
  CHECK(a.versions("animals") == "20240102000000,20240103000000");
  CHECK(to_text(a.connect("primary")->execute("SELECT count(*) FROM users").scalar()) == "1");
  // Second prepare: nothing to create, nothing to seed.
  a.tasks().prepare();
  CHECK(to_text(a.connect("primary")->execute("SELECT count(*) FROM users").scalar()) == "1");
}

TEST_CASE("sqlite: db:seed runs a registered C++ seed on the primary; db:version") {
  auto a = App::sqlite("seed");
  standard_migrations(a);
  a.tasks().migrate();
  register_seed([](Connection& c) { c.execute("INSERT INTO users (name) VALUES ('from c++')"); });
  a.tasks().seed();
  clear_registered_seed();
  CHECK(to_text(a.connect("primary")->execute("SELECT name FROM users").scalar()) == "from c++");
  std::ostringstream out;
  a.tasks(&out).version();
  CHECK(out.str() == "\ndatabase: primary\nCurrent version: 20240103000000\n\ndatabase: animals\nCurrent "
                     "version: 20240103000000\n");
  a.migration("animals", "20240109000000", "later", "SELECT 1;");
  CHECK(message_of([&] { a.tasks().abort_if_pending_migrations(); }) ==
        "You have 1 pending migration:\n  animals 20240109000000 Later\nRun `switchyard db:migrate` to update "
        "your database then try again.");
}

TEST_CASE("sqlite: a Rails-made schema_migrations gains switchyard's columns") {
  auto a = App::sqlite("rails-table");
  a.migration("animals", "1", "one", "CREATE TABLE one (id INTEGER);");
  a.migration("animals", "2", "two", "CREATE TABLE two (id INTEGER);");
  a.tasks().create("animals");
  a.connect("animals")->execute(
      "CREATE TABLE one (id INTEGER); CREATE TABLE schema_migrations (version varchar NOT NULL PRIMARY KEY); "
      "INSERT INTO schema_migrations VALUES ('1')");
  auto m = a.tasks().migrator(a.config("animals"));
  CHECK(m->pending_versions() == std::vector<std::int64_t>{2});
  m->migrate();
  CHECK(a.versions("animals") == "1,2");
  CHECK(m->edited().empty());  // no recorded checksum: nothing to compare
}

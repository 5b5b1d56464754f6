// Migrations and database tasks against the PostgreSQL cluster: primary + hot standby + second
// primary (the database_tasks: false database lives there).
#include <future>
#include <thread>

#include "app_fixture.hpp"
#include "switchyard/errors.hpp"

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

void pg_migrations(const App& a) {
  a.migration("primary", "20240101000000", "create_users", "CREATE TABLE users (id bigserial PRIMARY KEY, name text);",
              "DROP TABLE users;");
  a.migration("animals", "20240102000000", "create_dogs", "CREATE TABLE dogs (id bigserial PRIMARY KEY, name text);",
              "DROP TABLE dogs;");
  a.migration("primary", "20240103000000", "add_email_to_users", "ALTER TABLE users ADD COLUMN email text;",
              "ALTER TABLE users DROP COLUMN email;");
  a.migration("animals", "20240103000000", "add_breed_to_dogs",
              "ALTER TABLE dogs ADD COLUMN breed text;\nCREATE FUNCTION dog_count() RETURNS bigint AS $$ SELECT "
              "count(*) FROM dogs; $$ LANGUAGE sql;",
              "DROP FUNCTION dog_count();\nALTER TABLE dogs DROP COLUMN breed;");
}

}  // namespace

TEST_CASE("postgresql: global version order across databases; replicas and hidden databases untouched" * SY_PG) {
  auto a = App::postgresql("sy_migrate_global");
  pg_migrations(a);
  std::ostringstream out;
  a.tasks(&out).migrate();
  auto text = out.str();
  auto p1 = text.find("20240101000000 CreateUsers [primary]: migrating");
  auto p2 = text.find("20240102000000 CreateDogs [animals]: migrating");
  auto p3 = text.find("20240103000000 AddEmailToUsers [primary]: migrating");
  auto p4 = text.find("20240103000000 AddBreedToDogs [animals]: migrating");
  REQUIRE(p4 != std::string::npos);
  CHECK(p1 < p2);
  CHECK(p2 < p3);
  CHECK(p3 < p4);
  CHECK(a.versions("primary") == "20240101000000,20240103000000");
  CHECK(a.versions("animals") == "20240102000000,20240103000000");
  // The legacy database (database_tasks: false) on the second primary got nothing.
  CHECK(test::pg_scalar(test::pg_second(), "sy_migrate_global_main",
                        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'") == "0");
  // The replica follows by replication only; opening it for tasks is refused.
  test::pg_wait_catchup("sy_migrate_global_animals");
  CHECK(test::pg_scalar(test::pg_replica(), "sy_migrate_global_animals", "SELECT count(*) FROM schema_migrations") == "2");
  CHECK(message_of([&] { a.tasks().rollback("animals_replica", 1); }).find("is a replica") != std::string::npos);

  // Namespaced rollback / up / down / redo on PostgreSQL.
  auto tasks = a.tasks();
  tasks.rollback("animals", 1);
  CHECK(a.versions("animals") == "20240102000000");
  tasks.migrate_up("animals", 20240103000000);
  tasks.redo("animals", std::nullopt, 2);
  CHECK(a.versions("animals") == "20240102000000,20240103000000");
  tasks.migrate_down("primary", 20240103000000);
  CHECK(a.versions("primary") == "20240101000000");
  tasks.migrate();
  CHECK(a.versions("primary") == "20240101000000,20240103000000");
}

TEST_CASE("postgresql: transactional DDL rolls back; -- switchyard:no_transaction allows CREATE INDEX CONCURRENTLY" * SY_PG) {
  auto a = App::postgresql("sy_migrate_tx");
  a.migration("animals", "1", "create_dogs", "CREATE TABLE dogs (id bigserial PRIMARY KEY, name text);");
  a.migration("animals", "2", "broken", "CREATE TABLE cats (id int);\nSELECT * FROM no_such_table;");
  auto msg = message_of([&] { a.tasks().migrate("animals"); });
  CHECK(msg.find("this and all later migrations canceled") != std::string::npos);
  CHECK(msg.find("no_such_table") != std::string::npos);
  CHECK(a.versions("animals") == "1");
  CHECK_FALSE(a.has_table("animals", "cats"));

  // Inside a transaction CREATE INDEX CONCURRENTLY is refused by the server ...
  fs::remove(a.root / "migrations" / "animals" / "2_broken.up.sql");
  a.migration("animals", "3", "index_dogs_in_tx", "CREATE INDEX CONCURRENTLY dogs_name_tx ON dogs (name);");
  CHECK(message_of([&] { a.tasks().migrate("animals"); }).find("CREATE INDEX CONCURRENTLY cannot run inside a transaction block") !=
        std::string::npos);
  // ... and runs with the opt-out marker, statement by statement.
  fs::remove(a.root / "migrations" / "animals" / "3_index_dogs_in_tx.up.sql");
  a.migration("animals", "4", "index_dogs",
              "-- switchyard:no_transaction\nCREATE INDEX CONCURRENTLY dogs_name ON dogs (name);\n"
              "CREATE INDEX CONCURRENTLY dogs_id_name ON dogs (id, name);",
              "-- switchyard:no_transaction\nDROP INDEX CONCURRENTLY dogs_id_name;\nDROP INDEX CONCURRENTLY dogs_name;");
  a.tasks().migrate("animals");
  CHECK(a.versions("animals") == "1,4");
  CHECK(test::pg_scalar(test::pg_primary(), "sy_migrate_tx_animals",
                        "SELECT count(*) FROM pg_indexes WHERE tablename = 'dogs' AND indexname LIKE 'dogs_%name'") == "2");
  a.tasks().rollback("animals", 1);
  CHECK(test::pg_scalar(test::pg_primary(), "sy_migrate_tx_animals",
                        "SELECT count(*) FROM pg_indexes WHERE tablename = 'dogs' AND indexname LIKE 'dogs_%name'") == "0");
}

TEST_CASE("postgresql: the advisory lock makes concurrent migrators apply each migration exactly once" * SY_PG) {
  auto a = App::postgresql("sy_migrate_lock");
  for (int i = 1; i <= 5; ++i) {
    // Each migration appends to a log table: a second application would show as a duplicate row.
    auto n = std::to_string(i);
    a.migration("primary", std::to_string(i * 2), "p" + n,
                (i == 1 ? "CREATE TABLE log (v text);\n" : "") + std::string("SELECT pg_sleep(0.05);\nINSERT INTO log VALUES ('p") + n + "');");
    a.migration("animals", std::to_string(i * 2 + 1), "a" + n,
                (i == 1 ? "CREATE TABLE log (v text);\n" : "") + std::string("SELECT pg_sleep(0.05);\nINSERT INTO log VALUES ('a") + n + "');");
  }
  std::vector<std::string> errors(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      try {
        a.tasks().migrate();
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors) CHECK(e.empty());
  CHECK(a.versions("primary") == "2,4,6,8,10");
  CHECK(a.versions("animals") == "3,5,7,9,11");
  CHECK(test::pg_scalar(test::pg_primary(), "sy_migrate_lock_main", "SELECT count(*) FROM log") == "5");
  CHECK(test::pg_scalar(test::pg_primary(), "sy_migrate_lock_animals", "SELECT count(DISTINCT v) || '/' || count(*) FROM log") == "5/5");
}

TEST_CASE("postgresql: a migrator with lock_timeout 0 fails clearly while another holds the lock" * SY_PG) {
  clear_registered_migrations();
  auto a = App::postgresql("sy_migrate_wait");
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  register_migration("animals", 1, "hold_the_lock", [&](Connection&) {
    entered.set_value();
    released.wait();
  });
  std::thread first([&] { a.tasks().migrate("animals"); });
  entered.get_future().wait();
  TaskOptions impatient;
  impatient.lock_timeout = 0;
  auto msg = message_of([&] { a.tasks(nullptr, impatient).migrate("animals"); });
  CHECK(msg.find("Cannot run migrations because another migration process is currently running (database 'animals'") == 0);
  // The primary's lock is a different key: it is free.
  CHECK_NOTHROW(a.tasks(nullptr, impatient).migrate("primary"));
  release.set_value();
  first.join();
  CHECK(a.versions("animals") == "1");
  // Released: the session no longer holds any advisory lock.
  CHECK(test::pg_scalar(test::pg_primary(), "postgres", "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = 'sy_migrate_wait_animals')") == "0");
  clear_registered_migrations();
}

TEST_CASE("postgresql: schema dump (pg_dump) and load per database" * SY_PG) {
  auto a = App::postgresql("sy_migrate_schema");
  pg_migrations(a);
  a.tasks().migrate();
  a.tasks().dump_schema();
  auto primary = sytest::slurp(a.root / "db" / "structure.sql");
  auto animals = sytest::slurp(a.root / "db" / "animals_structure.sql");
  CHECK(primary.find("CREATE TABLE public.users") != std::string::npos);
  CHECK(primary.find("dogs") == std::string::npos);
  CHECK(animals.find("CREATE TABLE public.dogs") != std::string::npos);
  CHECK(animals.find("CREATE FUNCTION public.dog_count()") != std::string::npos);
  CHECK(animals.find("SET search_path TO \"$user\", public;\n\nINSERT INTO \"schema_migrations\" (version, checksum) VALUES\n('20240102000000', '") !=
        std::string::npos);
  CHECK(animals.find("OWNER TO") == std::string::npos);  // --no-owner
  CHECK(animals.find(test::pg_password()) == std::string::npos);
  CHECK_FALSE(fs::exists(a.root / "db" / "legacy_structure.sql"));

  // Damage the database, then load its structure back.
  test::pg_exec(test::pg_primary(), "sy_migrate_schema_animals", "DROP TABLE dogs CASCADE; DELETE FROM schema_migrations");
  std::ostringstream out;
  a.tasks(&out).load_schema("animals");
  CHECK(out.str().find("Loaded the schema of 'animals'") != std::string::npos);
  CHECK(a.has_table("animals", "dogs"));
  CHECK(a.versions("animals") == "20240102000000,20240103000000");
  CHECK(test::pg_scalar(test::pg_primary(), "sy_migrate_schema_animals", "SELECT dog_count()") == "0");
  CHECK(a.tasks().migrator(a.config("animals"))->edited().empty());
  CHECK(to_text(a.connect("animals")->execute("SELECT value FROM switchyard_internal_metadata WHERE key = 'environment'").scalar()) ==
        "development");
  // The primary was not touched by loading animals.
  CHECK(a.versions("primary") == "20240101000000,20240103000000");
}

TEST_CASE("postgresql: db:create / db:drop through the maintenance database; production refusal" * SY_PG) {
  auto a = App::postgresql("sy_migrate_create");
  a.tree["development"]["animals"]["database"] = "sy_migrate_created";
  a.tree["development"]["animals_replica"]["database"] = "sy_migrate_created";
  test::pg_exec(test::pg_primary(), "postgres", "DROP DATABASE IF EXISTS sy_migrate_created");
  std::ostringstream out;
  a.tasks(&out).create();
  CHECK(out.str() == "Database 'sy_migrate_create_main' already exists\nCreated database 'sy_migrate_created'\n");
  CHECK(test::pg_scalar(test::pg_primary(), "postgres", "SELECT count(*) FROM pg_database WHERE datname = 'sy_migrate_created'") == "1");
  out.str("");
  a.tasks(&out).drop("animals");
  CHECK(out.str() == "Dropped database 'sy_migrate_created'\n");
  out.str("");
  a.tasks(&out).drop("animals");
  CHECK(out.str() == "Database 'sy_migrate_created' does not exist\n");

  // The server remembers the environment: a production-migrated database refuses a dev drop.
  a.migration("primary", "1", "one", "CREATE TABLE one (id int);");
  App prod = a;
  prod.env = "production";
  prod.tree = {{"production", a.tree["development"]}};
  prod.tasks().migrate("primary");
  CHECK_THROWS_AS(prod.tasks().drop("primary"), ProtectedEnvironmentError);
  CHECK_THROWS_AS(a.tasks().drop("primary"), ProtectedEnvironmentError);
  CHECK(test::pg_scalar(test::pg_primary(), "postgres", "SELECT count(*) FROM pg_database WHERE datname = 'sy_migrate_create_main'") == "1");
}

TEST_CASE("postgresql: db:prepare creates a missing database and migrates it" * SY_PG) {
  auto a = App::postgresql("sy_migrate_prepare");
  a.tree["development"]["animals"]["database"] = "sy_migrate_prepared";
  test::pg_exec(test::pg_primary(), "postgres", "DROP DATABASE IF EXISTS sy_migrate_prepared");
  pg_migrations(a);
  std::ostringstream out;
  a.tasks(&out).prepare();
  CHECK(out.str().find("Created database 'sy_migrate_prepared'") != std::string::npos);
  CHECK(a.versions("animals") == "20240102000000,20240103000000");
  test::pg_exec(test::pg_primary(), "postgres", "DROP DATABASE IF EXISTS sy_migrate_prepared");
}

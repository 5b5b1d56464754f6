#include "test_models.hpp"

#include <map>

namespace model_test {

std::vector<std::string>& events() {
  static std::vector<std::string> e;
  return e;
}

namespace {

const std::string kPrimaryDb = "sy_model";
const std::string kAnimalsDb = "sy_model_animals";
const std::string kShardsDb = "sy_model_shards";

nlohmann::ordered_json pg_settings(const sy::test::PgServer& server, const std::string& database,
                                   bool replica = false) {
  nlohmann::ordered_json s = {{"adapter", "postgresql"},     {"host", server.host},
                              {"port", server.port},         {"database", database},
                              {"username", sy::test::pg_user()}, {"password", sy::test::pg_password()},
                              {"pool", 3}};
  if (replica) s["replica"] = true;
  return s;
}

nlohmann::ordered_json sqlite_settings(const std::string& file, bool replica = false) {
  nlohmann::ordered_json s = {{"adapter", "sqlite3"},
                              {"database", (sy::test::temp_dir() / file).string()},
                              {"pool", 3}};
  if (replica) s["replica"] = true;
  return s;
}

std::filesystem::path config_file() {
  static const std::filesystem::path path = [] {
    nlohmann::ordered_json config;
    config["sqlite"] = {
        {"primary", sqlite_settings("primary.sqlite3")},
        {"animals", sqlite_settings("animals.sqlite3")},
        {"animals_replica", sqlite_settings("animals.sqlite3", true)},
        {"shard_one", sqlite_settings("shard_one.sqlite3")},
        {"shard_one_replica", sqlite_settings("shard_one.sqlite3", true)},
        {"shard_two", sqlite_settings("shard_two.sqlite3")},
    };
    if (sy::test::pg_available()) {
      using namespace sy::test;
      config["postgresql"] = {
          {"primary", pg_settings(pg_primary(), kPrimaryDb)},
          {"animals", pg_settings(pg_primary(), kAnimalsDb)},
          {"animals_replica", pg_settings(pg_replica(), kAnimalsDb, true)},
          {"shard_one", pg_settings(pg_primary(), kShardsDb)},
          {"shard_one_replica", pg_settings(pg_replica(), kShardsDb, true)},
          {"shard_two", pg_settings(pg_second(), kShardsDb)},
      };
    }
    return sy::test::write_file(sy::test::temp_dir(), "database.json", config.dump(2));
  }();
  return path;
}

struct Ddl {
  const char* sqlite;
  const char* postgresql;
};

const Ddl kPrimaryTables[] = {
    {"CREATE TABLE owners (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, email TEXT, "
     "active BOOLEAN NOT NULL DEFAULT 1, score REAL NOT NULL DEFAULT 0, prefs TEXT NOT NULL DEFAULT "
     "'{}', created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
     "CREATE TABLE owners (id bigserial PRIMARY KEY, name text NOT NULL, email text, active boolean "
     "NOT NULL DEFAULT true, score double precision NOT NULL DEFAULT 0, prefs jsonb NOT NULL DEFAULT "
     "'{}', created_at timestamptz NOT NULL, updated_at timestamp NOT NULL)"},
    {"CREATE TABLE archived_dogs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, age "
     "INTEGER, good BOOLEAN NOT NULL, born_at TEXT, tags TEXT NOT NULL, created_at TEXT, updated_at "
     "TEXT)",
     "CREATE TABLE archived_dogs (id bigserial PRIMARY KEY, name text NOT NULL, age integer, good "
     "boolean NOT NULL, born_at timestamptz, tags jsonb NOT NULL, created_at timestamptz, "
     "updated_at timestamptz)"},
    {"CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT "
     "NOT NULL)",
     "CREATE TABLE outbox (id bigserial PRIMARY KEY, kind text NOT NULL, payload text NOT NULL)"},
    {"CREATE TABLE audited (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL)",
     "CREATE TABLE audited (id bigserial PRIMARY KEY, title text NOT NULL)"},
};

const Ddl kAnimalsTables[] = {
    {"CREATE TABLE dogs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, age INTEGER, "
     "good BOOLEAN NOT NULL DEFAULT 1, born_at TEXT, tags TEXT NOT NULL DEFAULT '[]', created_at "
     "TEXT, updated_at TEXT)",
     "CREATE TABLE dogs (id bigserial PRIMARY KEY, name text NOT NULL, age integer, good boolean "
     "NOT NULL DEFAULT true, born_at timestamptz, tags jsonb NOT NULL DEFAULT '[]', created_at "
     "timestamptz, updated_at timestamptz)"},
    {"CREATE TABLE toys (id INTEGER PRIMARY KEY AUTOINCREMENT, dog_id INTEGER NOT NULL, label TEXT "
     "NOT NULL)",
     "CREATE TABLE toys (id bigserial PRIMARY KEY, dog_id integer NOT NULL, label text NOT NULL)"},
};

const Ddl kShardTables[] = {
    {"CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, sku TEXT NOT NULL, qty INTEGER NOT "
     "NULL)",
     "CREATE TABLE orders (id bigserial PRIMARY KEY, sku text NOT NULL, qty integer NOT NULL)"},
};

template <typename Klass, std::size_t N>
void create_tables(const Ddl (&tables)[N], bool pg) {
  for (const auto& t : tables) {
    std::string ddl = pg ? t.postgresql : t.sqlite;
    const auto name_start = ddl.find("TABLE ") + 6;
    const auto table = ddl.substr(name_start, ddl.find(' ', name_start) - name_start);
    if (!pg) Klass::execute("DROP TABLE IF EXISTS " + table);  // PostgreSQL databases are fresh
    Klass::execute(ddl);
  }
}

void create_schema(Kind kind) {
  const bool pg = kind == Kind::postgresql;
  create_tables<sy::Record>(kPrimaryTables, pg);
  create_tables<AnimalsRecord>(kAnimalsTables, pg);
  for (const char* shard : {"shard_one", "shard_two"})
    ShardRecord::connected_to({.shard = shard}, [&] { create_tables<ShardRecord>(kShardTables, pg); });
}

}  // namespace

void Backend::reset() {
  for (const char* table : {"owners", "archived_dogs", "outbox", "audited"})
    sy::Record::execute(std::string("DELETE FROM ") + table);
  for (const char* table : {"dogs", "toys"}) AnimalsRecord::execute(std::string("DELETE FROM ") + table);
  for (const char* shard : {"shard_one", "shard_two"})
    ShardRecord::connected_to({.shard = shard}, [] { ShardRecord::execute("DELETE FROM orders"); });
  catch_up();
  events().clear();
  Dog::halt_save = false;
  Dog::throw_in_after_commit = false;
}

void Backend::catch_up() {
  if (!pg()) return;
  sy::test::pg_wait_catchup(kAnimalsDb);
  sy::test::pg_wait_catchup(kShardsDb);
}

Backend& use_backend(Kind kind) {
  static std::optional<Kind> current;
  static std::map<Kind, bool> schema_ready;
  static Backend backends[] = {{Kind::sqlite}, {Kind::postgresql}};
  Backend& backend = backends[kind == Kind::sqlite ? 0 : 1];
  if (current != kind) {
    const std::string env = backend.label();
    if (kind == Kind::postgresql && !schema_ready[kind]) {
      sy::test::fresh_pg_database(kPrimaryDb);
      sy::test::fresh_pg_database(kAnimalsDb);
      sy::test::fresh_pg_database(kShardsDb);
    }
    sy::establish(sy::DatabaseConfigurations::load_file(config_file(), env), env);
    current = kind;
    if (!schema_ready[kind]) {
      create_schema(kind);
      schema_ready[kind] = true;
    }
  }
  backend.reset();
  return backend;
}

}  // namespace model_test

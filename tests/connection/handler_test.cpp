#include "databases.hpp"
#include "switchyard/connection/connection_handler.hpp"
#include "switchyard/errors.hpp"

using namespace switchyard;

namespace {
DatabaseConfig sqlite(const std::string& name, const std::string& file) {
  return DatabaseConfig("test", name,
                        {{"adapter", "sqlite3"}, {"database", (test::temp_dir() / file).string()}},
                        "test");
}
}  // namespace

TEST_CASE("handler: one pool per (connection name, role, shard)") {
  ConnectionHandler handler;
  auto w = handler.establish_connection(sqlite("animals", "animals.sqlite3"), {"AnimalsRecord"});
  auto r = handler.establish_connection(sqlite("animals_replica", "animals.sqlite3"),
                                        {"AnimalsRecord", "reading"});
  auto s = handler.establish_connection(sqlite("animals_two", "animals2.sqlite3"),
                                        {"AnimalsRecord", "writing", "shard_two"});
  CHECK(w != r);
  CHECK(w != s);
  CHECK(handler.retrieve_connection_pool({"AnimalsRecord"}) == w);
  CHECK(handler.retrieve_connection_pool({"AnimalsRecord", "reading"}) == r);
  CHECK(handler.retrieve_connection_pool({"AnimalsRecord", "writing", "shard_two"}) == s);
  CHECK(handler.retrieve_connection_pool({"AnimalsRecord", "reading", "shard_two"}) == nullptr);
  CHECK(handler.keys().size() == 3);
  CHECK(r->identity().role == "reading");
  CHECK(r->identity().database == "animals_replica");
}

TEST_CASE("handler: missing pools raise ConnectionNotEstablished with Rails' messages") {
  ConnectionHandler handler;
  CHECK_THROWS_WITH_AS(handler.retrieve_connection({"primary"}),
                       "No connection pool for 'primary' found.", ConnectionNotEstablished);
  CHECK_THROWS_WITH_AS(handler.retrieve_connection({"AnimalsRecord", "reading"}),
                       "No connection pool for 'AnimalsRecord' found for the 'reading' role.",
                       ConnectionNotEstablished);
  CHECK_THROWS_WITH_AS(handler.retrieve_connection({"AnimalsRecord", "reading", "one"}),
                       "No connection pool for 'AnimalsRecord' found for the 'one' shard.",
                       ConnectionNotEstablished);
}

TEST_CASE("handler: re-establishing the same config keeps the pool; a new config replaces it") {
  ConnectionHandler handler;
  auto a = handler.establish_connection(sqlite("primary", "p.sqlite3"));
  auto b = handler.establish_connection(sqlite("primary", "p.sqlite3"));
  CHECK(a == b);
  auto c = handler.establish_connection(sqlite("primary", "other.sqlite3"));
  CHECK(c != a);
  CHECK(handler.retrieve_connection_pool({"primary"}) == c);
  CHECK(handler.remove_connection_pool({"primary"}));
  CHECK_FALSE(handler.remove_connection_pool({"primary"}));
  CHECK(handler.retrieve_connection_pool({"primary"}) == nullptr);
}

TEST_CASE("handler: a missing adapter is refused at establish time") {
  ConnectionHandler handler;
  DatabaseConfig no_adapter("test", "primary", {{"database", "x"}}, "config/database.yml");
  CHECK_THROWS_WITH_AS(handler.establish_connection(no_adapter),
                       doctest::Contains("database configuration does not specify adapter"),
                       AdapterNotSpecified);
}

TEST_CASE("handler: resolver and initializers run for lazily established pools") {
  ConnectionHandler handler;
  std::vector<std::string> initialized;
  handler.add_pool_initializer(
      [&](ConnectionPool&, const PoolKey& key) { initialized.push_back(key.role); });
  handler.set_pool_resolver([](ConnectionHandler& h, const PoolKey& key) {
    if (key.connection_name != "lazy") return std::shared_ptr<ConnectionPool>{};
    return h.establish_connection(sqlite("lazy_db", "lazy.sqlite3"), key);
  });
  CHECK(handler.retrieve_connection_pool({"other"}) == nullptr);
  auto pool = handler.retrieve_connection_pool({"lazy", "reading"});
  REQUIRE(pool);
  CHECK(pool->db_config().name() == "lazy_db");
  CHECK(initialized == std::vector<std::string>{"reading"});
  CHECK(handler.retrieve_connection_pool({"lazy", "reading"}) == pool);
  CHECK(initialized.size() == 1);
}

TEST_CASE("handler: write guards installed by an initializer refuse writes on that pool") {
  ConnectionHandler handler;
  bool prevent = true;
  handler.add_pool_initializer(
      [&](ConnectionPool& pool, const PoolKey&) { pool.set_write_guard([&] { return prevent; }); });
  auto pool = handler.establish_connection(sqlite("primary", "guard.sqlite3"));
  auto lease = pool->lease();
  CHECK_THROWS_AS(lease->execute("CREATE TABLE g (v INTEGER)"), ReadOnlyError);
  prevent = false;
  CHECK_NOTHROW(lease->execute("CREATE TABLE IF NOT EXISTS g (v INTEGER)"));
}

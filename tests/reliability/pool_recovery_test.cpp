// A pooled connection whose backend the server terminated while it sat idle (pg_terminate_backend,
// an idle_session_timeout, a restart) is replaced at checkout without an error and without a
// round trip, however recently it was used: the closed socket gives it away.
#include <doctest/doctest.h>

#include <thread>

#include "databases.hpp"
#include "switchyard/connection/connection_pool.hpp"
#include "switchyard/errors.hpp"

namespace sy = switchyard;
using namespace std::chrono_literals;

namespace {

sy::DatabaseConfig config(const std::string& db) {
  const auto server = sy::test::pg_primary();
  nlohmann::json s = {{"adapter", "postgresql"},
                      {"host", server.host},
                      {"port", server.port},
                      {"database", db},
                      {"username", sy::test::pg_user()},
                      {"password", sy::test::pg_password()}};
  return sy::DatabaseConfig("rel", "rel", s, "rel");
}

std::int64_t backend_pid(sy::Lease& lease) {
  return std::get<std::int64_t>(lease->execute("SELECT pg_backend_pid()::bigint").scalar());
}

}  // namespace

TEST_CASE("pool: a connection terminated while idle is replaced silently at checkout" * SY_PG) {
  const std::string db = "sy_rel_pool";
  sy::test::fresh_pg_database(db);
  // verify_after_idle far away: no ping will catch it.
  auto pool = sy::ConnectionPool::create(config(db), {"rel"},
                                         sy::PoolOptions{.size = 1, .verify_after_idle = 60s});
  std::int64_t before = 0;
  {
    auto lease = pool->lease();
    before = backend_pid(lease);
  }
  sy::test::pg_exec(sy::test::pg_primary(), db,
                    "SELECT pg_terminate_backend(" + std::to_string(before) + ")");
  // The server closes the socket right after the backend exits; give it a moment on a busy box.
  for (int i = 0;
       i < 100 && sy::test::pg_scalar(sy::test::pg_primary(), db,
                                      "SELECT count(*) FROM pg_stat_activity WHERE pid = " +
                                          std::to_string(before)) != "0";
       ++i)
    std::this_thread::sleep_for(20ms);
  auto lease = pool->lease();
  const auto after = backend_pid(lease);  // no ConnectionFailed: replaced before use
  CHECK(after != before);
  CHECK(pool->stats().replaced == 1);
}

TEST_CASE("pool: a NOTIFY waiting on an idle connection is not taken for a closed one" * SY_PG) {
  // The check reads what the server sent while the connection sat idle: a notification is
  // queued for the application, and the connection kept.
  const std::string db = "sy_rel_pool_notify";
  sy::test::fresh_pg_database(db);
  auto pool = sy::ConnectionPool::create(config(db), {"rel"},
                                         sy::PoolOptions{.size = 1, .verify_after_idle = 60s});
  std::int64_t pid = 0;
  {
    auto lease = pool->lease();
    pid = backend_pid(lease);
    lease->execute("LISTEN sy_rel_channel");
  }
  sy::test::pg_exec(sy::test::pg_primary(), db, "NOTIFY sy_rel_channel");
  std::this_thread::sleep_for(100ms);
  auto lease = pool->lease();
  CHECK(backend_pid(lease) == pid);  // the same backend: a notification is no sign of death
  CHECK(pool->stats().replaced == 0);
}

// End to end over real HTTP on 127.0.0.1: a cpp-httplib server on an ephemeral port with the
// DatabaseSelector in front of GET/POST /dogs, the real primary and hot standby behind it, and the
// standby's replay paused. The time-window resolver reads stale data after its 2 s delay; the
// WAL-position resolver never does.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "../context/fixtures.hpp"
#include "../context/pg_fixtures.hpp"
#include "switchyard/http/database_selector.hpp"
#include "switchyard/http/httplib_adapter.hpp"
#include "switchyard/instrument/notifications.hpp"

using namespace ctx_test;
namespace sy = switchyard;
namespace http = switchyard::http;
using namespace std::chrono_literals;

namespace {

const std::string kDb = "sy_http";
const std::string kSecret = "e2e-secret-0123456789abcdef";

struct PgFixture {
  PgFixture() {
    static bool once = [] {
      sy::test::fresh_pg_database(kDb);
      sy::test::pg_exec(sy::test::pg_primary(), kDb, "CREATE TABLE dogs (id bigserial PRIMARY KEY, name text)");
      sy::test::pg_wait_catchup(kDb);
      return true;
    }();
    (void)once;
    register_classes();
    sy::clear_connected_to_stack();
    sy::establish(pg_configs(kDb), "test");
  }
};

// The application: GET /dogs?name=N answers "<served by standby?>|<count of dogs named N>";
// POST /dogs?name=N inserts one.
struct App {
  httplib::Server server;
  std::thread thread;
  int port = 0;

  explicit App(const http::DatabaseSelector& selector) {
    auto chain = std::vector<http::Middleware>{selector.middleware()};
    server.Get("/dogs", http::with_selectors(chain, [](const httplib::Request& req, httplib::Response& res) {
      auto r = sy::execute(dog(), "SELECT pg_is_in_recovery()::text || '|' || count(*) FROM dogs WHERE name = $1",
                           {sy::Value{req.get_param_value("name")}});
      res.set_content(std::get<std::string>(r.scalar()), "text/plain");
    }));
    server.Post("/dogs", http::with_selectors(chain, [](const httplib::Request& req, httplib::Response& res) {
      sy::execute(dog(), "INSERT INTO dogs (name) VALUES ($1)", {sy::Value{req.get_param_value("name")}});
      res.set_content("created", "text/plain");
    }));
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      res.status = 500;
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        res.set_content(e.what(), "text/plain");
      }
    });
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    thread = std::thread([this] { server.listen_after_bind(); });
    for (int i = 0; i < 200 && !server.is_running(); ++i) std::this_thread::sleep_for(5ms);
  }
  ~App() {
    server.stop();
    thread.join();
  }
};

// A client with a one-cookie jar.
struct Client {
  httplib::Client client;
  std::string cookie;
  explicit Client(int port) : client("127.0.0.1", port) {}

  httplib::Headers headers() const {
    httplib::Headers h;
    if (!cookie.empty()) h.emplace("Cookie", cookie);
    return h;
  }
  void keep(const httplib::Result& r) {
    REQUIRE(r);
    if (!r->has_header("Set-Cookie")) return;
    std::string v = r->get_header_value("Set-Cookie");
    cookie = v.find("Max-Age=0") != std::string::npos ? "" : v.substr(0, v.find(';'));
  }
  void write(const std::string& name) {
    auto r = client.Post(("/dogs?name=" + name).c_str(), headers(), "", "text/plain");
    keep(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
  }
  // {served by the standby, the dog is visible}
  std::pair<bool, bool> read(const std::string& name) {
    auto r = client.Get(("/dogs?name=" + name).c_str(), headers());
    keep(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
    return {r->body.rfind("true|", 0) == 0, r->body.substr(r->body.find('|') + 1) != "0"};
  }
};

struct Count {
  std::atomic<int> replica{0}, primary{0}, wrote{0};
  sy::instrument::Subscription sub{sy::instrument::EventSubscriber([this](const sy::instrument::Event& e) {
    if (e.name == "database_selector.read_from_replica") ++replica;
    if (e.name == "database_selector.read_from_primary") ++primary;
    if (e.name == "database_selector.wrote_to_primary") ++wrote;
  })};
};

}  // namespace

TEST_CASE_FIXTURE(PgFixture, "http e2e: the time-window resolver reads stale data after its delay" * SY_PG) {
  http::DatabaseSelector selector({.cookie = {.secret = kSecret}});
  App app(selector);
  Client c(app.port);
  Count count;
  int stale = 0, conclusive = 0;
  // An observation counts only when replay stayed paused around the read (the cluster is shared).
  for (int attempt = 0; attempt < 5 && conclusive < 2; ++attempt) {
    PausedReplay paused;
    const std::string name = "tw" + std::to_string(attempt);
    c.write(name);
    auto [standby, visible] = c.read(name);  // within the delay: the primary
    CHECK_FALSE(standby);
    CHECK(visible);
    std::this_thread::sleep_for(2100ms);
    const bool lagging = replay_paused() &&
                         sy::test::pg_scalar(sy::test::pg_replica(), kDb,
                                             "SELECT count(*) FROM dogs WHERE name = '" + name + "'") == "0";
    auto [standby2, visible2] = c.read(name);  // after it: the standby, lagging or not
    CHECK(standby2);
    if (lagging && replay_paused()) {
      ++conclusive;
      if (!visible2) ++stale;
    }
  }
  MESSAGE("time window: ", stale, " stale reads of ", conclusive, " reads after the delay with replay paused");
  CHECK(conclusive == 2);
  CHECK(stale == conclusive);
  sy::test::pg_wait_catchup(kDb);
}

TEST_CASE_FIXTURE(PgFixture, "http e2e: the WAL-position resolver never reads stale data" * SY_PG) {
  http::DatabaseSelector selector({.resolver = http::ResolverKind::wal_position, .cookie = {.secret = kSecret}});
  App app(selector);
  Client writer(app.port), bystander(app.port);
  Count count;
  int stale = 0, reads = 0;
  {
    PausedReplay paused;
    for (int i = 0; i < 5; ++i) {
      const std::string name = "wal" + std::to_string(i);
      writer.write(name);
      REQUIRE_FALSE(writer.cookie.empty());
      const bool paused_before = replay_paused();
      auto [standby, visible] = writer.read(name);
      ++reads;
      if (!visible) ++stale;
      if (paused_before && replay_paused()) CHECK_FALSE(standby);  // behind: the primary
    }
    // Past Rails' delay, the standby is still behind: still the primary.
    std::this_thread::sleep_for(2100ms);
    const bool paused_before = replay_paused();
    auto [standby, visible] = writer.read("wal4");
    ++reads;
    if (!visible) ++stale;
    if (paused_before && replay_paused()) CHECK_FALSE(standby);
    // A client that wrote nothing reads the standby.
    CHECK(bystander.read("wal0").first);
  }
  sy::test::pg_wait_catchup(kDb);
  // Caught up: the standby, and the tokens are dropped from the cookie.
  auto [standby, visible] = writer.read("wal4");
  ++reads;
  if (!visible) ++stale;
  CHECK(standby);
  CHECK(writer.cookie.find("t=") == std::string::npos);
  auto [standby2, visible2] = writer.read("wal0");
  CHECK(standby2);
  CHECK(visible2);
  MESSAGE("WAL position: ", stale, " stale reads of ", reads, " (replay paused, then resumed)");
  CHECK(stale == 0);
  CHECK(count.wrote == 5);
}

TEST_CASE_FIXTURE(PgFixture, "http e2e: a tampered cookie reads the primary" * SY_PG) {
  http::DatabaseSelector selector({.resolver = http::ResolverKind::wal_position, .cookie = {.secret = kSecret}});
  App app(selector);
  Client c(app.port);
  c.write("tamper");
  REQUIRE_FALSE(c.cookie.empty());
  c.cookie[c.cookie.size() - 3] = c.cookie[c.cookie.size() - 3] == 'A' ? 'B' : 'A';
  auto [standby, visible] = c.read("tamper");
  CHECK_FALSE(standby);  // fail-safe window: the primary, whatever the standby's state
  CHECK(visible);
}

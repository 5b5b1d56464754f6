// Proxy mode on SQLite files (time-window stickiness): the primary and each replica file hold
// different rows, so the answer shows which node served a read, and so does the SqlEvent.
#include <chrono>
#include <set>
#include <thread>

#include "routing_fixtures.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/log_subscriber.hpp"

#include <filesystem>

namespace sy = switchyard;
namespace routing = switchyard::routing;
using namespace std::chrono_literals;

TEST_CASE("sqlite proxy: reads to replicas, writes to the primary, time window after a write") {
  rt::setup();
  rt::Recorder rec;
  std::set<std::string> nodes, answers;
  for (int i = 0; i < 4; ++i) {
    answers.insert(rt::scalar_text(rt::run(rt::animals(), "SELECT name FROM dogs")));
    auto e = rec.last("SELECT name FROM dogs");
    CHECK(e.reason == "SELECT");
    nodes.insert(e.node);
  }
  CHECK(nodes == std::set<std::string>{"animals_replica", "animals_replica_2"});
  CHECK(answers == std::set<std::string>{"r1", "r2"});

  rt::run(rt::animals(), "INSERT INTO dogs (name) VALUES ('Rex')");
  auto w = rec.last("INSERT INTO dogs (name) VALUES ('Rex')");
  CHECK(w.node == "animals");
  CHECK(w.reason == "WRITE_STATEMENT(INSERT)");

  // Within proxy_delay (0.3 s): the primary, which has the row.
  CHECK(rt::scalar_text(rt::run(rt::animals(), "SELECT count(*) FROM dogs")) == "2");
  auto sticky = rec.last("SELECT count(*) FROM dogs");
  CHECK(sticky.node == "animals");
  CHECK(sticky.reason == "STICKY_TIME_WINDOW");

  std::this_thread::sleep_for(350ms);
  CHECK(rt::scalar_text(rt::run(rt::animals(), "SELECT count(*) FROM dogs")) == "1");
  CHECK(rec.last("SELECT count(*) FROM dogs").reason == "SELECT");
}

TEST_CASE("sqlite proxy: an explicit connected_to always wins") {
  rt::setup();
  rt::Recorder rec;
  sy::connected_to(rt::animals(), {.role = sy::reading}, [] {
    CHECK(rt::scalar_text(rt::run(rt::animals(), "SELECT name FROM dogs")) == "r1");
  });
  auto e = rec.last("SELECT name FROM dogs");
  CHECK(e.reason == "EXPLICIT_CONNECTED_TO");
  CHECK(e.node == "animals_replica");
  CHECK(e.role == "reading");
  sy::connected_to(rt::animals(), {.role = sy::writing}, [] {
    CHECK(rt::scalar_text(rt::run(rt::animals(), "SELECT name FROM dogs")) == "primary");
  });
  CHECK(rec.last("SELECT name FROM dogs").node == "animals");
  CHECK(routing::has_explicit_role(rt::animals()) == false);
  // A frame on the base applies to every class.
  sy::connected_to({.role = sy::writing}, [] { CHECK(routing::has_explicit_role(rt::animals())); });
  // A frame on another class does not.
  sy::connected_to(rt::plain(), {.role = sy::writing},
                   [] { CHECK_FALSE(routing::has_explicit_role(rt::animals())); });
}

TEST_CASE("sqlite proxy: transactions keep every statement on their connection") {
  rt::setup();
  rt::Recorder rec;
  SUBCASE("a transaction through the connection API") {
    sy::Lease l = sy::lease_connection(rt::animals());
    l->begin_transaction();
    rt::run(rt::animals(), "INSERT INTO dogs (name) VALUES ('Tx')");
    CHECK(rt::scalar_text(rt::run(rt::animals(), "SELECT count(*) FROM dogs")) == "2");
    auto e = rec.last("SELECT count(*) FROM dogs");
    CHECK(e.reason == "IN_TRANSACTION");
    CHECK(e.node == "animals");
    l->commit_transaction();
    // The commit counts as a write: the time window starts.
    rt::run(rt::animals(), "SELECT count(*) FROM dogs");
    CHECK(rec.last("SELECT count(*) FROM dogs").reason == "STICKY_TIME_WINDOW");
  }
  SUBCASE("BEGIN / COMMIT sent as SQL") {
    rt::run(rt::animals(), "BEGIN");
    CHECK(rec.last("BEGIN").node == "animals");
    rt::run(rt::animals(), "INSERT INTO dogs (name) VALUES ('Raw')");
    rt::run(rt::animals(), "SELECT count(*) FROM dogs");
    CHECK(rec.last("SELECT count(*) FROM dogs").reason == "IN_TRANSACTION");
    rt::run(rt::animals(), "COMMIT");
    std::this_thread::sleep_for(350ms);
    sy::connected_to(rt::animals(), {.role = sy::writing}, [] {
      CHECK(rt::scalar_text(rt::run(rt::animals(), "SELECT count(*) FROM dogs WHERE name = 'Raw'")) == "1");
    });
  }
}

TEST_CASE("sqlite proxy: databases not in proxy mode are left alone") {
  rt::setup();
  rt::Recorder rec;
  rt::run(rt::plain(), "SELECT name FROM dogs");
  auto e = rec.last("SELECT name FROM dogs");
  CHECK(e.node == "plain");
  CHECK(e.reason.empty());
}

TEST_CASE("sqlite proxy: session pins and the unit of work") {
  rt::setup();
  rt::Recorder rec;
  {
    routing::UnitOfWork uow;
    rt::run(rt::animals(), "CREATE TEMP TABLE scratch (v int)");
    CHECK(routing::pinned("animals"));
    rt::run(rt::animals(), "SELECT count(*) FROM scratch");
    auto e = rec.last("SELECT count(*) FROM scratch");
    CHECK(e.reason == "SESSION_PINNED");
    CHECK(e.node == "animals");
  }
  CHECK_FALSE(routing::pinned("animals"));
  rt::run(rt::animals(), "SELECT name FROM dogs");
  CHECK(rec.last("SELECT name FROM dogs").reason == "SELECT");
}

TEST_CASE("sqlite proxy: tokens carry the time window to another thread") {
  rt::setup();
  rt::Recorder rec;
  rt::run(rt::animals(), "INSERT INTO dogs (name) VALUES ('Tok')");
  std::string token = routing::export_token();
  CHECK(token.find("animals=") != std::string::npos);
  routing::reset_session();
  CHECK(routing::export_token().empty());

  std::string reason_without, reason_with;
  std::thread([&] {
    rt::run(rt::animals(), "SELECT name FROM dogs LIMIT 1");
    reason_without = rec.last("SELECT name FROM dogs LIMIT 1").reason;
    routing::UnitOfWork uow(token);
    rt::run(rt::animals(), "SELECT name FROM dogs LIMIT 1");
    reason_with = rec.last("SELECT name FROM dogs LIMIT 1").reason;
  }).join();
  CHECK(reason_without == "SELECT");
  CHECK(reason_with == "STICKY_TIME_WINDOW");
  CHECK_FALSE(routing::import_token("sy1;nonsense"));

  routing::set_token_secret("s3cret");
  rt::run(rt::animals(), "INSERT INTO dogs (name) VALUES ('Tok2')");
  std::string signed_token = routing::export_token();
  CHECK(routing::import_token(signed_token));
  CHECK_FALSE(routing::import_token(token));  // unsigned
  routing::set_token_secret("");
}

TEST_CASE("sqlite proxy: a replica that cannot be opened is skipped, then all down -> primary") {
  rt::setup();
  rt::Recorder rec;
  rt::EventRecorder events;
  for (int i = 0; i < 6; ++i)
    CHECK(rt::scalar_text(rt::run(rt::flaky(), "SELECT name FROM dogs")) == "r1");
  CHECK(events.saw("routing.replica_down"));
  auto m = routing::metrics();
  bool found = false;
  for (const auto& s : m.sets)
    for (const auto& r : s.replicas)
      if (r.name == "missing_replica") {
        found = true;
        CHECK(r.state != routing::BreakerState::closed);
        CHECK(r.failures >= 1);
      }
  CHECK(found);
  CHECK(m.retries >= 1);
  // Remove the healthy one too: the primary serves, and says why.
  std::filesystem::remove(sy::test::temp_dir() / "flaky_r.sqlite3");
  routing::replica_set("flaky")->pool(1).disconnect();
  for (int i = 0; i < 3; ++i)
    CHECK(rt::scalar_text(rt::run(rt::flaky(), "SELECT name FROM dogs")) == "primary");
  auto last = rec.last("SELECT name FROM dogs");
  CHECK(last.node == "flaky");
  CHECK((last.reason == "ALL_REPLICAS_DOWN" || last.reason == "REPLICA_DOWN"));
  CHECK(events.saw("routing.all_replicas_down"));
  CHECK(routing::metrics().all_replicas_down_reads >= 1);
}

TEST_CASE("sqlite proxy: metrics count routes, reasons and nodes and serialize as JSON") {
  rt::setup();
  for (int i = 0; i < 4; ++i) rt::run(rt::animals(), "SELECT name FROM dogs");
  rt::run(rt::animals(), "UPDATE dogs SET name = name");
  auto m = routing::metrics();
  CHECK(m.by_route["replica"] == 4);
  CHECK(m.by_route["primary"] == 1);
  CHECK(m.by_reason["SELECT"] == 4);
  CHECK(m.by_reason["WRITE_STATEMENT(UPDATE)"] == 1);
  CHECK(m.by_node["animals_replica"] + m.by_node["animals_replica_2"] == 4);
  auto j = nlohmann::json::parse(m.to_json().dump());
  CHECK(j["by_route"]["replica"] == 4);
  CHECK(j["sets"].is_array());
}

TEST_CASE("sqlite proxy: the log prefix names the database, the role and the node") {
  rt::setup();
  std::string line;
  sy::instrument::Subscription sub([&](const sy::instrument::SqlEvent& e) {
    if (e.sql == "SELECT 42") line = sy::instrument::format_log_line(e);
  });
  rt::run(rt::animals(), "SELECT 42");
  CHECK(line.rfind("[animals reading]{animals_replica", 0) == 0);
  CHECK(line.find("-- route: SELECT") != std::string::npos);
}

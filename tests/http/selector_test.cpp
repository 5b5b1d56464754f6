// The HTTP selectors without a server: signed cookies, the time-window and WAL resolvers' choices
// (with a controlled clock), the fail-safe for bad cookies, ShardSelector and its lock.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>

#include "../context/fixtures.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/http/database_selector.hpp"
#include "switchyard/http/shard_selector.hpp"
#include "switchyard/http/signed_cookie.hpp"
#include "switchyard/instrument/notifications.hpp"

using namespace ctx_test;
namespace sy = switchyard;
namespace http = switchyard::http;

namespace {

const std::string kSecret = "test-secret-0123456789abcdef";

struct Fixture {
  Fixture() { establish_sqlite(); }
  ~Fixture() { sy::clear_connected_to_stack(); }
};

// A browser: keeps the selector's cookie between requests.
struct Browser {
  std::map<std::string, std::string> jar;
  http::Request request(std::string method, std::string path = "/") const {
    http::Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.cookies = jar;
    return r;
  }
  void take(const http::Response& response) {
    for (const auto& [name, value] : response.headers) {
      if (name != "Set-Cookie") continue;
      auto eq = value.find('='), semi = value.find(';');
      std::string n = value.substr(0, eq), v = value.substr(eq + 1, semi - eq - 1);
      if (value.find("Max-Age=0") != std::string::npos) jar.erase(n);
      else jar[n] = v;
    }
  }
};

// What the application saw.
struct Seen {
  std::string role;
  bool prevent = false;
  std::string database;
};

Seen observe() {
  return {sy::current_role(dog()), sy::current_preventing_writes(dog()),
          sy::lease_connection(dog())->identity().database};
}

struct Clock {
  std::shared_ptr<std::atomic<std::int64_t>> now = std::make_shared<std::atomic<std::int64_t>>(1'000'000);
  std::function<std::int64_t()> fn() const {
    auto n = now;
    return [n] { return n->load(); };
  }
  void advance(std::int64_t ms) { *now += ms; }
};

}  // namespace

TEST_CASE("signed cookies: round trip, tampering, another name, rotation") {
  auto v = http::sign_cookie_value("_sy_db", "w=123&t=1:1:0/10", kSecret);
  CHECK(http::verify_cookie_value("_sy_db", v, kSecret) == std::optional<std::string>("w=123&t=1:1:0/10"));
  CHECK_FALSE(http::verify_cookie_value("_other", v, kSecret));
  CHECK_FALSE(http::verify_cookie_value("_sy_db", v, "another-secret-0123456789"));
  std::string flipped = v;
  flipped[2] = flipped[2] == 'A' ? 'B' : 'A';
  CHECK_FALSE(http::verify_cookie_value("_sy_db", flipped, kSecret));
  CHECK_FALSE(http::verify_cookie_value("_sy_db", v.substr(0, v.find('.')), kSecret));  // unsigned
  CHECK_FALSE(http::verify_cookie_value("_sy_db", "garbage", kSecret));
  CHECK_FALSE(http::verify_cookie_value("_sy_db", "a.b", kSecret));
  CHECK(http::verify_cookie_value("_sy_db", v, "new-secret-0123456789abc", {kSecret}));
  for (std::string s : {std::string(), std::string("f"), std::string("fo"), std::string("foo"), std::string("foob"), std::string("\0\xff\x10", 3)})
    CHECK(http::base64url_decode(http::base64url_encode(s)) == s);
  CHECK_FALSE(http::base64url_decode("Zh"));  // non-zero trailing bits
  CHECK_FALSE(http::base64url_decode("a+b/"));
}

TEST_CASE("selector state and cookie header parsing") {
  http::SelectorState s;
  s.last_write_ms = 1700000000123;
  s.primary_until_ms = 5;
  s.wal_tokens.merge({{42, 1}, 0x1234});
  auto text = s.serialize();
  CHECK(text == "w=1700000000123&p=5&t=42:1:0/1234");
  CHECK(http::SelectorState::parse(text) == s);
  CHECK(http::SelectorState::parse("") == http::SelectorState{});
  CHECK_FALSE(http::SelectorState::parse("w=abc"));
  CHECK_FALSE(http::SelectorState::parse("x=1"));
  auto c = http::parse_cookie_header("a=1; _sy_db=\"xyz\";b = 2 ; bad; =v");
  CHECK(c == std::map<std::string, std::string>{{"a", "1"}, {"_sy_db", "xyz"}, {"b", "2"}});
  http::Cookie k{.name = "n", .value = "v", .max_age = std::chrono::seconds(60)};
  CHECK(k.to_header() == "n=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax");
}

TEST_CASE_FIXTURE(Fixture, "time window: reads go to the replica unless the client wrote within the delay") {
  Clock clock;
  http::DatabaseSelector selector({.cookie = {.secret = kSecret}, .clock = clock.fn()});
  std::vector<std::string> events;
  std::mutex m;
  sy::instrument::Subscription sub(sy::instrument::EventSubscriber([&](const sy::instrument::Event& e) {
    std::lock_guard lock(m);
    if (e.name.rfind("database_selector.", 0) == 0) events.push_back(e.name.substr(18) + ":" + e.payload["reason"].get<std::string>());
  }));
  Browser b;
  Seen seen;
  auto run = [&](const std::string& method) {
    http::Response res;
    auto choice = selector.call(b.request(method), res, [&] { seen = observe(); });
    b.take(res);
    return choice;
  };

  CHECK(run("GET") == http::Selection::replica);  // no cookie: replica (Rails: Time.at(0))
  CHECK(seen.role == "reading");
  CHECK(seen.prevent);
  CHECK(seen.database == "animals_replica");
  CHECK(b.jar.empty());  // nothing to remember

  CHECK(run("POST") == http::Selection::primary_write);
  CHECK(seen.role == "writing");
  CHECK_FALSE(seen.prevent);
  CHECK(seen.database == "animals");
  REQUIRE(b.jar.count("_sy_db"));

  clock.advance(1999);
  CHECK(run("GET") == http::Selection::primary_read);
  CHECK(seen.role == "writing");
  CHECK(seen.prevent);  // the primary, but still no writes in a GET
  CHECK(seen.database == "animals");
  clock.advance(1);  // exactly the delay: the replica (>=, as in Rails)
  CHECK(run("HEAD") == http::Selection::replica);

  // A write that throws is still recorded.
  http::Response res;
  CHECK_THROWS_AS(selector.call(b.request("DELETE"), res, [] { throw std::runtime_error("app failed"); }),
                  std::runtime_error);
  b.take(res);
  CHECK(run("GET") == http::Selection::primary_read);
  CHECK(sy::connected_to_stack().empty());
  CHECK(events == std::vector<std::string>{"read_from_replica:no_recent_write", "wrote_to_primary:write_request",
                                           "read_from_primary:recent_write", "read_from_replica:delay_passed",
                                           "wrote_to_primary:write_request", "read_from_primary:recent_write"});
}

TEST_CASE_FIXTURE(Fixture, "time window: a tampered or unsigned cookie reads the primary for one delay") {
  Clock clock;
  http::DatabaseSelector selector({.cookie = {.secret = kSecret}, .clock = clock.fn()});
  Browser b;
  b.jar["_sy_db"] = http::sign_cookie_value("_sy_db", "w=1", "not-the-secret-0123456789");
  http::Response res;
  CHECK(selector.call(b.request("GET"), res, [] {}) == http::Selection::primary_read);
  b.take(res);
  REQUIRE(b.jar.count("_sy_db"));  // re-issued, validly signed
  CHECK(http::verify_cookie_value("_sy_db", b.jar["_sy_db"], kSecret));
  clock.advance(1000);
  http::Response r2;
  CHECK(selector.call(b.request("GET"), r2, [] {}) == http::Selection::primary_read);
  clock.advance(1000);
  http::Response r3;
  CHECK(selector.call(b.request("GET"), r3, [] {}) == http::Selection::replica);
  // Garbage: same treatment.
  Browser g;
  g.jar["_sy_db"] = "not even base64!";
  http::Response r4;
  CHECK(selector.call(g.request("GET"), r4, [] {}) == http::Selection::primary_read);
}

TEST_CASE_FIXTURE(Fixture, "selector options: a secret is required; reading_request is overridable") {
  CHECK_THROWS_AS(http::DatabaseSelector(http::DatabaseSelectorOptions{}), sy::ArgumentError);
  CHECK_THROWS_AS(http::DatabaseSelector({.cookie = {.secret = "short"}}), sy::ArgumentError);
  http::DatabaseSelector selector(
      {.reading_request = [](const http::Request& r) { return r.method == "GET" || r.path == "/search"; },
       .cookie = {.secret = kSecret}});
  Browser b;
  http::Response res;
  Seen seen;
  CHECK(selector.call(b.request("POST", "/search"), res, [&] { seen = observe(); }) == http::Selection::replica);
  CHECK(seen.role == "reading");
  CHECK(selector.call(b.request("HEAD"), res, [] {}) == http::Selection::primary_write);
}

TEST_CASE_FIXTURE(Fixture, "WAL resolver without positions (SQLite): falls back to the time window") {
  Clock clock;
  http::DatabaseSelector selector(
      {.resolver = http::ResolverKind::wal_position, .cookie = {.secret = kSecret}, .clock = clock.fn()});
  Browser b;
  http::Response r1;
  CHECK(selector.call(b.request("GET"), r1, [] {}) == http::Selection::replica);
  http::Response r2;
  selector.call(b.request("POST"), r2, [] { sy::execute(dog(), "INSERT INTO t VALUES ('x')", {}); });
  b.take(r2);
  http::Response r3;
  CHECK(selector.call(b.request("GET"), r3, [] {}) == http::Selection::primary_read);
  clock.advance(2000);
  http::Response r4;
  CHECK(selector.call(b.request("GET"), r4, [] {}) == http::Selection::replica);
}

TEST_CASE_FIXTURE(Fixture, "ShardSelector: the request's shard, locked by default") {
  http::ShardSelector locked({.resolver = [](const http::Request& r) { return r.path == "/two" ? "shard_two" : "shard_one"; }});
  http::Response res;
  http::Request req;
  req.method = "GET";
  req.path = "/two";
  std::string db;
  locked(req, res, [&] {
    db = sy::lease_connection(sharded())->identity().database;
    CHECK(sy::shard_swapping_prohibited());
    CHECK_THROWS_WITH_AS(sy::connected_to(sharded(), {.shard = "shard_one"}, [] {}),
                         "cannot swap `shard` while shard swapping is prohibited.", sy::ArgumentError);
    sy::connected_to(sharded(), {.role = sy::reading}, [] {  // role switches are fine
      CHECK(sy::lease_connection(sharded())->identity().database == "shard_two_replica");
    });
  });
  CHECK(db == "shard_two");
  CHECK_FALSE(sy::shard_swapping_prohibited());

  http::ShardSelector unlocked({.resolver = [](const http::Request&) { return std::string("shard_two"); }, .lock = false});
  unlocked(req, res, [&] {
    CHECK_FALSE(sy::shard_swapping_prohibited());
    sy::connected_to(sharded(), {.shard = "shard_one"}, [] {});
  });
  CHECK_THROWS_AS(http::ShardSelector({}), sy::ArgumentError);
}

TEST_CASE_FIXTURE(Fixture, "DatabaseSelector then ShardSelector: the shard frame keeps the read's prevent_writes") {
  Clock clock;
  http::DatabaseSelector db({.cookie = {.secret = kSecret}, .clock = clock.fn()});
  http::ShardSelector shard({.resolver = [](const http::Request&) { return std::string("shard_two"); }});
  // A client that just wrote: GET reads the primary with writes prevented.
  http::SelectorState state;
  state.last_write_ms = clock.now->load();
  Browser b;
  b.jar["_sy_db"] = http::sign_cookie_value("_sy_db", state.serialize(), kSecret);
  http::Response res;
  std::string where;
  bool prevent = false;
  http::run_chain({db.middleware(), shard.middleware()}, b.request("GET"), res, [&] {
    where = sy::lease_connection(sharded())->identity().database;
    prevent = sy::current_preventing_writes(sharded());
    CHECK_THROWS_AS(sy::execute(sharded(), "INSERT INTO t VALUES ('no')", {}), sy::ReadOnlyError);
  });
  CHECK(where == "shard_two");
  CHECK(prevent);  // Rails' shard-only frame would reset it to false here
}

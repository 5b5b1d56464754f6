// Routing decisions without a server: statement level (decide), replica selection, SQLSTATE
// classes, WAL tokens, route explain, and the sql layer's labelled corpus run through the router.
#include <doctest/doctest.h>

#include <set>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../sql/corpus.hpp"
#include "switchyard/routing/decision.hpp"
#include "switchyard/routing/lsn.hpp"
#include "switchyard/routing/route_explain.hpp"

// Qualified on purpose: the context layer has its own WalToken / parse_lsn in switchyard::.
namespace sql = switchyard::sql;
namespace test = switchyard::test;
using namespace switchyard::routing;

namespace {
const sql::StatementClassifier& pg() { return sql::default_classifier(sql::Dialect::postgresql); }
const sql::StatementClassifier& lite() { return sql::default_classifier(sql::Dialect::sqlite3); }
StatementDecision free_session(const sql::StatementClassifier& c, std::string_view s) {
  return decide(c, s, SessionView{});
}
}  // namespace

TEST_CASE("decide: proven reads go to a replica with the classifier's reason") {
  for (const auto* c : {&pg(), &lite()}) {
    auto d = free_session(*c, "SELECT \"dogs\".* FROM \"dogs\" WHERE \"dogs\".\"id\" = $1 LIMIT $2");
    CHECK(d.target == Target::replica);
    CHECK(d.reason == "SELECT");
    CHECK_FALSE(d.is_write);
    CHECK_FALSE(d.pins_session);
  }
}

TEST_CASE("decide: writes and non-provable statements go to the primary") {
  struct Case {
    const char* sql;
    const char* reason_prefix;
  } cases[] = {
      {"SELECT * FROM dogs WHERE id = 1 FOR UPDATE", "LOCKING_CLAUSE"},
      {"WITH d AS (DELETE FROM dogs RETURNING *) SELECT * FROM d", "DML_IN_CTE"},
      {"SELECT nextval('dogs_id_seq')", "SIDE_EFFECT_FUNCTION(nextval)"},
      {"INSERT INTO dogs (name) VALUES ($1) RETURNING id", "WRITE_STATEMENT"},
      {"SELECT my_udf(1)", "UNKNOWN_FUNCTION"},
  };
  for (const auto& k : cases) {
    CAPTURE(k.sql);
    auto d = free_session(pg(), k.sql);
    CHECK(d.target == Target::primary);
    CHECK(d.reason.rfind(k.reason_prefix, 0) == 0);
  }
  CHECK(free_session(pg(), "INSERT INTO dogs VALUES (1)").is_write);
}

TEST_CASE("decide: session state, transactions, pins and stickiness") {
  SUBCASE("an open transaction takes everything, unclassified") {
    auto d = decide(pg(), "SELECT 1", SessionView{.in_transaction = true});
    CHECK(d.target == Target::primary);
    CHECK(d.reason == reason::in_transaction);
    CHECK_FALSE(d.classified);
  }
  SUBCASE("a pinned session keeps reads on the primary") {
    auto d = decide(pg(), "SELECT 1", SessionView{.session_pinned = true});
    CHECK(d.target == Target::primary);
    CHECK(d.reason == reason::session_pinned);
  }
  SUBCASE("the time window holds proven reads on the primary") {
    auto d = decide(pg(), "SELECT 1", SessionView{.sticky_time_window = true});
    CHECK(d.target == Target::primary);
    CHECK(d.reason == reason::sticky_time_window);
    // ... but not writes, which keep their own reason
    CHECK(decide(pg(), "DELETE FROM t", SessionView{.sticky_time_window = true}).reason ==
          "WRITE_STATEMENT(DELETE)");
  }
  SUBCASE("plain SET is recorded for replay; SET LOCAL is not; RESET ALL clears") {
    auto set = free_session(pg(), "SET statement_timeout = '5s'");
    CHECK(set.target == Target::primary);
    CHECK(set.record_session_state);
    CHECK_FALSE(set.pins_session);
    CHECK_FALSE(free_session(pg(), "SET LOCAL statement_timeout = '5s'").record_session_state);
    auto reset = free_session(pg(), "  reset   all ;");
    CHECK(reset.clears_session_state);
    CHECK_FALSE(reset.record_session_state);
    CHECK(free_session(pg(), "DISCARD ALL").clears_session_state);
  }
  SUBCASE("state that cannot be replayed pins the session") {
    for (const char* s : {"LISTEN jobs", "CREATE TEMP TABLE x (id int)",
                          "SELECT pg_advisory_lock(42)", "SELECT currval('s')",
                          "SELECT nextval('s')", "SELECT setval('s', 10)",
                          "PREPARE q AS SELECT 1"}) {
      CAPTURE(s);
      auto d = free_session(pg(), s);
      CHECK(d.pins_session);
      CHECK(d.target == Target::primary);
    }
    CHECK_FALSE(free_session(pg(), "SELECT pg_advisory_xact_lock(1)").pins_session);
  }
}

TEST_CASE("select_replica: eligibility and reasons") {
  std::vector<ReplicaView> v(3);
  v[0].name = "r1";
  v[1].name = "r2";
  v[2].name = "r3";
  SUBCASE("round robin over eligible replicas") {
    std::set<int> seen;
    for (std::uint64_t t = 0; t < 6; ++t) seen.insert(select_replica(v, LoadBalancing::round_robin, t).index);
    CHECK(seen == std::set<int>{0, 1, 2});
    v[1].healthy = false;
    for (std::uint64_t t = 0; t < 10; ++t)
      CHECK(select_replica(v, LoadBalancing::round_robin, t).index != 1);
  }
  SUBCASE("reasons when none is eligible") {
    CHECK(select_replica({}, LoadBalancing::round_robin, 0).reason == reason::no_replica);
    for (auto& r : v) r.healthy = false;
    CHECK(select_replica(v, LoadBalancing::round_robin, 0).reason == reason::all_replicas_down);
    for (auto& r : v) r.healthy = true, r.lag_ok = false;
    CHECK(select_replica(v, LoadBalancing::round_robin, 0).reason == reason::replica_lagging);
    for (auto& r : v) r.lag_ok = true, r.covers = false;
    CHECK(select_replica(v, LoadBalancing::round_robin, 0).reason ==
          reason::sticky_lsn_not_replayed);
    for (auto& r : v) r.covers = true, r.excluded = true;
    CHECK(select_replica(v, LoadBalancing::round_robin, 0).reason == reason::replica_down);
  }
  SUBCASE("only replicas that cover the token") {
    v[0].covers = false;
    v[2].covers = false;
    for (std::uint64_t t = 0; t < 5; ++t)
      CHECK(select_replica(v, LoadBalancing::round_robin, t).index == 1);
  }
  SUBCASE("least outstanding") {
    v[0].outstanding = 5;
    v[1].outstanding = 1;
    v[2].outstanding = 3;
    for (std::uint64_t t = 0; t < 5; ++t)
      CHECK(select_replica(v, LoadBalancing::least_outstanding, t).index == 1);
  }
  SUBCASE("weighted: shares follow weights") {
    v[0].weight = 1;
    v[1].weight = 3;
    v[2].weight = 0;
    int counts[3] = {0, 0, 0};
    for (std::uint64_t t = 0; t < 40000; ++t)
      ++counts[select_replica(v, LoadBalancing::weighted, t).index];
    CHECK(counts[2] == 0);
    const double share = counts[1] / 40000.0;
    CHECK(share > 0.72);
    CHECK(share < 0.78);
  }
}

TEST_CASE("SQLSTATE classes") {
  CHECK(classify_sqlstate("08006") == FailureKind::node_unhealthy);
  CHECK(classify_sqlstate("08001") == FailureKind::node_unhealthy);
  CHECK(classify_sqlstate("57P01") == FailureKind::node_unhealthy);
  CHECK(classify_sqlstate("57P02") == FailureKind::node_unhealthy);
  CHECK(classify_sqlstate("57P03") == FailureKind::node_unhealthy);
  CHECK(classify_sqlstate("53300") == FailureKind::node_unhealthy);
  CHECK(classify_sqlstate("40001") == FailureKind::recovery_conflict);
  CHECK(classify_sqlstate("25006") == FailureKind::read_only);
  CHECK(classify_sqlstate("42P01") == FailureKind::none);
  CHECK(classify_sqlstate("57014") == FailureKind::none);
  CHECK(classify_sqlstate("") == FailureKind::none);
}

TEST_CASE("LSNs and tokens") {
  CHECK(parse_lsn("16/B374D848") == 0x16B374D848ull);
  CHECK(parse_lsn("0/0") == 0ull);
  CHECK_FALSE(parse_lsn("16B374D848"));
  CHECK_FALSE(parse_lsn("G/1"));
  CHECK_FALSE(parse_lsn("1/123456789"));
  CHECK(format_lsn(0x16B374D848ull) == "16/B374D848");

  WalToken a{7, 1, 100, 5};
  a.merge(WalToken{7, 1, 50, 9});
  CHECK(a.lsn == 100);
  CHECK(a.written_at_ms == 9);
  a.merge(WalToken{7, 2, 10, 10});  // another timeline, newer: replaces
  CHECK(a.timeline == 2);
  CHECK(a.lsn == 10);

  TokenSet set{{"animals", WalToken{7311234, 1, 0x3000148, 1700000000000}},
               {"odd;name=x", WalToken{1, 1, 1, 1}}};
  std::string text = serialize_tokens(set);
  CHECK(text.rfind("sy1;", 0) == 0);
  auto back = parse_tokens(text);
  REQUIRE(back);
  CHECK(back->at("animals").lsn == 0x3000148);
  CHECK(back->at("animals").system_identifier == 7311234);
  CHECK(back->at("odd;name=x").lsn == 1);
  CHECK_FALSE(parse_tokens("garbage"));
  CHECK_FALSE(parse_tokens("sy1;animals=1:2:3"));
  CHECK(serialize_tokens({}).empty());

  SUBCASE("signed tokens verify, tampered ones do not") {
    std::string signed_text = serialize_tokens(set, "k3y");
    CHECK(parse_tokens(signed_text, "k3y"));
    CHECK_FALSE(parse_tokens(signed_text, "other"));
    CHECK_FALSE(parse_tokens(text, "k3y"));
    std::string tampered = signed_text;
    tampered.replace(tampered.find("3000148"), 7, "3000149");
    CHECK_FALSE(parse_tokens(tampered, "k3y"));
  }
}

TEST_CASE("route explain: JSON lines and readable text") {
  std::istringstream in(
      "{\"sql\": \"SELECT * FROM dogs\"}\n"
      "{\"sql\": \"SELECT * FROM dogs FOR UPDATE\", \"id\": 7}\n"
      "\n"
      "{\"sql\": \"SET search_path = app\"}\n"
      "not json\n");
  std::ostringstream out, err;
  int status = route_explain({"--dialect", "postgresql"}, in, out, err);
  CHECK(status == 1);  // the malformed line
  std::istringstream lines(out.str());
  std::vector<nlohmann::json> rows;
  for (std::string l; std::getline(lines, l);) rows.push_back(nlohmann::json::parse(l));
  REQUIRE(rows.size() == 4);
  CHECK(rows[0]["route"] == "replica");
  CHECK(rows[0]["reason"] == "SELECT");
  CHECK(rows[1]["route"] == "primary");
  CHECK(rows[1]["reason"] == "LOCKING_CLAUSE");
  CHECK(rows[1]["id"] == 7);
  CHECK(rows[2]["route"] == "all");
  CHECK(rows[2]["replayed"] == true);
  CHECK(rows[3].contains("error"));

  std::ostringstream text;
  std::istringstream none;
  CHECK(route_explain({"--dialect=sqlite3", "SELECT * FROM t"}, none, text, err) == 0);
  CHECK(text.str().find("route:   replica") != std::string::npos);
  CHECK(text.str().find("why:") != std::string::npos);
  std::ostringstream text2;
  CHECK(route_explain({"SELECT my_fn()", "--read-only-function", "my_fn"}, none, text2, err) == 0);
  CHECK(text2.str().find("route:   replica") != std::string::npos);
  CHECK(route_explain({"--dialect", "oracle"}, none, text, err) == 2);
}

TEST_CASE("the labelled corpus routes as labelled (both dialects)") {
  auto corpus = test::load_corpus();
  REQUIRE(corpus.size() >= 120);
  std::size_t replica = 0, primary = 0, all = 0;
  for (const auto& k : corpus) {
    CAPTURE(k.line);
    CAPTURE(k.sql);
    const auto& classifier = k.dialect == sql::Dialect::postgresql ? pg() : lite();
    auto d = free_session(classifier, k.sql);
    if (k.route == "replica") {
      ++replica;
      CHECK(d.target == Target::replica);
    } else {
      CHECK(d.target == Target::primary);
      if (k.route == "all") {
        ++all;
        CHECK(d.classification.route == sql::Route::all);
      } else {
        ++primary;
      }
    }
    CHECK(d.reason.rfind(k.reason, 0) == 0);
    // Whatever the statement, an open transaction or a pinned session never sends it elsewhere.
    CHECK(decide(classifier, k.sql, SessionView{.in_transaction = true}).target == Target::primary);
    CHECK(decide(classifier, k.sql, SessionView{.session_pinned = true}).target == Target::primary);
    CHECK(decide(classifier, k.sql, SessionView{.sticky_time_window = true}).target ==
          Target::primary);
  }
  MESSAGE(corpus.size() << " corpus statements: " << replica << " replica, " << primary
                        << " primary, " << all << " all");
}

TEST_CASE("mutations never turn a primary statement into a replica one") {
  auto corpus = test::load_corpus();
  auto mutate = [](const std::string& s) {
    std::vector<std::string> out;
    std::string upper, lower;
    for (char c : s) {
      upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
      lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    out.push_back(upper);
    out.push_back(lower);
    out.push_back("  \n\t" + s + " \n ");
    out.push_back("/* x */ " + s);
    out.push_back("-- c\n" + s);
    out.push_back(s + ";");
    out.push_back(s + " ; ;");
    out.push_back(";" + s);
    return out;
  };
  std::size_t checked = 0;
  for (const auto& k : corpus) {
    if (k.route == "replica") continue;
    const auto& classifier = k.dialect == sql::Dialect::postgresql ? pg() : lite();
    for (const auto& m : mutate(k.sql)) {
      CAPTURE(k.line);
      CAPTURE(m);
      CHECK(free_session(classifier, m).target == Target::primary);
      ++checked;
    }
  }
  CHECK(checked > 500);
}

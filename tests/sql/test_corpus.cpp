// Every statement of the labelled corpus classifies to its expected route and reason.
#include <doctest/doctest.h>
#include <switchyard/sql/statement_classifier.hpp>

#include "corpus.hpp"

namespace sql = switchyard::sql;

TEST_CASE("corpus: every statement has its expected route and reason") {
  const auto cases = switchyard::test::load_corpus();
  REQUIRE(cases.size() >= 160);
  int replica = 0;
  for (const auto& c : cases) {
    const sql::Classification got = sql::classify(c.dialect, c.sql);
    INFO("corpus line " << c.line << " [" << sql::to_string(c.dialect) << "]: " << c.sql);
    INFO("got " << sql::to_string(got.route) << " " << got.reason);
    CHECK(sql::to_string(got.route) == c.route);
    CHECK(got.reason.starts_with(c.reason));
    // The invariants the router relies on.
    CHECK((got.route == sql::Route::replica) ==
          (got.kind == sql::StatementKind::read && got.code != sql::ReasonCode::empty));
    if (got.route == sql::Route::all) CHECK_FALSE(got.pins_session());
    if (got.is_write()) CHECK(got.route == sql::Route::primary);
    // The per-thread decision cache returns exactly what a fresh classification decides.
    const sql::Classification fresh = sql::default_classifier(c.dialect).classify_uncached(c.sql);
    const sql::Classification cached = sql::classify(c.dialect, c.sql);
    CHECK(fresh.reason == got.reason);
    CHECK(cached.reason == got.reason);
    CHECK(cached.pins == fresh.pins);
    replica += got.route == sql::Route::replica;
  }
  // A corpus that is nearly all one class would prove little.
  CHECK(replica > 60);
  CHECK(static_cast<int>(cases.size()) - replica > 150);
}

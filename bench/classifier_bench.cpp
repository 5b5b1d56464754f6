// Statement classifier throughput: typical ORM statements one by one, and the whole labelled
// corpus (tests/sql/corpus.tsv), reported as time per statement.
#include <benchmark/benchmark.h>
#include <switchyard/sql/lexer.hpp>
#include <switchyard/sql/statement_classifier.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "corpus.hpp"

namespace sql = switchyard::sql;

namespace {

// `uncached` measures the lexer and analysis; `cached` what a repeated statement costs through
// classify() (a hash, a compare and a copy of the decision).
void uncached(benchmark::State& state, sql::Dialect dialect, const char* text) {
  const sql::StatementClassifier& classifier = sql::default_classifier(dialect);
  for (auto _ : state) {
    sql::Classification c = classifier.classify_uncached(text);
    benchmark::DoNotOptimize(c);
  }
}
void cached(benchmark::State& state, sql::Dialect dialect, const char* text) {
  const sql::StatementClassifier& classifier = sql::default_classifier(dialect);
  for (auto _ : state) {
    sql::Classification c = classifier.classify(text);
    benchmark::DoNotOptimize(c);
  }
}

constexpr sql::Dialect kPg = sql::Dialect::postgresql;
constexpr sql::Dialect kLite = sql::Dialect::sqlite3;

#define SY_BENCH_STATEMENT(name, dialect, text)     \
  BENCHMARK_CAPTURE(uncached, name, dialect, text); \
  BENCHMARK_CAPTURE(cached, name, dialect, text)

SY_BENCH_STATEMENT(pg_select_by_id, kPg,
                   R"(SELECT "dogs".* FROM "dogs" WHERE "dogs"."id" = $1 LIMIT $2)");
SY_BENCH_STATEMENT(
    pg_select_join_in, kPg,
    R"(SELECT "dogs".* FROM "dogs" INNER JOIN "owners" ON "owners"."id" = )"
    R"("dogs"."owner_id" WHERE "owners"."name" IN ($1, $2) ORDER BY "dogs"."name" ASC)");
SY_BENCH_STATEMENT(pg_count, kPg, R"(SELECT COUNT(*) FROM "dogs" WHERE "dogs"."age" > $1)");
SY_BENCH_STATEMENT(pg_insert_returning, kPg,
                   R"(INSERT INTO "dogs" ("name", "age") VALUES ($1, $2) RETURNING "id")");
SY_BENCH_STATEMENT(pg_update_by_id, kPg,
                   R"(UPDATE "dogs" SET "age" = $1, "updated_at" = $2 WHERE "dogs"."id" = $3)");
SY_BENCH_STATEMENT(pg_delete_by_id, kPg, R"(DELETE FROM "dogs" WHERE "dogs"."id" = $1)");
SY_BENCH_STATEMENT(pg_begin, kPg, "BEGIN");
SY_BENCH_STATEMENT(
    pg_writable_cte, kPg,
    "WITH d AS (DELETE FROM dogs WHERE age > $1 RETURNING *) SELECT count(*) FROM d");
SY_BENCH_STATEMENT(sqlite_select_by_id, kLite,
                   R"(SELECT "dogs".* FROM "dogs" WHERE "dogs"."id" = ? LIMIT ?)");
SY_BENCH_STATEMENT(sqlite_insert, kLite,
                   R"(INSERT INTO "dogs" ("name", "age") VALUES (?, ?) RETURNING "id")");

void lex_only(benchmark::State& state) {
  const std::string_view text = R"(SELECT "dogs".* FROM "dogs" WHERE "dogs"."id" = $1 LIMIT $2)";
  for (auto _ : state) {
    sql::Lexer lexer(text, kPg);
    int n = 0;
    for (sql::Token t = lexer.next(); t.kind != sql::TokenKind::end; t = lexer.next()) ++n;
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(lex_only);

void corpus(benchmark::State& state, bool use_cache) {
  setenv("SY_SQL_CORPUS", SY_SQL_CORPUS_PATH, 0);
  const auto cases = switchyard::test::load_corpus();
  for (auto _ : state) {
    for (const auto& c : cases) {
      const auto& classifier = sql::default_classifier(c.dialect);
      sql::Classification got =
          use_cache ? classifier.classify(c.sql) : classifier.classify_uncached(c.sql);
      benchmark::DoNotOptimize(got);
    }
  }
  // Reported as time per statement.
  state.counters["per_statement"] = benchmark::Counter(
      static_cast<double>(cases.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["statements"] = static_cast<double>(cases.size());
}
BENCHMARK_CAPTURE(corpus, uncached, false);
BENCHMARK_CAPTURE(corpus, cached, true);

}  // namespace

BENCHMARK_MAIN();

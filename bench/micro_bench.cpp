// Google Benchmark micro-benchmarks that need no server (figure 4): classify one statement.
//
//   micro_bench --corpus tests/sql/corpus.tsv [google benchmark flags]
//
// One benchmark per statement (uncached: lexer + analysis; cached: the decision cache): classify/typical/{uncached,cached}/N over the statements the ORM and its users send
// most (the model layer's renderings, transaction control), classify/corpus/N over every line
// of the labelled tricky corpus (uncached). scripts/bench runs it with repetitions and random interleaving
// and sy_bench reads the per-statement medians from its JSON output.
#include <benchmark/benchmark.h>
#include <switchyard/sql/statement_classifier.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace sql = switchyard::sql;

// What an ORM sends, rendered like the model layer renders it (quoted identifiers, $N binds).
const std::vector<std::string>& typical() {
  static const std::vector<std::string> statements = {
      R"(SELECT "dogs"."id", "dogs"."name", "dogs"."age" FROM "dogs" WHERE "dogs"."id" = $1 LIMIT 1)",
      R"(SELECT "id", "name", "age" FROM "dogs" WHERE "id" = $1 LIMIT 1)",
      R"(SELECT "dogs".* FROM "dogs" WHERE "dogs"."age" > $1 ORDER BY "dogs"."name" ASC LIMIT 20 OFFSET 40)",
      R"(SELECT COUNT(*) FROM "dogs" WHERE "dogs"."owner_id" = $1)",
      R"(SELECT 1 AS one FROM "dogs" WHERE "dogs"."name" = $1 LIMIT 1)",
      R"(SELECT "dogs"."id" FROM "dogs" WHERE "dogs"."id" IN ($1, $2, $3, $4, $5))",
      R"(SELECT "owners".* FROM "owners" INNER JOIN "dogs" ON "dogs"."owner_id" = "owners"."id" WHERE "dogs"."age" >= $1)",
      R"(INSERT INTO "dogs" ("name", "age", "created_at", "updated_at") VALUES ($1, $2, $3, $4) RETURNING "id")",
      R"(UPDATE "dogs" SET "age" = $1, "updated_at" = $2 WHERE "dogs"."id" = $3)",
      R"(DELETE FROM "dogs" WHERE "dogs"."id" = $1)",
      R"(SELECT "dogs".* FROM "dogs" WHERE "dogs"."id" = $1 LIMIT 1 FOR UPDATE)",
      "BEGIN",
      "COMMIT",
      "SAVEPOINT active_record_1",
      "RELEASE SAVEPOINT active_record_1",
      "SET statement_timeout = 5000",
  };
  return statements;
}

std::string unescape(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    const char d = i + 1 < field.size() ? field[i + 1] : '\0';
    if (c != '\\') {
      out += c;
      continue;
    }
    switch (d) {
      case 'n': out += '\n'; ++i; break;
      case 'r': out += '\r'; ++i; break;
      case 't': out += '\t'; ++i; break;
      case '0': out += '\0'; ++i; break;
      case '\\': out += '\\'; ++i; break;
      case 'x':
        if (i + 3 < field.size()) {
          out += static_cast<char>(std::stoi(field.substr(i + 2, 2), nullptr, 16));
          i += 3;
        } else {
          out += c;
        }
        break;
      default: out += c; break;
    }
  }
  return out;
}

struct Case {
  sql::Dialect dialect;
  std::string sql;
};

// tests/sql/corpus.tsv: dialect, route, reason, sql (tab-separated; # comments).
std::vector<Case> load_corpus(const std::string& path) {
  std::vector<Case> cases;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::size_t pos = 0;
    std::vector<std::string> cols;
    for (int k = 0; k < 3; ++k) {
      const auto tab = line.find('\t', pos);
      if (tab == std::string::npos) break;
      cols.push_back(line.substr(pos, tab - pos));
      pos = tab + 1;
    }
    if (cols.size() != 3) continue;
    cases.push_back({cols[0] == "sqlite3" ? sql::Dialect::sqlite3 : sql::Dialect::postgresql,
                     unescape(line.substr(pos))});
  }
  return cases;
}

// uncached: the lexer and the analysis (what a statement costs the first time it is seen);
// cached: classify() on a statement seen before (the classifier's decision cache).
void classify_uncached(benchmark::State& state, sql::Dialect dialect, const std::string* text) {
  const auto& classifier = sql::default_classifier(dialect);
  for (auto _ : state) {
    auto c = classifier.classify_uncached(*text);
    benchmark::DoNotOptimize(c);
  }
}
void classify_cached(benchmark::State& state, sql::Dialect dialect, const std::string* text) {
  const auto& classifier = sql::default_classifier(dialect);
  for (auto _ : state) {
    auto c = classifier.classify(*text);
    benchmark::DoNotOptimize(c);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus_path;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--corpus") == 0 && i + 1 < argc)
      corpus_path = argv[++i];
    else
      rest.push_back(argv[i]);
  }
  static std::vector<Case> corpus;
  if (!corpus_path.empty()) {
    corpus = load_corpus(corpus_path);
    if (corpus.empty()) {
      std::fprintf(stderr, "micro_bench: no statements in %s\n", corpus_path.c_str());
      return 1;
    }
  }
  for (std::size_t i = 0; i < typical().size(); ++i) {
    benchmark::RegisterBenchmark(("classify/typical/uncached/" + std::to_string(i)).c_str(),
                                 classify_uncached, sql::Dialect::postgresql, &typical()[i]);
    benchmark::RegisterBenchmark(("classify/typical/cached/" + std::to_string(i)).c_str(),
                                 classify_cached, sql::Dialect::postgresql, &typical()[i]);
  }
  for (std::size_t i = 0; i < corpus.size(); ++i)
    benchmark::RegisterBenchmark(("classify/corpus/uncached/" + std::to_string(i)).c_str(),
                                 classify_uncached, corpus[i].dialect, &corpus[i].sql);
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

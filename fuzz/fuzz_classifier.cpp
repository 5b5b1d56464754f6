// libFuzzer: the statement classifier never crashes and never routes a write to a replica.
// "A write" is decided three ways, none of which trusts the classifier's own notion of a read:
//   * a conservative, independent oracle (classifier_oracle.hpp): a write keyword, a writable
//     CTE, a locking clause, SELECT INTO, a side-effect function call, a statement that does not
//     start like a read, or anything unterminated, unbalanced or NUL;
//   * harmless rewrites of a statement the classifier calls a non-read (leading whitespace or
//     comment, a trailing semicolon, another read before or after it) must stay non-reads;
//   * the per-thread decision cache must answer what the uncached classifier answers.
// A violation prints the input and the reasons, then aborts (libFuzzer saves the input).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "classifier_oracle.hpp"
#include "switchyard/sql/statement_classifier.hpp"

using namespace switchyard::sql;

namespace {

[[noreturn]] void fail(const char* what, const std::string& sql, const Classification& c,
                       const std::string& detail) {
  std::fprintf(stderr, "fuzz_classifier: %s\n  sql: [%s]\n  classifier: %s\n  detail: %s\n", what,
               sql.c_str(), c.reason.c_str(), detail.c_str());
  std::abort();
}

void check(const StatementClassifier& classifier, const std::string& sql) {
  const Classification c = classifier.classify(sql);
  const Classification uncached = classifier.classify_uncached(sql);
  if (c.route != uncached.route || c.kind != uncached.kind || c.reason != uncached.reason) {
    fail("cached and uncached decisions differ", sql, c, uncached.reason);
  }
  const bool sqlite = classifier.dialect() == Dialect::sqlite3;
  if (c.route == Route::replica) {
    if (auto reason = switchyard::fuzz::oracle_must_not_be_replica(sql, sqlite)) {
      fail("a write routed to a replica", sql, c, "oracle: " + *reason);
    }
    return;
  }
  if (c.kind == StatementKind::read) return;  // EMPTY: comments only, nothing to route
  // '\n' ends a trailing line comment, so the appended read is really a second statement.
  for (const std::string& variant : {" \n\t" + sql, "/* c */ " + sql, sql + ";", sql + "\n;",
                                     "SELECT 1; " + sql, sql + "\n; SELECT 1"}) {
    const Classification v = classifier.classify(variant);
    if (v.route == Route::replica) fail("a rewrite made a non-read a read", variant, v, c.reason);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string sql(reinterpret_cast<const char*>(data), size);
  for (Dialect d : {Dialect::postgresql, Dialect::sqlite3}) check(default_classifier(d), sql);
  return 0;
}

// libFuzzer: the statement classifier never crashes, and no harmless rewrite of a statement it
// calls a write (leading whitespace, a leading comment, a trailing semicolon) makes it a read.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "switchyard/sql/statement_classifier.hpp"

using namespace switchyard::sql;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string sql(reinterpret_cast<const char*>(data), size);
  for (Dialect d : {Dialect::postgresql, Dialect::sqlite3}) {
    const auto original = classify(d, sql);
    if (original.route == Route::replica) continue;
    for (const std::string& variant : {" \n\t" + sql, "/* c */ " + sql, sql + ";"}) {
      if (classify(d, variant).route == Route::replica) std::abort();  // a write became a read
    }
  }
  return 0;
}

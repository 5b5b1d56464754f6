// Internal: where in a configuration something is (file, line, environment, database, key), and
// the one way config errors are raised, so every message names all of them in the same format.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::detail {

struct Location {
  std::string source;    // file path, "DATABASE_URL", "<json>"
  std::string env;       // empty before an environment is known
  std::string database;  // empty before a database is known
  std::string key;       // empty when the problem is the whole entry
  std::string via;       // where the key's value came from when not the file: "url", "DATABASE_URL"
  int line = 0;          // 1-based; 0 when unknown (JSON, URLs)
  int column = 0;
};

// "config/database.yml:12:5: environment 'production', database 'animals', key 'pool'"
std::string describe(const Location& where);

// Throw ConfigurationError / AdapterNotSpecified with "<describe(where)>: <problem>".
[[noreturn]] void fail(const Location& where, const std::string& problem);
[[noreturn]] void fail_adapter(const Location& where, const std::string& problem);

// The candidate closest to `word` by edit distance, when it is plausibly a typo of it.
std::optional<std::string> closest(std::string_view word, std::span<const std::string> candidates);
// " (did you mean 'pool'?)" or "".
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates);

// `text` with every occurrence of each secret (of 3+ characters) replaced by [FILTERED].
std::string scrub(std::string text, const std::vector<std::string>& secrets);

}  // namespace switchyard::detail

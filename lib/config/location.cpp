#include "location.hpp"

#include "switchyard/errors.hpp"

#include <algorithm>
#include <numeric>

namespace switchyard::detail {

std::string describe(const Location& where) {
  std::string out = where.source.empty() ? "<config>" : where.source;
  if (where.line > 0) {
    out += ":" + std::to_string(where.line);
    if (where.column > 0) out += ":" + std::to_string(where.column);
  }
  std::string parts;
  auto add = [&](const char* label, const std::string& value) {
    if (value.empty()) return;
    parts += (parts.empty() ? "" : ", ") + std::string(label) + " '" + value + "'";
  };
  add("environment", where.env);
  add("database", where.database);
  add("key", where.key);
  if (!where.via.empty()) parts += " (from " + where.via + ")";
  return parts.empty() ? out : out + ": " + parts;
}

void fail(const Location& where, const std::string& problem) {
  throw ConfigurationError(describe(where) + ": " + problem);
}

void fail_adapter(const Location& where, const std::string& problem) {
  throw AdapterNotSpecified(describe(where) + ": " + problem);
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<std::string> closest(std::string_view word, std::span<const std::string> candidates) {
  // A third of the word's length, at least 1 and at most 3: "pol" → "pool", but "x" → nothing.
  std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    auto d = edit_distance(word, candidate);
    if (d < best_distance) best_distance = d, best = candidate;
  }
  return best;
}

std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
  auto best = closest(word, candidates);
  return best ? " (did you mean '" + *best + "'?)" : "";
}

std::string scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.size() < 3) continue;  // shorter "secrets" would shred ordinary words
    static const std::string mask = "[FILTERED]";
    for (auto at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + mask.size()))
      text.replace(at, secret.size(), mask);
  }
  return text;
}

}  // namespace switchyard::detail

// Internal: configuration text (YAML or JSON) parsed into an ordered JSON tree, with the line and
// column of every mapping key when the format provides them (YAML), for error messages.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace switchyard::detail {

struct SourceMarks {
  // "/production/animals/pool" → {line, column}, both 1-based.
  std::unordered_map<std::string, std::pair<int, int>> at;
  std::pair<int, int> find(const std::string& pointer) const {
    auto it = at.find(pointer);
    return it == at.end() ? std::pair{0, 0} : it->second;
  }
};

struct SourceDocument {
  nlohmann::ordered_json tree;
  SourceMarks marks;
};

// YAML as Rails writes database.yml: anchors, aliases, `<<` merge keys (single and lists),
// plain scalars typed (integers, floats, true/false, null/~), quoted scalars kept as strings.
SourceDocument read_yaml(std::string_view text, const std::string& source);
// JSON; duplicate keys are rejected rather than silently overwritten.
SourceDocument read_json(std::string_view text, const std::string& source);

}  // namespace switchyard::detail

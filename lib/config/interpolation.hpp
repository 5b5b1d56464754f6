// Internal: `${VAR}` / `${VAR:-default}` substitution in configuration string values.
#pragma once

#include "location.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace switchyard::detail {

// Replaces ${VAR} with the environment variable (an error naming `where` and VAR when it is
// unset) and ${VAR:-default} with the variable, or `default` when it is unset or empty, like the
// shell. "$${" is a literal "${". Substituted text is not scanned again.
std::string interpolate(std::string_view text, const Location& where);

// interpolate() on every string inside `value`; `where.key` is extended for nested values
// ("variables.search_path", "replicas[1]").
void interpolate_all(nlohmann::ordered_json& value, const Location& where);

}  // namespace switchyard::detail

// Internal: checking one database's settings against the known-settings table.
#pragma once

#include "location.hpp"
#include "switchyard/config/known_settings.hpp"

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

namespace switchyard::detail {

// `value` converted to what `spec` expects, or nullopt when it cannot be. Strings that spell the
// expected type exactly ("10", "true", "false") are converted, so `pool: ${POOL:-5}` and URL
// query parameters work; "ten" or "yes" are not.
std::optional<nlohmann::ordered_json> coerce(const SettingSpec& spec, const nlohmann::ordered_json& value);

// Validates and normalizes the merged settings of one database. `at(key)` gives the location of
// a key (empty key: the entry itself). Throws ConfigurationError / AdapterNotSpecified.
nlohmann::ordered_json validate_settings(const nlohmann::ordered_json& settings,
                                         const std::function<Location(const std::string&)>& at);

}  // namespace switchyard::detail

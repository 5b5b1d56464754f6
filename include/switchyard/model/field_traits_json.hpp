// field_traits for nlohmann::json: JSON / JSONB columns on PostgreSQL, text on SQLite.
#pragma once

#include <nlohmann/json.hpp>

#include "switchyard/model/field_traits.hpp"

namespace switchyard {

template <>
struct field_traits<nlohmann::json> {
  static Value to_value(const nlohmann::json& j) { return j.dump(); }
  static nlohmann::json from_value(const Value& v) {
    if (auto* s = std::get_if<std::string>(&v)) {
      auto parsed = nlohmann::json::parse(*s, nullptr, false);
      if (!parsed.is_discarded()) return parsed;
    } else if (is_null(v)) {
      return nullptr;
    }
    detail::type_mismatch(v, "JSON");
  }
  static nlohmann::json to_json(const nlohmann::json& j) { return j; }
  static nlohmann::json from_json(const nlohmann::json& j) { return j; }
};

}  // namespace switchyard

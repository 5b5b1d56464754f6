// field_traits for std::string.
#pragma once

#include <string>

#include "switchyard/model/field_traits.hpp"

namespace switchyard {

template <>
struct field_traits<std::string> {
  static Value to_value(const std::string& s) { return s; }
  static std::string from_value(const Value& v) {
    if (auto* s = std::get_if<std::string>(&v)) return *s;
    // SQLite is dynamically typed: a number in a text column reads back as text.
    if (!is_null(v)) return to_text(v);
    detail::type_mismatch(v, "text");
  }
  static nlohmann::json to_json(const std::string& s) { return s; }
  static std::string from_json(const nlohmann::json& j) {
    if (j.is_string()) return j.get<std::string>();
    detail::json_mismatch(j, "a string");
  }
};

}  // namespace switchyard

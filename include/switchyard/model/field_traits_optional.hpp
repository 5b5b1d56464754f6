// field_traits for std::optional<T>: the nullable column of a T. NULL <-> std::nullopt.
#pragma once

#include <optional>

#include "switchyard/model/field_traits.hpp"

namespace switchyard {

template <typename T>
inline constexpr bool is_optional_v = false;
template <typename T>
inline constexpr bool is_optional_v<std::optional<T>> = true;

template <typename T>
struct field_traits<std::optional<T>> {
  static Value to_value(const std::optional<T>& o) {
    return o ? field_traits<T>::to_value(*o) : Value{nullptr};
  }
  static std::optional<T> from_value(const Value& v) {
    if (is_null(v)) return std::nullopt;
    return field_traits<T>::from_value(v);
  }
  static nlohmann::json to_json(const std::optional<T>& o) {
    return o ? field_traits<T>::to_json(*o) : nlohmann::json(nullptr);
  }
  static std::optional<T> from_json(const nlohmann::json& j) {
    if (j.is_null()) return std::nullopt;
    return field_traits<T>::from_json(j);
  }
};

}  // namespace switchyard

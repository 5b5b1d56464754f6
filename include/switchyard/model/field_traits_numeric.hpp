// field_traits for bool, integers of every width and floating point.
#pragma once

#include <charconv>
#include <cmath>
#include <concepts>
#include <limits>
#include <string>

#include "switchyard/model/field_traits.hpp"

namespace switchyard {

template <>
struct field_traits<bool> {
  static Value to_value(bool b) { return b; }
  static bool from_value(const Value& v) {
    if (auto* b = std::get_if<bool>(&v)) return *b;
    // SQLite stores booleans as 0/1; some drivers return 't'/'f'.
    if (auto* i = std::get_if<std::int64_t>(&v); i && (*i == 0 || *i == 1)) return *i == 1;
    if (auto* s = std::get_if<std::string>(&v)) {
      if (*s == "t" || *s == "true" || *s == "1") return true;
      if (*s == "f" || *s == "false" || *s == "0") return false;
    }
    detail::type_mismatch(v, "bool");
  }
  static nlohmann::json to_json(bool b) { return b; }
  static bool from_json(const nlohmann::json& j) {
    if (j.is_boolean()) return j.get<bool>();
    if (j.is_number_integer() && (j.get<std::int64_t>() == 0 || j.get<std::int64_t>() == 1))
      return j.get<std::int64_t>() == 1;
    detail::json_mismatch(j, "bool");
  }
};

template <typename I>
  requires(std::integral<I> && !std::same_as<I, bool> && !std::same_as<I, char>)
struct field_traits<I> {
  static Value to_value(I i) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
      if (i > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        detail::type_mismatch(Value{std::to_string(i)}, "a 64-bit signed integer");
    }
    return static_cast<std::int64_t>(i);
  }
  static I from_value(const Value& v) {
    std::int64_t n = 0;
    if (auto* i = std::get_if<std::int64_t>(&v)) {
      n = *i;
    } else if (auto* d = std::get_if<double>(&v); d && std::trunc(*d) == *d && std::isfinite(*d)) {
      n = static_cast<std::int64_t>(*d);
    } else if (auto* b = std::get_if<bool>(&v)) {
      n = *b ? 1 : 0;
    } else if (auto* s = std::get_if<std::string>(&v)) {
      // numeric / decimal columns arrive as text
      auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
      if (ec != std::errc() || end != s->data() + s->size()) detail::type_mismatch(v, name());
    } else {
      detail::type_mismatch(v, name());
    }
    if (!in_range(n)) detail::type_mismatch(v, name());
    return static_cast<I>(n);
  }
  static nlohmann::json to_json(I i) { return i; }
  static I from_json(const nlohmann::json& j) {
    if (j.is_number_integer()) {
      if constexpr (std::is_unsigned_v<I>) {
        if (j.is_number_unsigned()) {
          auto u = j.get<std::uint64_t>();
          if (u <= std::numeric_limits<I>::max()) return static_cast<I>(u);
          detail::json_mismatch(j, name());
        }
      }
      auto n = j.get<std::int64_t>();
      if (in_range(n)) return static_cast<I>(n);
    } else if (j.is_number_float()) {
      double d = j.get<double>();
      if (std::trunc(d) == d && std::isfinite(d)) {
        auto n = static_cast<std::int64_t>(d);
        if (in_range(n)) return static_cast<I>(n);
      }
    }
    detail::json_mismatch(j, name());
  }

 private:
  static constexpr const char* name() {
    return sizeof(I) <= 4 ? "a 32-bit integer" : "a 64-bit integer";
  }
  static bool in_range(std::int64_t n) {
    if constexpr (std::is_signed_v<I>) {
      return n >= static_cast<std::int64_t>(std::numeric_limits<I>::min()) &&
             n <= static_cast<std::int64_t>(std::numeric_limits<I>::max());
    } else {
      return n >= 0 && static_cast<std::uint64_t>(n) <= std::numeric_limits<I>::max();
    }
  }
};

template <std::floating_point F>
struct field_traits<F> {
  static Value to_value(F f) { return static_cast<double>(f); }
  static F from_value(const Value& v) {
    if (auto* d = std::get_if<double>(&v)) return static_cast<F>(*d);
    if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<F>(*i);
    if (auto* s = std::get_if<std::string>(&v)) {
      // numeric columns arrive as text; strtod also reads NaN / Infinity
      char* end = nullptr;
      double d = std::strtod(s->c_str(), &end);
      if (!s->empty() && end == s->c_str() + s->size()) return static_cast<F>(d);
    }
    detail::type_mismatch(v, "a number");
  }
  static nlohmann::json to_json(F f) { return f; }
  static F from_json(const nlohmann::json& j) {
    if (j.is_number()) return j.get<F>();
    detail::json_mismatch(j, "a number");
  }
};

}  // namespace switchyard

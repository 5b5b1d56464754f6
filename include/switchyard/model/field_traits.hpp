// How a C++ field type travels to and from the database and JSON.
//
// `field_traits<T>` is specialised per type family (field_traits_numeric.hpp, _string, _optional,
// _chrono, _json), in the style of taopq's parameter/result traits. A specialisation provides:
//
//   static Value to_value(const T&);              // what is bound for the column
//   static T from_value(const Value&);            // from what a driver returned; throws TypeMismatch
//   static nlohmann::json to_json(const T&);      // for attributes()
//   static T from_json(const nlohmann::json&);    // for assign_attributes(); throws TypeMismatch
//
// SOCI 4.0.3 has no bool, no std::optional and mis-casts 64-bit integers in rows; none of that
// reaches a model: drivers produce Values, and these traits do every conversion, checked.
// Users can specialise field_traits for their own types (an enum stored as text, a strong id).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>

#include "switchyard/model/errors.hpp"
#include "switchyard/value.hpp"

namespace switchyard {

template <typename T, typename Enable = void>
struct field_traits;  // no generic definition: an unsupported field type fails to compile

template <typename T>
concept FieldType = requires(const T& t, const Value& v, const nlohmann::json& j) {
  { field_traits<T>::to_value(t) } -> std::same_as<Value>;
  { field_traits<T>::from_value(v) } -> std::same_as<T>;
  { field_traits<T>::to_json(t) } -> std::same_as<nlohmann::json>;
  { field_traits<T>::from_json(j) } -> std::same_as<T>;
};

namespace detail {
// "text 'abc'" / "integer 5" for messages.
std::string describe(const Value& v);
[[noreturn]] void type_mismatch(const Value& v, std::string_view wanted);
[[noreturn]] void json_mismatch(const nlohmann::json& j, std::string_view wanted);
}  // namespace detail

}  // namespace switchyard

#include "switchyard/model/field_traits_chrono.hpp"
#include "switchyard/model/field_traits_json.hpp"
#include "switchyard/model/field_traits_numeric.hpp"
#include "switchyard/model/field_traits_optional.hpp"
#include "switchyard/model/field_traits_string.hpp"

namespace switchyard {

// A value given to a query (where("age > ?", 2), where(&Dog::name, "Rex")) as a Value: field
// types through their traits, string literals and views as text, nullptr/nullopt as NULL.
template <typename V>
Value to_bind_value(const V& v) {
  using D = std::decay_t<V>;
  if constexpr (std::is_same_v<D, Value>) {
    return v;
  } else if constexpr (std::is_same_v<D, std::nullptr_t> || std::is_same_v<D, std::nullopt_t>) {
    return nullptr;
  } else if constexpr (std::is_same_v<D, const char*> || std::is_same_v<D, char*> ||
                       std::is_same_v<D, std::string_view>) {
    return std::string(v);
  } else {
    static_assert(FieldType<D>, "no switchyard::field_traits for this query value type");
    return field_traits<D>::to_value(v);
  }
}

}  // namespace switchyard

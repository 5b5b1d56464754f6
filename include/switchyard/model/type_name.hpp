// Class names without RTTI: the compiler's spelling of a type, taken from __PRETTY_FUNCTION__
// (g++ and clang), plus the Rails-style names derived from it (class name, table name).
#pragma once

#include <string>
#include <string_view>

namespace switchyard::detail {

template <typename T>
constexpr std::string_view pretty_function() {
  return __PRETTY_FUNCTION__;
}

// "ns::Dog" for T = ns::Dog. g++: "... [with T = ns::Dog; ...]"; clang: "... [T = ns::Dog]".
template <typename T>
constexpr std::string_view type_name() {
  constexpr std::string_view text = pretty_function<T>();
  constexpr std::string_view marker = "T = ";
  constexpr auto start = text.find(marker) + marker.size();
  constexpr auto end = text.find_first_of(";]", start);
  return text.substr(start, end - start);
}

// The last component: "Dog" for "app::models::Dog" (template arguments kept whole).
std::string unqualified_name(std::string_view qualified);
// Rails' tableize: "Dog" -> "dogs", "DogToy" -> "dog_toys", "Category" -> "categories".
std::string tableize(std::string_view class_name);
// Rails' humanize for attribute names in messages: "created_at" -> "Created at".
std::string humanize(std::string_view column);

}  // namespace switchyard::detail

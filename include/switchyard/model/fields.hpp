// Typed field declarations: which members of a model are columns, and what they are called.
//
//   static constexpr auto fields = sy::fields(&Dog::id, "id", &Dog::name, "name", &Dog::age, "age");
//
// Pairs of (pointer to member, column name). Every member type needs a field_traits
// specialisation (a type without one fails to compile here, naming the type).
#pragma once

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "switchyard/model/field_traits.hpp"

namespace switchyard {

template <typename Class, typename Member>
struct Field {
  using class_type = Class;
  using member_type = Member;
  Member Class::*pointer;
  const char* column;
};

namespace detail {

template <typename T>
struct member_pointer_parts;
template <typename C, typename M>
struct member_pointer_parts<M C::*> {
  using class_type = C;
  using member_type = M;
};

template <typename C, typename M>
constexpr Field<C, M> make_field(M C::*pointer, const char* column) {
  static_assert(!std::is_function_v<M>, "sy::fields: expected a pointer to a data member");
  static_assert(FieldType<M>, "sy::fields: no switchyard::field_traits for this member's type");
  return Field<C, M>{pointer, column};
}

template <typename Tuple, std::size_t... I>
constexpr auto make_fields(const Tuple& args, std::index_sequence<I...>) {
  return std::make_tuple(make_field(std::get<2 * I>(args), std::get<2 * I + 1>(args))...);
}

}  // namespace detail

template <typename... Args>
constexpr auto fields(Args... args) {
  static_assert(sizeof...(Args) % 2 == 0 && sizeof...(Args) > 0,
                "sy::fields takes pairs: (&T::member, \"column\", ...)");
  return detail::make_fields(std::make_tuple(args...),
                             std::make_index_sequence<sizeof...(Args) / 2>{});
}

}  // namespace switchyard

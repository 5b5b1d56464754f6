// What the model layer knows about a model class at run time (table, columns, primary key), and
// the field-level plumbing between records, Values, rows and JSON. Internal to the model layer,
// but stable enough for mixins (the Syncable concern reads ModelInfo to write a record elsewhere).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "switchyard/errors.hpp"
#include "switchyard/model/field_traits.hpp"
#include "switchyard/model/fields.hpp"
#include "switchyard/model/type_name.hpp"
#include "switchyard/model/validation_errors.hpp"
#include "switchyard/result.hpp"

namespace switchyard {

struct ModelInfo {
  std::string name;         // "Dog": T::class_name, else the unqualified type name
  std::string table;        // T::table, else tableize(name)
  std::string primary_key;  // T::primary_key, else "id"
  std::vector<std::string> columns;  // in declaration order
  std::size_t primary_key_index = 0;
  bool primary_key_integral = false;  // assigned by the database when 0 on create
  std::optional<std::size_t> created_at;  // timestamp fields maintained on create / update
  std::optional<std::size_t> updated_at;
  // Instrumentation names: "Dog Load", "Dog Create", ...
  std::string load_event, create_event, update_event, destroy_event, count_event, exists_event,
      pluck_event, update_all_event, delete_all_event;

  std::optional<std::size_t> index_of(std::string_view column) const {
    auto it = index_.find(std::string(column));
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }
  void build_index() {
    index_.clear();
    for (std::size_t i = 0; i < columns.size(); ++i) index_.emplace(columns[i], i);
  }

 private:
  std::unordered_map<std::string, std::size_t> index_;
};

// Per-record state the model layer keeps next to the user's fields.
struct RecordState {
  bool persisted = false;
  bool destroyed = false;
  std::vector<Value> snapshot{};  // field values as last loaded or saved (empty: never)
  Errors errors{};
};

namespace detail {

template <typename T>
using fields_tuple_t = std::decay_t<decltype(T::fields)>;
template <typename T>
inline constexpr std::size_t field_count_v = std::tuple_size_v<fields_tuple_t<T>>;

// fn(std::integral_constant<size_t, I>, const Field<C, M>&) for each field, in order.
template <typename T, typename Fn>
void for_each_field(Fn&& fn) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (fn(std::integral_constant<std::size_t, I>{}, std::get<I>(T::fields)), ...);
  }(std::make_index_sequence<field_count_v<T>>{});
}

// fn(const Field<C, M>&) for the field at a run-time index.
template <typename T, typename Fn>
void with_field(std::size_t index, Fn&& fn) {
  for_each_field<T>([&](auto i, const auto& field) {
    if (i == index) fn(field);
  });
}

constexpr bool same_text(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

template <typename T>
constexpr const char* primary_key_of() {
  if constexpr (requires { T::primary_key; })
    return T::primary_key;
  else
    return "id";
}

template <typename T>
constexpr auto column_array() {
  return std::apply(
      [](const auto&... f) { return std::array<const char*, sizeof...(f)>{f.column...}; },
      T::fields);
}

template <typename T>
constexpr bool has_column(const char* column) {
  for (const char* c : column_array<T>())
    if (same_text(c, column)) return true;
  return false;
}

template <typename T>
constexpr bool columns_unique() {
  constexpr auto columns = column_array<T>();
  for (std::size_t i = 0; i < columns.size(); ++i)
    for (std::size_t j = i + 1; j < columns.size(); ++j)
      if (same_text(columns[i], columns[j])) return false;
  return true;
}

template <typename M>
struct unwrap_optional {
  using type = M;
};
template <typename U>
struct unwrap_optional<std::optional<U>> {
  using type = U;
};
template <typename M>
using unwrap_optional_t = typename unwrap_optional<M>::type;

template <typename M>
inline constexpr bool is_timestamp_v = requires(M m) { m.time_since_epoch(); };

[[noreturn]] void unknown_member(std::string_view model);
[[noreturn]] void mismatch_in(std::string_view model, std::string_view column, const std::exception& e);

template <typename T>
ModelInfo build_model_info() {
  ModelInfo info;
  if constexpr (requires { T::class_name; })
    info.name = std::string(T::class_name);
  else
    info.name = unqualified_name(type_name<T>());
  if constexpr (requires { T::table; })
    info.table = std::string(T::table);
  else
    info.table = tableize(info.name);
  info.primary_key = primary_key_of<T>();
  for_each_field<T>([&](auto i, const auto& field) {
    using M = typename std::decay_t<decltype(field)>::member_type;
    info.columns.emplace_back(field.column);
    const std::string_view column = field.column;
    if (column == info.primary_key) {
      info.primary_key_index = i;
      info.primary_key_integral = std::is_integral_v<unwrap_optional_t<M>>;
    }
    if constexpr (is_timestamp_v<unwrap_optional_t<M>>) {
      if (column == "created_at") info.created_at = i;
      if (column == "updated_at") info.updated_at = i;
    }
  });
  info.build_index();
  for (auto [member, suffix] : {std::pair{&ModelInfo::load_event, " Load"},
                                {&ModelInfo::create_event, " Create"},
                                {&ModelInfo::update_event, " Update"},
                                {&ModelInfo::destroy_event, " Destroy"},
                                {&ModelInfo::count_event, " Count"},
                                {&ModelInfo::exists_event, " Exists?"},
                                {&ModelInfo::pluck_event, " Pluck"},
                                {&ModelInfo::update_all_event, " Update All"},
                                {&ModelInfo::delete_all_event, " Delete All"}})
    info.*member = info.name + suffix;
  return info;
}

template <typename T>
const ModelInfo& model_info() {
  static_assert(field_count_v<T> > 0, "a model declares its fields: static constexpr auto fields = sy::fields(...)");
  static_assert(has_column<T>(primary_key_of<T>()),
                "the primary key (T::primary_key, default \"id\") must be one of T::fields");
  static_assert(columns_unique<T>(), "two fields of T::fields name the same column");
  static const ModelInfo info = build_model_info<T>();
  return info;
}

// The field index of a member pointer, if it is one of T::fields.
template <typename T, typename C, typename M>
std::optional<std::size_t> field_index(M C::*member) {
  std::optional<std::size_t> out;
  for_each_field<T>([&](auto i, const auto& field) {
    if constexpr (std::is_same_v<decltype(field.pointer), M C::*>)
      if (field.pointer == member) out = i;
  });
  return out;
}

template <typename T, typename C, typename M>
const std::string& column_of(M C::*member) {
  auto i = field_index<T>(member);
  if (!i) unknown_member(model_info<T>().name);
  return model_info<T>().columns[*i];
}

template <typename T>
std::vector<Value> values_of(const T& record) {
  std::vector<Value> out;
  out.reserve(field_count_v<T>);
  for_each_field<T>([&](auto, const auto& field) {
    using M = typename std::decay_t<decltype(field)>::member_type;
    out.push_back(field_traits<M>::to_value(record.*field.pointer));
  });
  return out;
}

template <typename T>
Value value_at(const T& record, std::size_t index) {
  Value out;
  with_field<T>(index, [&](const auto& field) {
    using M = typename std::decay_t<decltype(field)>::member_type;
    out = field_traits<M>::to_value(record.*field.pointer);
  });
  return out;
}

template <typename T>
void assign_value(T& record, std::size_t index, const Value& value) {
  with_field<T>(index, [&](const auto& field) {
    using M = typename std::decay_t<decltype(field)>::member_type;
    try {
      record.*field.pointer = field_traits<M>::from_value(value);
    } catch (const TypeMismatch& e) {
      mismatch_in(model_info<T>().name, field.column, e);
    }
  });
}

// For each result column, the field it fills (nullopt: not a field, ignored).
template <typename T>
std::vector<std::optional<std::size_t>> column_mapping(const Result& result) {
  const auto& info = model_info<T>();
  std::vector<std::optional<std::size_t>> out;
  out.reserve(result.columns.size());
  for (const auto& c : result.columns) out.push_back(info.index_of(c));
  return out;
}

template <typename T>
void assign_row(T& record, const Result::Row& row,
                const std::vector<std::optional<std::size_t>>& mapping) {
  for (std::size_t c = 0; c < row.size() && c < mapping.size(); ++c)
    if (mapping[c]) assign_value(record, *mapping[c], row[c]);
}

}  // namespace detail
}  // namespace switchyard

// Connection classes in C++: sy::Base<T> is ActiveRecord's abstract class, sy::Record is
// ActiveRecord::Base itself.
//
//   struct AnimalsRecord : sy::Base<AnimalsRecord> {
//     static inline const auto connection =
//         sy::connects_to({.writing = "animals", .reading = "animals_replica"});
//   };
//   AnimalsRecord::connected_to({.role = sy::reading}, [] { ... });
//
// `T::connection` (a ConnectsTo from sy::connects_to / sy::connects_to_shards) is optional: an
// abstract class without it shares its parent's pools (Rails: a class that never connected
// inherits the connection name). The runtime descriptor (ConnectionClass) is built on first use
// and named `T::class_name` when declared, else the compiler's spelling of the type.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include "switchyard/context/connection_class.hpp"
#include "switchyard/context/connection_handling.hpp"
#include "switchyard/model/transaction.hpp"
#include "switchyard/model/type_name.hpp"

namespace switchyard {

struct Record;

namespace detail {

template <typename...>
inline constexpr bool dependent_false = false;

template <typename T>
std::string class_name_of() {
  if constexpr (requires { T::class_name; })
    return std::string(T::class_name);
  else
    return std::string(type_name<T>());
}

// `?` placeholders become $1..$N; SQL already written with $N passes unchanged.
std::string number_raw_placeholders(std::string_view sql, std::size_t binds);

}  // namespace detail

// Parent: the abstract class this one inherits its connection from (sy::Record: the base).
template <typename T, typename Parent = Record>
struct Base {
  // The runtime descriptor: abstract, parent = Parent's, connects_to = T::connection if declared.
  static const ConnectionClass& connection_class() {
    if constexpr (std::is_same_v<T, Record>) {
      return ConnectionClass::base();
    } else {
      static const ConnectionClass descriptor(detail::class_name_of<T>(), &parent_class(), true,
                                              declared_connects_to());
      return descriptor;
    }
  }
  static const std::string& connection_specification_name() {
    return connection_class().connection_specification_name();
  }

  // Role / shard switching for the models of this class (and, on sy::Record, for all).
  template <typename Fn>
  static decltype(auto) connected_to(const ConnectedToOptions& options, Fn&& fn) {
    return switchyard::connected_to(connection_class(), options, std::forward<Fn>(fn));
  }
  // RAII form: `auto scope = AnimalsRecord::connected_to_scope({.role = sy::reading});`
  static ConnectedToScope connected_to_scope(const ConnectedToOptions& options) {
    return ConnectedToScope(connection_class(), options);
  }
  // Rails' while_preventing_writes for this class's connection class: writes refused (or, with
  // `enabled == false`, allowed again), every class keeps its role and shard.
  template <typename Fn>
  static decltype(auto) while_preventing_writes(Fn&& fn) {
    return switchyard::while_preventing_writes(connection_class(), true, std::forward<Fn>(fn));
  }
  template <typename Fn>
  static decltype(auto) while_preventing_writes(bool enabled, Fn&& fn) {
    return switchyard::while_preventing_writes(connection_class(), enabled, std::forward<Fn>(fn));
  }

  static std::string current_role() { return switchyard::current_role(connection_class()); }
  static std::string current_shard() { return switchyard::current_shard(connection_class()); }
  static bool current_preventing_writes() {
    return switchyard::current_preventing_writes(connection_class());
  }
  // Without a shard, the class's own default shard (its first declared one) is compared.
  static bool is_connected_to(const std::string& role,
                              const std::optional<std::string>& shard = std::nullopt) {
    return switchyard::is_connected_to(connection_class(), role, shard);
  }

  // The connection the class uses now (Rails 7.2's lease_connection). Held by this thread until
  // the Lease ends; a transaction of the class on this thread uses the same connection.
  static Lease lease_connection() { return switchyard::lease_connection(connection_class()); }

  template <typename Fn>
  static auto transaction(Fn&& fn, TransactionOptions options = {}) {
    return switchyard::transaction(connection_class(), std::forward<Fn>(fn), options);
  }

  // Raw SQL on the class's current connection, through the instrumented, guarded path. `?` or
  // $N placeholders; values are bound.
  static Result execute(std::string_view sql, std::initializer_list<Value> binds = {},
                        std::string_view name = "SQL") {
    const std::string text = detail::number_raw_placeholders(sql, binds.size());
    return switchyard::execute(connection_class(), text,
                               std::span<const Value>(binds.begin(), binds.size()),
                               ExecOptions{.name = name});
  }

 private:
  static const ConnectionClass& parent_class() {
    static_assert(!std::is_same_v<Parent, T>, "a connection class cannot be its own parent");
    return Parent::connection_class();
  }
  static std::optional<ConnectsTo> declared_connects_to() {
    if constexpr (requires { T::connection; }) {
      static_assert(std::is_convertible_v<decltype(T::connection), ConnectsTo>,
                    "T::connection must be sy::connects_to(...) or sy::connects_to_shards(...)");
      return ConnectsTo(T::connection);
    } else {
      return std::nullopt;
    }
  }
};

// ActiveRecord::Base: the primary database. Record::connected_to switches every class.
struct Record : Base<Record> {};

}  // namespace switchyard

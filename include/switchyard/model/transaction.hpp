// Transactions on the connection a connection class uses now (Rails' Model.transaction).
//
//   Dog::transaction([&] { rex.age = 4; rex.save(); });      // BEGIN ... COMMIT on animals
//
// - The block runs on the connection `klass` resolves to now (role and shard included); the lease
//   is held for the whole block, so every statement of the class inside it uses that connection.
// - Nested calls on the same connection open a SAVEPOINT (requires_new = true, the default);
//   with requires_new = false a nested call joins the enclosing transaction.
// - An exception rolls the level back and propagates. Throwing sy::Rollback{} rolls back only
//   the level it is thrown in and is swallowed by the `transaction` call that opened the level
//   (in a joined call it rolls back the enclosing level that owns it).
// - Different databases never share a transaction: A::transaction([]{ B::transaction(...); })
//   are two independent transactions with no two-phase commit (rails-multidb-spec §1.9).
// - Returns true (committed) / false (rolled back by sy::Rollback) for a void block; for a block
//   returning R, std::optional<R> (nullopt when rolled back).
#pragma once

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "switchyard/connection/connection.hpp"
#include "switchyard/context/connection_handling.hpp"
#include "switchyard/model/errors.hpp"

namespace switchyard {

struct TransactionOptions {
  bool requires_new = true;  // nested: a savepoint (false: join the enclosing transaction)
};

namespace detail {
// Rolls back without letting a second failure hide the first.
void rollback_quietly(Connection& connection) noexcept;
}  // namespace detail

template <typename Fn>
auto transaction(const ConnectionClass& klass, Fn&& fn, TransactionOptions options = {}) {
  using R = std::invoke_result_t<Fn&>;
  using Out = std::conditional_t<std::is_void_v<R>, bool, std::optional<std::decay_t<R>>>;
  Lease lease = lease_connection(klass);
  Connection& connection = *lease;
  if (connection.transaction_depth() > 0 && !options.requires_new) {
    if constexpr (std::is_void_v<R>) {
      fn();
      return Out{true};
    } else {
      return Out{fn()};
    }
  }
  connection.begin_transaction();
  try {
    if constexpr (std::is_void_v<R>) {
      fn();
      connection.commit_transaction();
      return Out{true};
    } else {
      Out out{fn()};
      connection.commit_transaction();
      return out;
    }
  } catch (const Rollback&) {
    connection.rollback_transaction();
    return Out{};
  } catch (...) {
    detail::rollback_quietly(connection);
    throw;
  }
}

}  // namespace switchyard

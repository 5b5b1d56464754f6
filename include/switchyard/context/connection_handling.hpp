// Role and shard switching (Rails' ConnectionHandling + the resolution rules of core.rb, spec
// §1.4-1.5): a per-thread stack of connected-to frames, and how a connection class resolves its
// current role, shard and prevent_writes from it.
//
// A frame pushed on the base class applies to every class; a frame pushed on a connection class
// applies to the classes whose connection class it is. For each of role, shard and
// prevent_writes independently, the newest applicable frame that sets it wins. The reading role
// forces prevent_writes. Every exit, also by exception, restores the previous state exactly.
#pragma once

#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "switchyard/connection/connection_handler.hpp"
#include "switchyard/context/connection_class.hpp"

namespace switchyard {

class DatabaseConfigurations;

struct ConnectedToOptions {
  std::optional<std::string> role{};
  std::optional<std::string> shard{};
  bool prevent_writes = false;
};

// One frame of the connected-to stack.
struct ConnectedToFrame {
  std::optional<std::string> role;
  std::optional<std::string> shard;
  std::optional<bool> prevent_writes;
  std::vector<const ConnectionClass*> classes;
};

// ---- Establishing ------------------------------------------------------------------------

// Makes `configs` (for environment `env`, default: the one `configs` was loaded for) the source
// of every pool: pools are created lazily when a connection class first needs one, at the key
// (connection name, role, shard) its connects_to declares. Installs the write guard on every
// pool. Replaces an earlier establish (existing pools are removed). Throws ConfigurationError
// ("environment 'x' is not configured; available environments: ...") for an environment
// `configs` does not have.
void establish(const DatabaseConfigurations& configs, std::string env = "");
ConnectionHandler& connection_handler();

// ---- Resolution ---------------------------------------------------------------------------

std::string current_role(const ConnectionClass& klass);
std::string current_shard(const ConnectionClass& klass);
bool current_preventing_writes(const ConnectionClass& klass);
// The pool key `klass` uses now.
PoolKey current_pool_key(const ConnectionClass& klass);
// Leases the connection `klass` uses now (throws ConnectionNotEstablished when there is none).
Lease lease_connection(const ConnectionClass& klass);

// ---- Switching ----------------------------------------------------------------------------

// Pushes a frame for `on` and pops it when destroyed. Validates like Rails: the receiver must be
// the base or an abstract connection class; a role or a shard is required; a shard may not change
// while swapping is prohibited. Every check runs before anything is pushed, so a refused scope
// leaves the caller's state untouched. `prevent_writes` is forced on for the reading role (an
// explicit `false` is ignored, as in Rails). A shard-only switch (no role) without
// `prevent_writes` inherits prevent_writes from the outer frames (Rails resets it to false).
//
// Scopes are bound to the thread that made them and must be destroyed in reverse order of
// construction on that thread (a destroyed scope also drops anything pushed above it, e.g. by
// connecting_to).
class ConnectedToScope {
 public:
  ConnectedToScope(const ConnectionClass& on, const ConnectedToOptions& options);
  ~ConnectedToScope();
  ConnectedToScope(const ConnectedToScope&) = delete;
  ConnectedToScope& operator=(const ConnectedToScope&) = delete;

 private:
  friend class ConnectedToManyScope;
  friend class WhilePreventingWritesScope;
  struct Pushed {};
  ConnectedToScope(Pushed, std::size_t depth) : depth_(depth) {}
  std::size_t depth_;
};

namespace detail {
// A query built in a scope runs in that scope. Two hooks for result types:
//  * a lazy, caching result (`void load()` that fills it, `bool loaded() const`) is loaded before
//    the scope ends, as Rails loads a Relation returned from the block;
//  * a lazy query that caches nothing (declares `using lazy_query_tag = void;`, as a Relation
//    that runs whenever it is iterated does) cannot be returned from a scope at all: it would run
//    later, outside the scope. Return its loaded result (`.all()`) instead.
template <typename T>
concept LoadsInScope = requires(T& value, const T& cvalue) {
  { value.load() } -> std::same_as<void>;
  { cvalue.loaded() } -> std::convertible_to<bool>;
};
template <typename T>
concept LazyQuery = requires { typename T::lazy_query_tag; };

template <typename Fn>
decltype(auto) run_in_scope(Fn&& fn) {
  using R = std::invoke_result_t<Fn>;
  static_assert(!LazyQuery<std::remove_cvref_t<R>>,
                "returning an unloaded query from a connected_to block would run it outside the "
                "scope: return its result (e.g. .all()) from inside the block");
  if constexpr (!std::is_void_v<R> && !std::is_reference_v<R> && LoadsInScope<R>) {
    R result = std::forward<Fn>(fn)();
    if (!result.loaded()) result.load();
    return result;
  } else {
    return std::forward<Fn>(fn)();
  }
}
}  // namespace detail

template <typename Fn>
decltype(auto) connected_to(const ConnectionClass& on, const ConnectedToOptions& options, Fn&& fn) {
  ConnectedToScope scope(on, options);
  return detail::run_in_scope(std::forward<Fn>(fn));
}
// On the base class: global.
template <typename Fn>
decltype(auto) connected_to(const ConnectedToOptions& options, Fn&& fn) {
  return connected_to(ConnectionClass::base(), options, std::forward<Fn>(fn));
}

// connected_to_many: one frame for several connection classes (Rails 6.1+). Only on the base
// class, and the classes must not include the base (NotImplementedError "connected_to_many can
// only be called on ActiveRecord::Base."). A role is required (ArgumentError "missing keyword:
// :role"). Each class must be a connection class (switchyard refuses a model class, which Rails
// silently ignores).
class ConnectedToManyScope {
 public:
  ConnectedToManyScope(const ConnectionClass& on, std::vector<const ConnectionClass*> classes,
                       const ConnectedToOptions& options);
  ConnectedToManyScope(std::vector<const ConnectionClass*> classes, const ConnectedToOptions& options)
      : ConnectedToManyScope(ConnectionClass::base(), std::move(classes), options) {}
  ConnectedToManyScope(const ConnectedToManyScope&) = delete;
  ConnectedToManyScope& operator=(const ConnectedToManyScope&) = delete;

 private:
  ConnectedToScope scope_;
};

template <typename Fn>
decltype(auto) connected_to_many(std::vector<const ConnectionClass*> classes,
                                 const ConnectedToOptions& options, Fn&& fn) {
  ConnectedToManyScope scope(std::move(classes), options);
  return detail::run_in_scope(std::forward<Fn>(fn));
}
// With an explicit receiver, to reproduce Rails' receiver check.
template <typename Fn>
decltype(auto) connected_to_many(const ConnectionClass& on,
                                 std::vector<const ConnectionClass*> classes,
                                 const ConnectedToOptions& options, Fn&& fn) {
  ConnectedToManyScope scope(on, std::move(classes), options);
  return detail::run_in_scope(std::forward<Fn>(fn));
}

// connecting_to: pushes a frame for `on` and never pops it (boot and console use). The role
// defaults to writing and the shard to `on`'s default shard; the reading role forces
// prevent_writes. The frame lives on the calling thread's stack only (as in Rails), and a scope
// that encloses the call drops it when the scope ends (Rails would leave it and pop the scope's
// own frame instead).
void connecting_to(const ConnectionClass& on, const ConnectedToOptions& options = {});
inline void connecting_to(const ConnectedToOptions& options = {}) {
  connecting_to(ConnectionClass::base(), options);
}

// while_preventing_writes: prevent (or, with `enabled == false`, allow) writes for `on`'s
// classes — globally on the base class. Unlike Rails, it pushes a frame that sets only
// prevent_writes, so every class keeps its role and shard (Rails pushes a global frame with the
// base's role, which moves classes switched to reading back to writing). The reading role keeps
// preventing writes even with `enabled == false`.
class WhilePreventingWritesScope {
 public:
  explicit WhilePreventingWritesScope(bool enabled = true)
      : WhilePreventingWritesScope(ConnectionClass::base(), enabled) {}
  WhilePreventingWritesScope(const ConnectionClass& on, bool enabled = true);
  WhilePreventingWritesScope(const WhilePreventingWritesScope&) = delete;
  WhilePreventingWritesScope& operator=(const WhilePreventingWritesScope&) = delete;

 private:
  ConnectedToScope scope_;
};

template <typename Fn>
decltype(auto) while_preventing_writes(bool enabled, Fn&& fn) {
  WhilePreventingWritesScope scope(enabled);
  return detail::run_in_scope(std::forward<Fn>(fn));
}
template <typename Fn>
decltype(auto) while_preventing_writes(Fn&& fn) {
  return while_preventing_writes(true, std::forward<Fn>(fn));
}
template <typename Fn>
decltype(auto) while_preventing_writes(const ConnectionClass& on, bool enabled, Fn&& fn) {
  WhilePreventingWritesScope scope(on, enabled);
  return detail::run_in_scope(std::forward<Fn>(fn));
}

// prohibit_shard_swapping: while set (per thread, for every class), any switch that names a
// shard — connected_to, connected_to_many, connecting_to — throws ArgumentError "cannot swap
// `shard` while shard swapping is prohibited.", even to the current shard. Role switches work.
class ProhibitShardSwappingScope {
 public:
  explicit ProhibitShardSwappingScope(bool enabled = true);
  ~ProhibitShardSwappingScope();
  ProhibitShardSwappingScope(const ProhibitShardSwappingScope&) = delete;
  ProhibitShardSwappingScope& operator=(const ProhibitShardSwappingScope&) = delete;

 private:
  bool previous_;
};

template <typename Fn>
decltype(auto) prohibit_shard_swapping(bool enabled, Fn&& fn) {
  ProhibitShardSwappingScope scope(enabled);
  return std::forward<Fn>(fn)();
}
template <typename Fn>
decltype(auto) prohibit_shard_swapping(Fn&& fn) {
  return prohibit_shard_swapping(true, std::forward<Fn>(fn));
}
bool shard_swapping_prohibited();

// Rails' connected_to?(role:, shard:): current_role == role and current_shard == shard for `on`.
// Without a shard, `on`'s own default shard is compared (Rails compares Base's default shard, so
// a class whose first shard is not "default" is never "connected to" its default).
bool is_connected_to(const ConnectionClass& on, const std::string& role,
                     const std::optional<std::string>& shard = std::nullopt);

// The current thread's stack, oldest first (for capture and tests).
const std::vector<ConnectedToFrame>& connected_to_stack();
// Empties this thread's stack and clears the shard-swapping flag (tests, console `reload!`).
// Scopes still open on this thread then restore nothing above what remains.
void clear_connected_to_stack();

// ---- The statement entry point --------------------------------------------------------------

// Runs one statement for `klass` on the connection it uses now. The model layer sends every
// statement through here; proxy-mode routing replaces the pool choice (see routing/).
Result execute(const ConnectionClass& klass, std::string_view sql, std::span<const Value> binds,
               const ExecOptions& options = {});
inline Result execute(const ConnectionClass& klass, std::string_view sql,
                      std::initializer_list<Value> binds = {}, const ExecOptions& options = {}) {
  return execute(klass, sql, std::span<const Value>(binds.begin(), binds.size()), options);
}

// Proxy routing hook: runs the statement itself (the routing layer picks the node, retries a read
// elsewhere and acts after a commit) and returns its result, or returns nullopt to leave the
// statement to the default, role-based choice. Installed by routing::install.
using StatementExecutor = std::function<std::optional<Result>(
    const ConnectionClass&, std::string_view sql, std::span<const Value> binds,
    const ExecOptions& options)>;
void set_statement_executor(StatementExecutor executor);

}  // namespace switchyard

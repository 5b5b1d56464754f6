// Role and shard switching (Rails' ConnectionHandling + the resolution rules of core.rb, spec
// §1.4-1.5): a per-thread stack of connected-to frames, and how a connection class resolves its
// current role, shard and prevent_writes from it.
//
// A frame pushed on the base class applies to every class; a frame pushed on a connection class
// applies to the classes whose connection class it is. For each of role, shard and
// prevent_writes independently, the newest applicable frame that sets it wins. The reading role
// forces prevent_writes. Every exit, also by exception, restores the previous state exactly.
#pragma once

#include <functional>
#include <optional>
#include <string>
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

// Makes `configs` (for environment `env`, default: SWITCHYARD_ENV or development) the source of
// every pool: pools are created lazily when a connection class first needs one, at the key
// (connection name, role, shard) its connects_to declares. Installs the write guard on every
// pool. Replaces an earlier establish (existing pools are removed).
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
// while swapping is prohibited.
class ConnectedToScope {
 public:
  ConnectedToScope(const ConnectionClass& on, const ConnectedToOptions& options);
  ~ConnectedToScope();
  ConnectedToScope(const ConnectedToScope&) = delete;
  ConnectedToScope& operator=(const ConnectedToScope&) = delete;

 private:
  std::size_t depth_;
};

template <typename Fn>
decltype(auto) connected_to(const ConnectionClass& on, const ConnectedToOptions& options, Fn&& fn) {
  ConnectedToScope scope(on, options);
  return std::forward<Fn>(fn)();
}
// On the base class: global.
template <typename Fn>
decltype(auto) connected_to(const ConnectedToOptions& options, Fn&& fn) {
  return connected_to(ConnectionClass::base(), options, std::forward<Fn>(fn));
}

bool is_connected_to(const ConnectionClass& on, const std::string& role,
                     const std::string& shard = kDefaultShard);

// The current thread's stack, oldest first (for capture and tests).
const std::vector<ConnectedToFrame>& connected_to_stack();

// ---- The statement entry point --------------------------------------------------------------

// Runs one statement for `klass` on the connection it uses now. The model layer sends every
// statement through here; proxy-mode routing replaces the pool choice (see routing/).
Result execute(const ConnectionClass& klass, std::string_view sql, std::span<const Value> binds,
               const ExecOptions& options = {});

// Proxy routing hook: given the class and SQL, returns the lease to run it on (or an empty lease
// to use the default choice). Installed by the routing layer.
using StatementRouter = std::function<Lease(const ConnectionClass&, std::string_view sql,
                                            std::string& route_reason)>;
void set_statement_router(StatementRouter router);

// Full statement interception, consulted before the router: runs the statement itself (the
// routing layer needs to retry a read elsewhere and to act after a commit) and returns its
// result, or returns nullopt to leave the statement to the router / the default choice.
using StatementExecutor = std::function<std::optional<Result>(
    const ConnectionClass&, std::string_view sql, std::span<const Value> binds,
    const ExecOptions& options)>;
void set_statement_executor(StatementExecutor executor);

}  // namespace switchyard

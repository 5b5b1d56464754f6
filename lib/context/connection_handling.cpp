#include "switchyard/context/connection_handling.hpp"

#include <algorithm>
#include <memory>
#include <mutex>

#include "switchyard/config/database_configurations.hpp"
#include "switchyard/errors.hpp"

namespace switchyard {
namespace {

thread_local std::vector<ConnectedToFrame> stack;
thread_local bool shard_swapping_prohibited = false;

bool applies(const ConnectedToFrame& frame, const ConnectionClass& owner) {
  for (const auto* c : frame.classes)
    if (c->is_base() || c == &owner) return true;
  return false;
}

// Newest applicable frame that sets `field`, else nullptr.
template <typename Field>
const std::optional<Field>* newest(const ConnectionClass& klass,
                                   std::optional<Field> ConnectedToFrame::*field) {
  const auto& owner = klass.connection_class_for_self();
  for (auto it = stack.rbegin(); it != stack.rend(); ++it)
    if ((*it.*field).has_value() && applies(*it, owner)) return &(*it.*field);
  return nullptr;
}

struct Established {
  std::shared_ptr<const DatabaseConfigurations> configs;
  std::string env;
};
std::mutex established_mutex;
Established established;
StatementRouter statement_router;
StatementExecutor statement_executor;

std::shared_ptr<ConnectionPool> resolve_pool(ConnectionHandler& handler, const PoolKey& key) {
  Established e;
  {
    std::lock_guard lock(established_mutex);
    e = established;
  }
  if (!e.configs) return nullptr;
  const ConnectionClass* klass = ConnectionClass::find(key.connection_name);
  if (!klass) return nullptr;
  std::optional<std::string> database = klass->database_for(key.role, key.shard);
  if (!database && klass->is_base() && key.role == kWritingRole && key.shard == kDefaultShard) {
    auto primary = e.configs->primary(e.env);
    if (!primary) return nullptr;
    return handler.establish_connection(*primary, key);
  }
  if (!database) return nullptr;
  return handler.establish_connection(e.configs->resolve(*database), key);
}

}  // namespace

ConnectionHandler& connection_handler() { return ConnectionHandler::default_handler(); }

void establish(const DatabaseConfigurations& configs, std::string env) {
  auto& handler = connection_handler();
  ConnectionClass::base();  // registered before any pool asks for its owner
  static std::once_flag hooks;
  std::call_once(hooks, [&] {
    handler.set_pool_resolver(resolve_pool);
    // The pool's owner decides whether writes are prevented (Rails: pool.connection_class).
    handler.add_pool_initializer([](ConnectionPool& pool, const PoolKey& key) {
      const ConnectionClass* owner = ConnectionClass::find(key.connection_name);
      if (owner) pool.set_write_guard([owner] { return current_preventing_writes(*owner); });
    });
  });
  handler.remove_all();
  std::lock_guard lock(established_mutex);
  established.configs = std::make_shared<const DatabaseConfigurations>(configs);
  established.env = env.empty() ? configs.env() : std::move(env);
}

std::string current_role(const ConnectionClass& klass) {
  auto* role = newest(klass, &ConnectedToFrame::role);
  return role ? **role : std::string(kWritingRole);
}

std::string current_shard(const ConnectionClass& klass) {
  auto* shard = newest(klass, &ConnectedToFrame::shard);
  return shard ? **shard : klass.default_shard();
}

bool current_preventing_writes(const ConnectionClass& klass) {
  auto* prevent = newest(klass, &ConnectedToFrame::prevent_writes);
  return prevent ? **prevent : false;
}

PoolKey current_pool_key(const ConnectionClass& klass) {
  return PoolKey{klass.connection_specification_name(), current_role(klass), current_shard(klass)};
}

Lease lease_connection(const ConnectionClass& klass) {
  return connection_handler().retrieve_connection(current_pool_key(klass));
}

ConnectedToScope::ConnectedToScope(const ConnectionClass& on, const ConnectedToOptions& options) {
  if (!on.is_base() && !on.abstract())
    throw NotImplementedError(
        "calling `connected_to` is only allowed on ActiveRecord::Base or abstract classes.");
  if (!on.is_connection_class())
    throw NotImplementedError(
        "calling `connected_to` is only allowed on the abstract class that established the "
        "connection.");
  if (!options.role && !options.shard)
    throw ArgumentError("must provide a `shard` and/or `role`.");
  // Checked before anything is pushed: a refused swap leaves the caller's frames alone (Rails
  // 7.1/7.2.0 popped the caller's frame here).
  if (options.shard && shard_swapping_prohibited)
    throw ArgumentError("cannot swap `shard` while shard swapping is prohibited.");
  const bool prevent = options.prevent_writes || options.role == std::string(reading);
  stack.push_back(ConnectedToFrame{options.role, options.shard, prevent, {&on}});
  depth_ = stack.size();
}

ConnectedToScope::~ConnectedToScope() {
  // Scopes are strictly nested on one thread; restore exactly the depth we found.
  if (stack.size() >= depth_) stack.resize(depth_ - 1);
}

bool is_connected_to(const ConnectionClass& on, const std::string& role, const std::string& shard) {
  return current_role(on) == role && current_shard(on) == shard;
}

const std::vector<ConnectedToFrame>& connected_to_stack() { return stack; }

void set_statement_router(StatementRouter router) { statement_router = std::move(router); }
void set_statement_executor(StatementExecutor executor) {
  statement_executor = std::move(executor);
}

Result execute(const ConnectionClass& klass, std::string_view sql, std::span<const Value> binds,
               const ExecOptions& options) {
  if (statement_executor) {
    if (std::optional<Result> done = statement_executor(klass, sql, binds, options))
      return std::move(*done);
  }
  if (statement_router) {
    std::string reason;
    if (Lease routed = statement_router(klass, sql, reason)) {
      ExecOptions with_reason = options;
      with_reason.route_reason = reason;
      return routed->execute(sql, binds, with_reason);
    }
  }
  return lease_connection(klass)->execute(sql, binds, options);
}

}  // namespace switchyard

#include "switchyard/context/connection_handling.hpp"

#include <algorithm>
#include <memory>
#include <mutex>

#include "switchyard/config/database_configurations.hpp"
#include "switchyard/errors.hpp"
#include "thread_state.hpp"

namespace switchyard {
namespace {

thread_local std::vector<ConnectedToFrame> stack;
thread_local bool shard_swapping_prohibited_flag = false;

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
  // In the environment establish() was given, which may differ from the one the set was built for.
  if (auto config = e.configs->find(e.env, *database, /*include_hidden=*/true))
    return handler.establish_connection(*config, key);
  // Not there: resolve() throws with the databases available.
  return handler.establish_connection(e.configs->resolve(*database), key);
}

}  // namespace

namespace detail {
std::vector<ConnectedToFrame>& thread_stack() { return stack; }
bool& thread_shard_swapping_prohibited() { return shard_swapping_prohibited_flag; }
}  // namespace detail

ConnectionHandler& connection_handler() { return ConnectionHandler::default_handler(); }

void establish(const DatabaseConfigurations& configs, std::string env) {
  if (env.empty()) env = configs.env();
  // An environment the configuration does not have fails here, not at the first query.
  if (!configs.empty() && !configs.has_environment(env)) (void)configs.configs_for(env);
  auto& handler = connection_handler();
  ConnectionClass::base();  // registered before any pool asks for its owner
  static std::once_flag hooks;
  std::call_once(hooks, [&] {
    handler.set_pool_resolver(resolve_pool);
    // The pool's owner decides whether writes are prevented (Rails: pool.connection_class).
    handler.add_pool_initializer([](ConnectionPool& pool, const PoolKey& key) {
      const ConnectionClass* owner = ConnectionClass::find(key.connection_name);
      // A reading pool refuses writes whatever the stack says (a lease kept past its scope
      // included); other pools ask the owner's current state.
      if (key.role == kReadingRole)
        pool.set_write_guard([] { return true; });
      else if (owner)
        pool.set_write_guard([owner] { return current_preventing_writes(*owner); });
    });
  });
  handler.remove_all();
  std::lock_guard lock(established_mutex);
  established.configs = std::make_shared<const DatabaseConfigurations>(configs);
  established.env = std::move(env);
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
  // The reading role always prevents writes, whatever a newer frame says about prevent_writes
  // alone (a while_preventing_writes(false) inside a reading scope cannot open the replica).
  if (current_role(klass) == kReadingRole) return true;
  auto* prevent = newest(klass, &ConnectedToFrame::prevent_writes);
  return prevent ? **prevent : false;
}

PoolKey current_pool_key(const ConnectionClass& klass) {
  return PoolKey{klass.connection_specification_name(), current_role(klass), current_shard(klass)};
}

Lease lease_connection(const ConnectionClass& klass) {
  return connection_handler().retrieve_connection(current_pool_key(klass));
}

namespace {

void check_receiver(const ConnectionClass& on) {
  if (!on.is_base() && !on.abstract())
    throw NotImplementedError(
        "calling `connected_to` is only allowed on ActiveRecord::Base or abstract classes.");
  if (!on.is_connection_class())
    throw NotImplementedError(
        "calling `connected_to` is only allowed on the abstract class that established the "
        "connection.");
}

void check_shard_swap(const std::optional<std::string>& shard) {
  if (shard && shard_swapping_prohibited_flag)
    throw ArgumentError("cannot swap `shard` while shard swapping is prohibited.");
}

// The frame's prevent_writes: forced by the reading role; a frame without a role sets it only
// when asked to prevent (a shard-only switch inherits it).
std::optional<bool> frame_prevent_writes(const ConnectedToOptions& options) {
  if (options.role) return options.prevent_writes || *options.role == kReadingRole;
  if (options.prevent_writes) return true;
  return std::nullopt;
}

// Every check has run: push and return the new depth.
std::size_t push(ConnectedToFrame frame) {
  stack.push_back(std::move(frame));
  return stack.size();
}

std::size_t push_checked(const ConnectionClass& on, const ConnectedToOptions& options) {
  check_receiver(on);
  if (!options.role && !options.shard)
    throw ArgumentError("must provide a `shard` and/or `role`.");
  // Checked before anything is pushed: a refused swap leaves the caller's frames alone (Rails
  // 7.1/7.2.0 popped the caller's frame here).
  check_shard_swap(options.shard);
  return push(ConnectedToFrame{options.role, options.shard, frame_prevent_writes(options), {&on}});
}

std::size_t push_many(const ConnectionClass& on, std::vector<const ConnectionClass*> classes,
                      const ConnectedToOptions& options) {
  const bool has_base = std::any_of(classes.begin(), classes.end(),
                                    [](const ConnectionClass* c) { return c && c->is_base(); });
  if (!on.is_base() || has_base)
    throw NotImplementedError("connected_to_many can only be called on ActiveRecord::Base.");
  if (!options.role) throw ArgumentError("missing keyword: :role");
  for (const auto* c : classes) {
    if (!c) throw ArgumentError("connected_to_many: a class is null");
    if (!c->is_connection_class())
      throw ArgumentError("connected_to_many: `" + c->name() +
                          "` is not a connection class; pass `" +
                          c->connection_class_for_self().name() + "` (the class that declared "
                          "connects_to)");
  }
  check_shard_swap(options.shard);
  return push(ConnectedToFrame{options.role, options.shard, frame_prevent_writes(options),
                               std::move(classes)});
}

std::size_t push_preventing_writes(const ConnectionClass& on, bool enabled) {
  check_receiver(on);
  return push(ConnectedToFrame{std::nullopt, std::nullopt, enabled, {&on}});
}

}  // namespace

ConnectedToScope::ConnectedToScope(const ConnectionClass& on, const ConnectedToOptions& options)
    : depth_(push_checked(on, options)) {}

ConnectedToScope::~ConnectedToScope() {
  // Scopes are strictly nested on one thread; restore exactly the depth we found.
  if (stack.size() >= depth_) stack.resize(depth_ - 1);
}

ConnectedToManyScope::ConnectedToManyScope(const ConnectionClass& on,
                                           std::vector<const ConnectionClass*> classes,
                                           const ConnectedToOptions& options)
    : scope_(ConnectedToScope::Pushed{}, push_many(on, std::move(classes), options)) {}

WhilePreventingWritesScope::WhilePreventingWritesScope(const ConnectionClass& on, bool enabled)
    : scope_(ConnectedToScope::Pushed{}, push_preventing_writes(on, enabled)) {}

void connecting_to(const ConnectionClass& on, const ConnectedToOptions& options) {
  check_receiver(on);
  ConnectedToOptions o = options;
  if (!o.role) o.role = kWritingRole;
  if (!o.shard) o.shard = on.default_shard();
  check_shard_swap(o.shard);
  push(ConnectedToFrame{o.role, o.shard, frame_prevent_writes(o), {&on}});
}

ProhibitShardSwappingScope::ProhibitShardSwappingScope(bool enabled)
    : previous_(shard_swapping_prohibited_flag) {
  shard_swapping_prohibited_flag = enabled;
}

ProhibitShardSwappingScope::~ProhibitShardSwappingScope() {
  shard_swapping_prohibited_flag = previous_;
}

bool shard_swapping_prohibited() { return shard_swapping_prohibited_flag; }

bool is_connected_to(const ConnectionClass& on, const std::string& role,
                     const std::optional<std::string>& shard) {
  return current_role(on) == role && current_shard(on) == shard.value_or(on.default_shard());
}

const std::vector<ConnectedToFrame>& connected_to_stack() { return stack; }

void clear_connected_to_stack() {
  stack.clear();
  shard_swapping_prohibited_flag = false;
}

void set_statement_executor(StatementExecutor executor) {
  statement_executor = std::move(executor);
}

Result execute(const ConnectionClass& klass, std::string_view sql, std::span<const Value> binds,
               const ExecOptions& options) {
  if (statement_executor) {
    if (std::optional<Result> done = statement_executor(klass, sql, binds, options))
      return std::move(*done);
  }
  return lease_connection(klass)->execute(sql, binds, options);
}

}  // namespace switchyard

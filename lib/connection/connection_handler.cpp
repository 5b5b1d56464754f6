#include "switchyard/connection/connection_handler.hpp"

#include "switchyard/errors.hpp"

namespace switchyard {
namespace {

bool same_config(const DatabaseConfig& a, const DatabaseConfig& b) {
  return a.env_name() == b.env_name() && a.name() == b.name() && a.settings() == b.settings();
}

std::string not_established(const PoolKey& key) {
  const std::string base = "No connection pool for '" + key.connection_name + "' found";
  if (key.shard != kDefaultShard) return base + " for the '" + key.shard + "' shard.";
  if (key.role != kWritingRole) return base + " for the '" + key.role + "' role.";
  return base + ".";
}

}  // namespace

ConnectionHandler& ConnectionHandler::default_handler() {
  static ConnectionHandler handler;
  return handler;
}

std::shared_ptr<ConnectionPool> ConnectionHandler::establish_connection(
    const DatabaseConfig& config, PoolKey key) {
  config.adapter();  // AdapterNotSpecified now rather than at the first query
  std::vector<PoolInitializer> initializers;
  std::shared_ptr<ConnectionPool> pool;
  {
    std::lock_guard lock(mutex_);
    auto it = pools_.find(key);
    if (it != pools_.end() && same_config(it->second->db_config(), config)) return it->second;
    if (it != pools_.end()) it->second->disconnect();
    pool = ConnectionPool::create(config, ConnectionIdentity{key.connection_name, key.role,
                                                             key.shard, config.name(), ""});
    initializers = initializers_;
    pools_[key] = pool;
  }
  for (auto& init : initializers) init(*pool, key);
  return pool;
}

std::shared_ptr<ConnectionPool> ConnectionHandler::retrieve_connection_pool(const PoolKey& key) {
  PoolResolver resolver;
  {
    std::lock_guard lock(mutex_);
    auto it = pools_.find(key);
    if (it != pools_.end()) return it->second;
    resolver = resolver_;
  }
  return resolver ? resolver(*this, key) : nullptr;
}

std::shared_ptr<ConnectionPool> ConnectionHandler::retrieve_connection_pool_strict(
    const PoolKey& key) {
  auto pool = retrieve_connection_pool(key);
  if (!pool) throw ConnectionNotEstablished(not_established(key));
  return pool;
}

bool ConnectionHandler::remove_connection_pool(const PoolKey& key) {
  std::shared_ptr<ConnectionPool> removed;
  {
    std::lock_guard lock(mutex_);
    auto it = pools_.find(key);
    if (it == pools_.end()) return false;
    removed = std::move(it->second);
    pools_.erase(it);
  }
  removed->disconnect();
  return true;
}

bool ConnectionHandler::connected(const PoolKey& key) const {
  std::lock_guard lock(mutex_);
  auto it = pools_.find(key);
  return it != pools_.end() && it->second->connected();
}

std::vector<std::shared_ptr<ConnectionPool>> ConnectionHandler::connection_pool_list() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<ConnectionPool>> out;
  for (const auto& [key, pool] : pools_) out.push_back(pool);
  return out;
}

std::vector<PoolKey> ConnectionHandler::keys() const {
  std::lock_guard lock(mutex_);
  std::vector<PoolKey> out;
  for (const auto& [key, pool] : pools_) out.push_back(key);
  return out;
}

void ConnectionHandler::clear_all_connections() {
  for (auto& pool : connection_pool_list()) pool->disconnect();
}

void ConnectionHandler::remove_all() {
  std::map<PoolKey, std::shared_ptr<ConnectionPool>> removed;
  {
    std::lock_guard lock(mutex_);
    removed.swap(pools_);
  }
  for (auto& [key, pool] : removed) pool->disconnect();
}

void ConnectionHandler::set_pool_resolver(PoolResolver resolver) {
  std::lock_guard lock(mutex_);
  resolver_ = std::move(resolver);
}

void ConnectionHandler::add_pool_initializer(PoolInitializer initializer) {
  std::lock_guard lock(mutex_);
  initializers_.push_back(std::move(initializer));
}

}  // namespace switchyard

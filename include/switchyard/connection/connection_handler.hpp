// The connection handler owns one pool per (connection name, role, shard), like Rails' single
// ConnectionHandler with its PoolManagers. Pools are created lazily: establishing registers the
// config; the first lease opens the first connection.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "switchyard/config/database_config.hpp"
#include "switchyard/connection/connection_pool.hpp"

namespace switchyard {

inline constexpr const char* kWritingRole = "writing";
inline constexpr const char* kReadingRole = "reading";
inline constexpr const char* kDefaultShard = "default";

struct PoolKey {
  std::string connection_name;
  std::string role = kWritingRole;
  std::string shard = kDefaultShard;
  auto operator<=>(const PoolKey&) const = default;
};

class ConnectionHandler {
 public:
  ConnectionHandler() = default;
  ConnectionHandler(const ConnectionHandler&) = delete;
  ConnectionHandler& operator=(const ConnectionHandler&) = delete;

  // The process-wide handler models use.
  static ConnectionHandler& default_handler();

  // Registers a pool for `config` at the key. Re-establishing the same config keeps the pool
  // (Rails 7.1); a different config replaces it (idle connections of the old one are closed,
  // leased ones when returned).
  std::shared_ptr<ConnectionPool> establish_connection(const DatabaseConfig& config,
                                                       PoolKey key);
  std::shared_ptr<ConnectionPool> establish_connection(const DatabaseConfig& config) {
    return establish_connection(config, PoolKey{config.name()});
  }

  // nullptr when there is no pool at the key (and the resolver, if any, made none).
  std::shared_ptr<ConnectionPool> retrieve_connection_pool(const PoolKey& key);
  // Throws ConnectionNotEstablished with Rails' messages (spec §1.6).
  std::shared_ptr<ConnectionPool> retrieve_connection_pool_strict(const PoolKey& key);
  Lease retrieve_connection(const PoolKey& key) {
    return retrieve_connection_pool_strict(key)->lease();
  }

  bool remove_connection_pool(const PoolKey& key);
  bool connected(const PoolKey& key) const;
  std::vector<std::shared_ptr<ConnectionPool>> connection_pool_list() const;
  std::vector<PoolKey> keys() const;
  // Closes every idle connection of every pool.
  void clear_all_connections();
  // Drops every pool (connections close as their leases end).
  void remove_all();

  // Called when retrieve finds no pool: may establish one (the model layer resolves connection
  // classes declared with connects_to this way) and return it, or return nullptr.
  using PoolResolver = std::function<std::shared_ptr<ConnectionPool>(ConnectionHandler&,
                                                                     const PoolKey&)>;
  void set_pool_resolver(PoolResolver resolver);
  // Called for every pool established, before it is used (the context layer installs its write
  // guard this way).
  using PoolInitializer = std::function<void(ConnectionPool&, const PoolKey&)>;
  void add_pool_initializer(PoolInitializer initializer);

 private:
  mutable std::mutex mutex_;
  std::map<PoolKey, std::shared_ptr<ConnectionPool>> pools_;
  PoolResolver resolver_;
  std::vector<PoolInitializer> initializers_;
};

}  // namespace switchyard

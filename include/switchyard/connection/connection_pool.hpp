// A bounded pool of connections to one database for one (connection name, role, shard).
//
// What SOCI's pool lacks and a production pool needs: a checkout timeout with Rails' error text,
// reset on return (a transaction left open is rolled back), validation of connections idle longer
// than a threshold, transparent replacement of dead connections, idle reaping, a maximum
// lifetime, and statistics. Connections are opened lazily, on demand.
//
// Leases are per thread and re-entrant: while a thread holds a lease, further leases of the same
// pool on that thread share its connection. That is what pins a transaction to its connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "switchyard/config/database_config.hpp"
#include "switchyard/connection/connection.hpp"

namespace switchyard {

struct PoolOptions {
  std::size_t size = 5;
  std::chrono::milliseconds checkout_timeout{5000};
  std::optional<std::chrono::milliseconds> idle_timeout{std::chrono::seconds(300)};
  std::optional<std::chrono::milliseconds> reaping_frequency{std::chrono::seconds(60)};
  std::optional<std::chrono::milliseconds> max_lifetime{};
  // A connection idle longer than this is pinged before it is handed out.
  std::chrono::milliseconds verify_after_idle{std::chrono::seconds(2)};

  // pool, checkout_timeout, idle_timeout, reaping_frequency, max_lifetime, verify_after_idle.
  static PoolOptions from_config(const DatabaseConfig& config);
};

struct PoolStats {
  std::size_t size = 0;         // the bound
  std::size_t connections = 0;  // open (or opening) now
  std::size_t in_use = 0;
  std::size_t idle = 0;
  std::size_t waiting = 0;      // threads blocked in checkout
  std::uint64_t checkouts = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t created = 0;
  std::uint64_t replaced = 0;   // dead or expired connections reopened
  std::uint64_t reaped = 0;     // idle connections closed by reap()
  std::chrono::nanoseconds total_wait{0};
  std::chrono::nanoseconds max_wait{0};
};

class ConnectionPool;

// RAII access to a pooled connection; returns it (reset) when the last lease on this thread ends.
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  ~Lease();

  Connection* operator->() const noexcept { return connection_; }
  Connection& operator*() const noexcept { return *connection_; }
  Connection* get() const noexcept { return connection_; }
  ConnectionPool& pool() const noexcept { return *pool_; }
  explicit operator bool() const noexcept { return connection_ != nullptr; }
  void release();

 private:
  friend class ConnectionPool;
  Lease(std::shared_ptr<ConnectionPool> pool, Connection* connection)
      : pool_(std::move(pool)), connection_(connection) {}
  std::shared_ptr<ConnectionPool> pool_;
  Connection* connection_ = nullptr;
};

class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
 public:
  using Factory = std::function<std::unique_ptr<Connection>()>;

  static std::shared_ptr<ConnectionPool> create(DatabaseConfig config, ConnectionIdentity identity,
                                                std::optional<PoolOptions> options = {});
  // For tests and custom adapters: connections come from `factory`.
  static std::shared_ptr<ConnectionPool> create(DatabaseConfig config, ConnectionIdentity identity,
                                                PoolOptions options, Factory factory);
  ~ConnectionPool();

  // Blocks up to checkout_timeout; throws ConnectionTimeoutError, or ConnectionNotEstablished when
  // a connection cannot be opened.
  Lease lease();
  // The lease this thread already holds on this pool, if any (no checkout).
  bool held_by_current_thread() const;

  PoolStats stats() const;
  const PoolOptions& options() const noexcept { return options_; }
  const DatabaseConfig& db_config() const noexcept { return config_; }
  const ConnectionIdentity& identity() const noexcept { return identity_; }

  // Close idle connections past idle_timeout or max_lifetime; returns how many were closed.
  std::size_t reap();
  // Close every idle connection now; leased ones are closed when returned.
  void disconnect();
  bool connected() const;

  // Installed on every connection of the pool, present and future (see Connection).
  void set_write_guard(std::function<bool()> guard);

 private:
  friend class Lease;
  ConnectionPool(DatabaseConfig config, ConnectionIdentity identity, PoolOptions options,
                 Factory factory);
  std::unique_ptr<Connection> checkout();
  void make_usable(std::unique_ptr<Connection>& connection);
  void give_back(std::unique_ptr<Connection> connection);
  void release_thread_lease(Connection* connection);

  DatabaseConfig config_;
  ConnectionIdentity identity_;
  PoolOptions options_;
  Factory factory_;
  std::shared_ptr<const std::function<bool()>> write_guard_;

  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;  // most recently used at the back
  std::size_t open_ = 0;                           // idle + leased + being opened
  PoolStats stats_;
};

}  // namespace switchyard

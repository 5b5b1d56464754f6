#include "switchyard/connection/connection_pool.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "reaper.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/notifications.hpp"

namespace switchyard {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The connections this thread holds, one per pool, with a count of nested leases.
struct Held {
  const ConnectionPool* pool;
  std::unique_ptr<Connection> connection;
  int leases;
};
thread_local std::vector<Held> held_by_thread;

Held* find_held(const ConnectionPool* pool) {
  for (auto& h : held_by_thread)
    if (h.pool == pool) return &h;
  return nullptr;
}

std::optional<milliseconds> ms(std::optional<double> seconds) {
  if (!seconds) return std::nullopt;
  return milliseconds(static_cast<std::int64_t>(*seconds * 1000));
}

std::string timeout_message(double timeout, double waited) {
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "could not obtain a connection from the pool within %0.3f seconds (waited %0.3f "
                "seconds); all pooled connections were in use",
                timeout, waited);
  return buf;
}

}  // namespace

PoolOptions PoolOptions::from_config(const DatabaseConfig& config) {
  PoolOptions o;
  o.size = static_cast<std::size_t>(std::max(1, config.pool()));
  o.checkout_timeout = *ms(config.checkout_timeout());
  o.idle_timeout = ms(config.idle_timeout());
  o.reaping_frequency = ms(config.reaping_frequency());
  o.max_lifetime = ms(config.max_lifetime());
  if (config.settings().contains("verify_after_idle"))
    o.verify_after_idle = *ms(config.settings()["verify_after_idle"].get<double>());
  return o;
}

// ---- Lease ----

Lease::Lease(Lease&& other) noexcept
    : pool_(std::move(other.pool_)), connection_(std::exchange(other.connection_, nullptr)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    connection_ = std::exchange(other.connection_, nullptr);
  }
  return *this;
}

Lease::~Lease() { release(); }

void Lease::release() {
  if (!connection_) return;
  pool_->release_thread_lease(std::exchange(connection_, nullptr));
  pool_.reset();
}

// ---- ConnectionPool ----

std::shared_ptr<ConnectionPool> ConnectionPool::create(DatabaseConfig config,
                                                       ConnectionIdentity identity,
                                                       std::optional<PoolOptions> options) {
  auto opts = options ? *options : PoolOptions::from_config(config);
  Factory factory = [config, identity] { return open_connection(config, identity); };
  return create(std::move(config), std::move(identity), opts, std::move(factory));
}

std::shared_ptr<ConnectionPool> ConnectionPool::create(DatabaseConfig config,
                                                       ConnectionIdentity identity,
                                                       PoolOptions options, Factory factory) {
  if (identity.database.empty()) identity.database = config.name();
  if (identity.node.empty()) identity.node = identity.database;
  std::shared_ptr<ConnectionPool> pool(new ConnectionPool(
      std::move(config), std::move(identity), options, std::move(factory)));
  if (options.reaping_frequency && (options.idle_timeout || options.max_lifetime))
    Reaper::instance().add(pool, *options.reaping_frequency);
  return pool;
}

ConnectionPool::ConnectionPool(DatabaseConfig config, ConnectionIdentity identity,
                               PoolOptions options, Factory factory)
    : config_(std::move(config)),
      identity_(std::move(identity)),
      options_(options),
      factory_(std::move(factory)) {
  stats_.size = options_.size;
}

ConnectionPool::~ConnectionPool() = default;

bool ConnectionPool::held_by_current_thread() const { return find_held(this) != nullptr; }

Lease ConnectionPool::lease() {
  if (Held* held = find_held(this)) {
    ++held->leases;
    return Lease(shared_from_this(), held->connection.get());
  }
  auto connection = checkout();
  Connection* raw = connection.get();
  held_by_thread.push_back(Held{this, std::move(connection), 1});
  return Lease(shared_from_this(), raw);
}

std::unique_ptr<Connection> ConnectionPool::checkout() {
  const auto start = Clock::now();
  const auto deadline = start + options_.checkout_timeout;
  std::unique_ptr<Connection> connection;
  bool open_new = false;
  {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!idle_.empty()) {
        connection = std::move(idle_.back());
        idle_.pop_back();
        break;
      }
      if (open_ < options_.size) {
        ++open_;
        open_new = true;
        break;
      }
      ++stats_.waiting;
      auto status = available_.wait_until(lock, deadline);
      --stats_.waiting;
      if (status == std::cv_status::timeout && idle_.empty() && open_ >= options_.size) {
        ++stats_.timeouts;
        const double waited = std::chrono::duration<double>(Clock::now() - start).count();
        instrument::emit(instrument::Event{
            "pool.checkout_timeout",
            {{"database", identity_.database}, {"role", identity_.role}, {"waited", waited}}});
        throw ConnectionTimeoutError(timeout_message(
            std::chrono::duration<double>(options_.checkout_timeout).count(), waited));
      }
    }
  }
  try {
    if (open_new) {
      connection = factory_();
      std::lock_guard lock(mutex_);
      ++stats_.created;
    } else {
      make_usable(connection);
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    --open_;
    available_.notify_one();
    throw;
  }
  {
    std::lock_guard lock(mutex_);
    if (write_guard_) connection->set_write_guard(write_guard_);
  }
  const auto waited = Clock::now() - start;
  std::lock_guard lock(mutex_);
  ++stats_.checkouts;
  stats_.total_wait += waited;
  stats_.max_wait = std::max<std::chrono::nanoseconds>(stats_.max_wait, waited);
  return connection;
}

// A connection from the idle list: reopen it if it is dead, expired, or fails its ping.
void ConnectionPool::make_usable(std::unique_ptr<Connection>& connection) {
  const auto now = Clock::now();
  const bool expired = options_.max_lifetime && now - connection->created_at() > *options_.max_lifetime;
  bool healthy = !connection->broken() && !expired;
  if (healthy && now - connection->last_used_at() > options_.verify_after_idle)
    healthy = connection->ping();
  if (healthy) return;
  try {
    connection->reconnect();
  } catch (const Error&) {
    // The server is gone: surface it as such, and let the slot be opened afresh next time.
    connection.reset();
    throw;
  }
  std::lock_guard lock(mutex_);
  ++stats_.replaced;
}

void ConnectionPool::release_thread_lease(Connection* connection) {
  Held* held = find_held(this);
  if (!held || held->connection.get() != connection) return;
  if (--held->leases > 0) return;
  auto owned = std::move(held->connection);
  held_by_thread.erase(held_by_thread.begin() + (held - held_by_thread.data()));
  give_back(std::move(owned));
}

void ConnectionPool::give_back(std::unique_ptr<Connection> connection) {
  connection->reset();
  connection->touch();
  std::lock_guard lock(mutex_);
  if (connection->broken()) {
    --open_;  // a fresh one is opened on demand
  } else {
    idle_.push_back(std::move(connection));
  }
  available_.notify_one();
}

PoolStats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  PoolStats s = stats_;
  s.connections = open_;
  s.idle = idle_.size();
  s.in_use = open_ - idle_.size();
  return s;
}

std::size_t ConnectionPool::reap() {
  std::vector<std::unique_ptr<Connection>> closing;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    auto keep = std::stable_partition(idle_.begin(), idle_.end(), [&](const auto& c) {
      const bool idle_too_long =
          options_.idle_timeout && now - c->last_used_at() > *options_.idle_timeout;
      const bool too_old = options_.max_lifetime && now - c->created_at() > *options_.max_lifetime;
      return !idle_too_long && !too_old;
    });
    for (auto it = keep; it != idle_.end(); ++it) closing.push_back(std::move(*it));
    idle_.erase(keep, idle_.end());
    open_ -= closing.size();
    stats_.reaped += closing.size();
  }
  available_.notify_all();
  return closing.size();  // closed outside the lock, here
}

void ConnectionPool::disconnect() {
  std::vector<std::unique_ptr<Connection>> closing;
  {
    std::lock_guard lock(mutex_);
    closing.swap(idle_);
    open_ -= closing.size();
  }
  available_.notify_all();
}

bool ConnectionPool::connected() const {
  std::lock_guard lock(mutex_);
  return open_ > 0;
}

void ConnectionPool::set_write_guard(std::function<bool()> guard) {
  std::lock_guard lock(mutex_);
  write_guard_ = std::make_shared<const std::function<bool()>>(std::move(guard));
  for (auto& c : idle_) c->set_write_guard(write_guard_);
}

}  // namespace switchyard

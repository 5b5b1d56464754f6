// The notification bus. Every statement switchyard sends emits one SqlEvent (the counterpart of
// Rails' `sql.active_record`); other components emit named Events (pool timeouts, routing
// decisions, callback failures). Subscribers run synchronously on the emitting thread, so they
// must be quick and thread-safe. With no subscriber, emitting costs one atomic load.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/value.hpp"

namespace switchyard::instrument {

struct SqlEvent {
  std::string_view sql;
  std::span<const Value> binds;
  std::span<const std::string> bind_names;  // column names of the binds where known (may be empty)
  std::string_view name;                    // "Dog Load", "TRANSACTION", "SCHEMA" ...
  std::string_view database;                // config name: "animals"
  std::string_view role;                    // "writing", "reading", ...
  std::string_view shard;                   // "default", ...
  std::string_view node;                    // which server: "primary", a replica's config name
  std::string_view route_reason;            // set by the router: "LOCKING_CLAUSE", ...
  std::chrono::nanoseconds duration{0};
  std::int64_t rows = 0;                    // rows returned or affected
  std::string_view sqlstate;                // empty on success
  std::string_view error;                   // the database's message on failure
  bool cached = false;                      // a reused prepared statement

  // Binds as printable text; a bind whose name matches a filtered parameter shows "[FILTERED]".
  std::vector<std::string> display_binds() const;
};

struct Event {
  std::string name;  // "pool.checkout_timeout", "routing.fallback", "callback.error", ...
  nlohmann::json payload;
};

using SqlSubscriber = std::function<void(const SqlEvent&)>;
using EventSubscriber = std::function<void(const Event&)>;

// Subscriptions return an id for unsubscribe. Both are safe to call from any thread, also while
// other threads emit.
std::uint64_t subscribe(SqlSubscriber subscriber);
std::uint64_t subscribe_events(EventSubscriber subscriber);
void unsubscribe(std::uint64_t id);

bool has_sql_subscribers() noexcept;
void emit(const SqlEvent& event);
void emit(const Event& event);

// Parameter names whose bound values are never shown (Rails' filter_parameters). Matched as a
// case-insensitive substring of the bind's column name. Defaults: password, passw, secret, token,
// _key, crypt, salt, certificate, otp, ssn.
void set_filter_parameters(std::vector<std::string> names);
bool is_filtered_parameter(std::string_view column);

// RAII subscription, handy in tests and scopes.
class Subscription {
 public:
  explicit Subscription(SqlSubscriber s) : id_(subscribe(std::move(s))) {}
  explicit Subscription(EventSubscriber s) : id_(subscribe_events(std::move(s))) {}
  ~Subscription() { unsubscribe(id_); }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

 private:
  std::uint64_t id_;
};

}  // namespace switchyard::instrument

// DatabaseSelector: Rails' ActiveRecord::Middleware::DatabaseSelector for any HTTP server.
//
// Per request: a reading request (GET or HEAD, overridable) runs in
//   connected_to({.role = reading, .prevent_writes = true})   when the resolver says the replica
//                                                              is fresh enough for this client,
//   connected_to({.role = writing, .prevent_writes = true})   otherwise (primary, still no writes);
// any other request runs in connected_to({.role = writing}) and records the write in the client's
// context (always, also when the application throws). Events: "database_selector.read_from_replica",
// "database_selector.read_from_primary", "database_selector.wrote_to_primary" (payload: resolver,
// reason, path).
//
// Two resolvers:
//  * time_window (Rails): the replica is used once `delay` (2 s) has passed since the client's last
//    write. Cheap, and wrong whenever replication lags more than the delay.
//  * wal_position (PostgreSQL): after a write request the primary's WAL insert position (read after
//    the COMMIT) becomes a token; a read uses the replicas only when every one of them has replayed
//    past the tokens of its cluster, otherwise the primary. Tokens of another timeline (a failover)
//    are dropped; tokens every replica has passed are dropped too, so later reads pay nothing.
//    Where no position can be read (SQLite, an error), it falls back to the time window.
//
// The client's context travels in one HMAC-SHA256-signed cookie (see CookieContext). A cookie that
// fails verification is treated as "this client may just have written": the request reads from the
// primary and the response re-issues a valid cookie that keeps the client on the primary for
// `delay` — stale reads are never the price of a bad cookie, and a forged cookie can only cost its
// sender primary reads for a short window. Details: docs/http-selectors.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/context/connection_class.hpp"
#include "switchyard/context/wal_position.hpp"
#include "switchyard/http/request.hpp"

namespace switchyard::http {

// What the selector remembers about a client between requests.
struct SelectorState {
  std::optional<std::int64_t> last_write_ms{};   // ms since the epoch (Rails' session[:last_write])
  std::optional<std::int64_t> primary_until_ms{};  // fail-safe window: read the primary until then
  WalTokens wal_tokens{};

  // "w=<ms>&p=<ms>&t=<tokens>" (fields omitted when empty); parse returns nullopt when malformed.
  std::string serialize() const;
  static std::optional<SelectorState> parse(std::string_view text);
  bool operator==(const SelectorState&) const = default;
};

// Rails' resolver context: loads the state for a request and saves it into the response.
class SelectorContext {
 public:
  virtual ~SelectorContext() = default;
  virtual SelectorState& state() = 0;
  // The request carried a state that failed verification (tampered, unsigned, old secret).
  virtual bool tampered() const { return false; }
  // Called once per request, after the application (also when it threw).
  virtual void save(Response& response) = 0;
};

struct CookieOptions {
  std::string name = "_sy_db";
  std::string secret{};                      // required: at least 16 bytes
  std::vector<std::string> previous_secrets{};  // still accepted, never used to sign
  std::string path = "/";
  bool secure = false;
  bool http_only = true;
  std::string same_site = "Lax";
  std::chrono::seconds max_age{std::chrono::hours(24)};
};

// The default context: one signed cookie. The cookie is written only when the state changed.
class CookieContext final : public SelectorContext {
 public:
  CookieContext(const Request& request, const CookieOptions& options);
  SelectorState& state() override { return state_; }
  bool tampered() const override { return tampered_; }
  void save(Response& response) override;

 private:
  const CookieOptions& options_;
  SelectorState loaded_;
  SelectorState state_;
  bool tampered_ = false;
};

enum class ResolverKind { time_window, wal_position };

enum class Selection { replica, primary_read, primary_write };

struct DatabaseSelectorOptions {
  ResolverKind resolver = ResolverKind::time_window;
  std::chrono::milliseconds delay{2000};
  // Default: GET and HEAD (Rails' reading_request?).
  std::function<bool(const Request&)> reading_request{};
  CookieOptions cookie{};
  // Replaces the cookie context (e.g. a server-side session store).
  std::function<std::unique_ptr<SelectorContext>(const Request&)> context{};
  // wal_position: the connection classes whose replicas a read must find caught up. Default:
  // every connection class that declares a reading role.
  std::vector<const ConnectionClass*> classes{};
  // wal_position: where replica positions come from (default: default_replica_position_source()).
  std::shared_ptr<ReplicaPositionSource> positions{};
  // Milliseconds since the epoch (tests replace it).
  std::function<std::int64_t()> clock{};
};

// The resolver interface (Rails' Resolver): decides and records. Custom resolvers may derive.
class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual std::string_view name() const = 0;
  // Whether a read may use the replicas now; `reason` names why (events, logs).
  virtual bool replica_ok(SelectorContext& context, std::string& reason) = 0;
  // Runs a write request and records it in the context (also when `app` throws).
  virtual void write(SelectorContext& context, const Next& app) = 0;
};

class DatabaseSelector {
 public:
  explicit DatabaseSelector(DatabaseSelectorOptions options = {});
  // With a custom resolver (options.resolver is then ignored).
  DatabaseSelector(DatabaseSelectorOptions options, std::shared_ptr<Resolver> resolver);

  // Runs `app` under the chosen scope; returns the choice made.
  Selection call(const Request& request, Response& response, const Next& app) const;
  void operator()(const Request& request, Response& response, const Next& app) const {
    call(request, response, app);
  }
  Middleware middleware() const;

  bool reading_request(const Request& request) const;
  const DatabaseSelectorOptions& options() const noexcept { return *options_; }

 private:
  std::shared_ptr<const DatabaseSelectorOptions> options_;
  std::shared_ptr<Resolver> resolver_;
};

std::int64_t now_ms();

}  // namespace switchyard::http

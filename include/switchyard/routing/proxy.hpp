// Proxy mode: automatic statement routing for connection classes whose writing database opts in
// (`adapter: postgresql_proxy`, or `proxy: true` on the writer config). docs/routing.md.
//
//   sy::establish(configs);
//   sy::routing::install(configs);      // routes every statement of proxy-mode databases
//
// Outside an explicit connected_to that sets a role for the class, each statement sent through
// switchyard::execute goes: inside a transaction to the transaction's connection; in a pinned
// session to the pinned primary connection; proven reads to a replica that is healthy, not
// lagging and has replayed the session's last write; everything else to the primary. Each
// statement's SqlEvent carries the reason (ExecOptions::route_reason) and the node.
//
// Session state: plain SET / RESET are recorded per thread and database and replayed on every
// connection the session uses (once per connection and change, one round trip). State that
// cannot be replayed (temporary tables, LISTEN, session advisory locks, PREPARE, cursors WITH
// HOLD, nextval -> currval/lastval) pins the session to one primary connection until unpin()
// or the end of the UnitOfWork.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/context/wal_position.hpp"
#include "switchyard/routing/decision.hpp"
#include "switchyard/routing/lsn.hpp"
#include "switchyard/routing/replica_set.hpp"

namespace switchyard {
class DatabaseConfigurations;
class ConnectionClass;
}  // namespace switchyard

namespace switchyard::routing {

// Installs the router for `configs` (environment `env`, default: the configs' own). Replaces an
// earlier install (its replica sets and probes stop). Databases not in proxy mode are untouched.
void install(const DatabaseConfigurations& configs, std::string env = "");
// Removes the router: every statement takes the default (role-based) path again.
void uninstall();
bool installed() noexcept;

// Whether an explicit connected_to frame that sets a role applies to `klass` now (then the
// router stands aside: connected_to always wins).
bool has_explicit_role(const ConnectionClass& klass);

// ---- The logical session (this thread) ------------------------------------------------------

// Ends pinning on this thread for every database: the pinned primary connection is cleaned
// (CLOSE ALL, UNLISTEN *, pg_advisory_unlock_all(), DISCARD TEMP, DISCARD SEQUENCES) and
// returned to its pool. A transaction still open keeps its connection until it ends.
void unpin();
bool pinned(std::string_view database);
// Forgets this thread's routing state: pins (as unpin()), recorded SET/RESET, tokens (also the
// unit of work's WAL tokens, context/wal_position.hpp, which proxy-mode writes record).
void reset_session();

// One unit of work (a request, a job): reset_session() when it ends, and the WAL tokens of the
// enclosing scope are back. Tokens carried in from elsewhere are imported at its start:
// `UnitOfWork uow(request.header("X-Sy-Token"));`.
class UnitOfWork {
 public:
  UnitOfWork() : UnitOfWork(std::string_view{}) {}
  explicit UnitOfWork(std::string_view token);
  ~UnitOfWork();
  UnitOfWork(const UnitOfWork&) = delete;
  UnitOfWork& operator=(const UnitOfWork&) = delete;

 private:
  WalTokens enclosing_;
};

// ---- Read-your-writes tokens ----------------------------------------------------------------

// This thread's tokens as a string for the next request or a background job (captures the WAL
// position of a pending write first; may need the primary). Empty when there is nothing to carry.
std::string export_token();
// Merges a token string into this thread's tokens (max per database). False when malformed or
// badly signed: then nothing is imported.
bool import_token(std::string_view token);
// HMAC-SHA256 key for exported tokens (empty: unsigned). Set it when tokens cross a trust
// boundary (cookies): a forged token could only move reads between nodes, but why allow it.
void set_token_secret(std::string secret);
// The token of `database` on this thread, if any (tests, diagnostics).
std::optional<WalToken> current_token(std::string_view database);

// ---- Observability --------------------------------------------------------------------------

struct ReplicaSetMetrics {
  std::string database;  // the writer
  bool primary_down = false;
  std::string primary_lsn;
  bool all_replicas_down = false;
  std::vector<ReplicaSnapshot> replicas;
};

struct RoutingMetrics {
  std::map<std::string, std::uint64_t> by_route;   // "replica", "primary", "explicit"
  std::map<std::string, std::uint64_t> by_reason;  // "SELECT", "IN_TRANSACTION", ...
  std::map<std::string, std::uint64_t> by_node;    // node config name
  std::uint64_t retries = 0;                       // reads retried on another node
  std::uint64_t all_replicas_down_reads = 0;       // reads the primary served for that reason
  std::uint64_t sticky_waits = 0;                  // bounded waits for a replica to catch up
  std::uint64_t sticky_wait_hits = 0;              // ... that ended on a replica
  double sticky_wait_ms = 0;                       // total time spent waiting
  std::uint64_t tokens_dropped = 0;                // timeline / cluster changed
  std::vector<ReplicaSetMetrics> sets;

  nlohmann::json to_json() const;
};
RoutingMetrics metrics();
void reset_metrics();

// The replica set that serves `writer_database` (tests: force a probe round), or nullptr.
std::shared_ptr<ReplicaSet> replica_set(std::string_view writer_database);

}  // namespace switchyard::routing

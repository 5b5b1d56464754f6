// The routing decision, as pure functions that need no server: what a statement is (the sql
// layer's classifier), what the logical session is in (transaction, pinned, sticky), and which
// replica of a set may serve it. The proxy (proxy.hpp) feeds them live state; `route explain`,
// the dry tests and the benchmark call them directly.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "switchyard/sql/statement_classifier.hpp"

namespace switchyard::routing {

// Reasons the router adds to the classifier's own (SELECT, LOCKING_CLAUSE, DML_IN_CTE,
// SIDE_EFFECT_FUNCTION(nextval), SESSION_STATE(SET), ...). docs/routing.md has the table.
namespace reason {
inline constexpr std::string_view explicit_connected_to = "EXPLICIT_CONNECTED_TO";
inline constexpr std::string_view in_transaction = "IN_TRANSACTION";
inline constexpr std::string_view session_pinned = "SESSION_PINNED";
inline constexpr std::string_view sticky_time_window = "STICKY_TIME_WINDOW";
inline constexpr std::string_view sticky_lsn_not_replayed = "STICKY_LSN_NOT_REPLAYED";
inline constexpr std::string_view sticky_lsn_caught_up = "STICKY_LSN_CAUGHT_UP";
inline constexpr std::string_view sticky_lsn_unknown = "STICKY_LSN_UNKNOWN";
inline constexpr std::string_view replica_lagging = "REPLICA_LAGGING";
inline constexpr std::string_view replica_down = "REPLICA_DOWN";
inline constexpr std::string_view all_replicas_down = "ALL_REPLICAS_DOWN";
inline constexpr std::string_view no_replica = "NO_REPLICA";
inline constexpr std::string_view recovery_conflict_retry = "RECOVERY_CONFLICT_RETRY";
inline constexpr std::string_view replica_read_only_error = "REPLICA_READ_ONLY_ERROR";
inline constexpr std::string_view primary_down = "PRIMARY_DOWN";
inline constexpr std::string_view session_replay = "SESSION_REPLAY";
}  // namespace reason

enum class Target : std::uint8_t {
  replica,  // a replica of the set (chosen by select_replica)
  primary,  // the writer (or the connection of the open transaction / the pinned session)
};
std::string_view to_string(Target target) noexcept;

// What the router knows about the logical session (this thread, this database) right now.
struct SessionView {
  bool in_transaction = false;      // a transaction is open on this thread's primary connection
  bool session_pinned = false;      // an earlier statement left state only the primary has
  bool sticky_time_window = false;  // time stickiness: a write less than proxy_delay ago
};

struct StatementDecision {
  Target target = Target::primary;
  std::string reason;
  sql::Classification classification{};
  bool classified = false;            // false when the session state decided without classifying
  bool record_session_state = false;  // replay on every connection the session uses (SET, RESET)
  bool clears_session_state = false;  // RESET ALL / DISCARD ALL: forget what was recorded
  bool pins_session = false;          // from now on the session stays on the primary
  bool is_write = false;              // counts as a write for stickiness
};

// Statement level: explicit connected_to has been handled by the caller (it bypasses routing).
// In order: an open transaction (IN_TRANSACTION), a pinned session (SESSION_PINNED), then the
// classification: proven reads go to a replica unless a write is less than proxy_delay old
// (STICKY_TIME_WINDOW); everything else to the primary with the classifier's reason.
StatementDecision decide(const sql::StatementClassifier& classifier, std::string_view sql,
                         const SessionView& session);

// ---- Replica selection -----------------------------------------------------------------------

enum class LoadBalancing : std::uint8_t { round_robin, least_outstanding, weighted };
std::string_view to_string(LoadBalancing balancing) noexcept;
LoadBalancing load_balancing_from(std::string_view name);  // unknown -> round_robin

// One replica as the selection sees it (a snapshot of its health, lag and position).
struct ReplicaView {
  std::string_view name{};
  bool healthy = true;    // circuit breaker closed (or a half-open trial is due)
  bool lag_ok = true;     // within max_lag_bytes and max_lag_seconds
  bool covers = true;     // its replayed LSN covers the session's token (true without a token)
  bool excluded = false;  // already tried for this statement
  double weight = 1.0;
  std::int64_t outstanding = 0;
  std::uint64_t replay_lsn = 0;  // last known replayed position (0: unknown)
};

struct Selection {
  int index = -1;      // into the views; -1: the primary serves the read
  std::string_view reason{};  // why not a replica (empty when one was chosen)
};

// Eligible: healthy, lag_ok, covers, not excluded. Among them: round robin by `ticket`, the
// fewest outstanding statements (ties rotate by ticket), or weighted round robin. Without one:
// NO_REPLICA (none configured), ALL_REPLICAS_DOWN (none healthy), REPLICA_LAGGING (healthy ones
// all lag), STICKY_LSN_NOT_REPLAYED (some are usable but none has replayed the token),
// REPLICA_DOWN (the healthy ones were tried and failed).
Selection select_replica(std::span<const ReplicaView> replicas, LoadBalancing balancing,
                         std::uint64_t ticket);

// ---- Errors --------------------------------------------------------------------------------

enum class FailureKind : std::uint8_t {
  none,               // not a routing matter: the statement's own error, rethrown
  node_unhealthy,     // class 08, 57P01-57P03, 53300, cannot connect: open the breaker, retry
  recovery_conflict,  // 40001 on a standby: retry elsewhere (nothing was delivered)
  busy,               // pool checkout timeout: try elsewhere, the node is fine
  read_only,          // 25006 on a replica: the classifier let a write through; run on primary
};
FailureKind classify_sqlstate(std::string_view sqlstate) noexcept;

}  // namespace switchyard::routing

// Read-your-writes by WAL position (PostgreSQL): after a write commits, the primary's WAL insert
// position becomes a token; a later read may use a replica only once the replica has replayed
// past it. See docs/http-selectors.md and ../shared/reference/routing.md (d).
//
// Tokens are tagged with the cluster's system identifier and timeline, so a token from another
// cluster never constrains a replica, and a token from an older timeline (before a failover) is
// dropped instead of compared.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/context/connection_handling.hpp"

namespace switchyard {

class ConnectionPool;

// A WAL position (PostgreSQL's pg_lsn): the 64-bit byte position in the WAL stream.
using Lsn = std::uint64_t;
// "16/B374D848" -> Lsn; nullopt when malformed.
std::optional<Lsn> parse_lsn(std::string_view text);
std::string format_lsn(Lsn lsn);

struct ClusterIdentity {
  std::uint64_t system_identifier = 0;  // pg_control_system().system_identifier
  std::uint32_t timeline_id = 0;        // pg_control_checkpoint().timeline_id
  bool operator==(const ClusterIdentity&) const = default;
};

struct WalToken {
  ClusterIdentity cluster{};
  Lsn lsn = 0;
  bool operator==(const WalToken&) const = default;
};

// At most one token per cluster (system identifier): merging keeps the larger position on the
// same timeline and the newer timeline when they differ.
class WalTokens {
 public:
  void merge(const WalToken& token);
  void merge(const WalTokens& other);
  const WalToken* find(std::uint64_t system_identifier) const;
  void erase(std::uint64_t system_identifier);
  bool empty() const noexcept { return tokens_.empty(); }
  std::size_t size() const noexcept { return tokens_.size(); }
  const std::vector<WalToken>& tokens() const noexcept { return tokens_; }
  void clear() noexcept { tokens_.clear(); }
  bool operator==(const WalTokens&) const = default;

  // Compact text form "sysid:timeline:X/Y[,...]" (cookies, job payloads); parse returns nullopt
  // on any malformed part.
  std::string serialize() const;
  static std::optional<WalTokens> parse(std::string_view text);

 private:
  std::vector<WalToken> tokens_;
};

// The read-your-writes tokens of this thread's unit of work (an HTTP request, a job). Captured by
// capture_context() and applied by with_context() / bind_context().
const WalTokens& current_wal_tokens();
void record_wal_token(const WalToken& token);
void set_current_wal_tokens(WalTokens tokens);

// Replaces this thread's tokens for its lifetime and restores the previous ones after.
class WalTokensScope {
 public:
  explicit WalTokensScope(WalTokens tokens);
  ~WalTokensScope();
  WalTokensScope(const WalTokensScope&) = delete;
  WalTokensScope& operator=(const WalTokensScope&) = delete;
  // The tokens as they are now (merged writes included).
  const WalTokens& tokens() const { return current_wal_tokens(); }

 private:
  WalTokens previous_;
};

// The cluster identity of the server behind `pool`, queried once per pool and cached; nullopt for
// non-PostgreSQL pools.
std::optional<ClusterIdentity> cluster_identity(ConnectionPool& pool);
// Forgets cached identities (after a failover the timeline changes).
void forget_cluster_identities();

// SQL expression (a scalar subquery, text) for the primary's WAL position covering every
// committed record. pg_current_wal_insert_lsn() points past the next page's header (24 bytes, 40
// at a segment start) when the last record ended on a page boundary, while a standby's replay
// position stops at the boundary: comparing with the raw value would wait for unrelated WAL.
inline constexpr const char* kCommittedWalPosition =
    "(SELECT (CASE WHEN (l - '0/0') % pg_size_bytes(current_setting('wal_segment_size')) = 40 "
    "THEN l - 40 WHEN (l - '0/0') % current_setting('wal_block_size')::int = 24 THEN l - 24 "
    "ELSE l END)::text FROM (SELECT pg_current_wal_insert_lsn() AS l) AS wal)";

// The primary's position now: `pg_current_wal_insert_lsn()` on a connection of `pool`, which must
// have no transaction open on this thread (the position must follow the COMMIT). nullopt for
// non-PostgreSQL pools; throws Error when this thread holds the pool in an open transaction.
std::optional<WalToken> capture_primary_position(ConnectionPool& pool);

// Where a replica stands. The default source asks the replica (one round trip:
// `pg_last_wal_replay_lsn()`, or the insert position when the server is not in recovery, e.g. a
// promoted standby or a read-only session on a primary); the routing layer may install a cached
// prober instead.
class ReplicaPositionSource {
 public:
  virtual ~ReplicaPositionSource() = default;
  // The replayed position of the server behind `replica`, tagged with its cluster identity;
  // nullopt when it cannot be known (not PostgreSQL, not a standby, unreachable).
  virtual std::optional<WalToken> replay_position(ConnectionPool& replica) = 0;
  // The cluster behind `replica` (default: cluster_identity(replica), cached per pool). Lets a
  // caller skip the position round trip when no token concerns that cluster.
  virtual std::optional<ClusterIdentity> cluster(ConnectionPool& replica);
};

class QueryingReplicaPositionSource final : public ReplicaPositionSource {
 public:
  std::optional<WalToken> replay_position(ConnectionPool& replica) override;
};

ReplicaPositionSource& default_replica_position_source();
// nullptr restores the querying source.
void set_default_replica_position_source(std::shared_ptr<ReplicaPositionSource> source);

enum class ReplicaFreshness {
  caught_up,  // replayed past the token for its cluster, or no token applies
  behind,     // a token for its cluster is ahead of its replay position
  unknown,    // tokens apply but the position is unknown: treat as behind
};

// Compares `replica` with `tokens`. Tokens of the replica's cluster on another timeline are
// reported in `stale` (the caller drops them); tokens the replica has passed in `passed`.
ReplicaFreshness replica_freshness(ConnectionPool& replica, const WalTokens& tokens,
                                   ReplicaPositionSource& source,
                                   std::vector<std::uint64_t>* passed = nullptr,
                                   std::vector<std::uint64_t>* stale = nullptr);

// Whether `on`'s reading pool (at its current shard) has caught up with this thread's tokens.
// No tokens: true, without a round trip. No reading pool: false.
bool replica_caught_up(const ConnectionClass& on, ReplicaPositionSource* source = nullptr);

// Runs `fn` on `on`'s replica when it has caught up with this thread's tokens, else on the primary
// with writes prevented: the read-your-writes choice for jobs and other non-HTTP work.
template <typename Fn>
decltype(auto) reading_your_writes(const ConnectionClass& on, Fn&& fn) {
  if (replica_caught_up(on))
    return connected_to(on, {.role = kReadingRole}, std::forward<Fn>(fn));
  return connected_to(on, {.role = kWritingRole, .prevent_writes = true}, std::forward<Fn>(fn));
}

}  // namespace switchyard

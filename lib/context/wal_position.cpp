#include "switchyard/context/wal_position.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <mutex>

#include "switchyard/connection/connection_pool.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/notifications.hpp"
#include "thread_state.hpp"

namespace switchyard {
namespace {

thread_local WalTokens thread_tokens;

bool parse_hex(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 16) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return ec == std::errc() && ptr == text.data() + text.size();
}

template <typename Int>
bool parse_dec(std::string_view text, Int& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 10);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// One statement through the escape hatch (no guard, no SqlEvent: these are the library's own
// position probes, not application statements). Returns the first row's columns as text.
std::vector<std::string> probe(Connection& connection, const char* sql) {
  PGconn* pg = connection.pg_handle();
  if (!pg) return {};
  PGresult* r = PQexec(pg, sql);
  std::vector<std::string> out;
  if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
    for (int c = 0; c < PQnfields(r); ++c)
      out.push_back(PQgetisnull(r, 0, c) ? std::string() : std::string(PQgetvalue(r, 0, c)));
  } else {
    std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(pg);
    PQclear(r);
    throw ConnectionNotEstablished("WAL position probe failed on '" +
                                   connection.identity().database + "': " + message);
  }
  PQclear(r);
  return out;
}

struct IdentityCache {
  std::mutex mutex;
  std::vector<std::pair<std::weak_ptr<ConnectionPool>, ClusterIdentity>> entries;
};
IdentityCache& identity_cache() {
  static IdentityCache cache;
  return cache;
}

bool is_postgresql(const ConnectionPool& pool) {
  return pool.db_config().adapter() == "postgresql";
}

std::optional<ClusterIdentity> identity_on(ConnectionPool& pool, Connection& connection) {
  auto self = pool.shared_from_this();
  auto& cache = identity_cache();
  {
    std::lock_guard lock(cache.mutex);
    for (const auto& [weak, identity] : cache.entries)
      if (weak.lock() == self) return identity;
  }
  auto row = probe(connection,
                   "SELECT (SELECT system_identifier FROM pg_control_system())::text, "
                   "(SELECT timeline_id FROM pg_control_checkpoint())::text");
  ClusterIdentity identity;
  if (row.size() != 2 || !parse_dec(row[0], identity.system_identifier) ||
      !parse_dec(row[1], identity.timeline_id))
    return std::nullopt;
  std::lock_guard lock(cache.mutex);
  std::erase_if(cache.entries, [](const auto& e) { return e.first.expired(); });
  cache.entries.emplace_back(self, identity);
  return identity;
}

struct DefaultSource {
  std::mutex mutex;
  std::shared_ptr<ReplicaPositionSource> source = std::make_shared<QueryingReplicaPositionSource>();
};
DefaultSource& default_source() {
  static DefaultSource s;
  return s;
}

std::optional<WalToken> token_from(const ClusterIdentity& identity,
                                   const std::vector<std::string>& row) {
  if (row.size() != 1) return std::nullopt;
  std::optional<Lsn> lsn = parse_lsn(row[0]);
  if (!lsn.has_value()) return std::nullopt;
  return WalToken{identity, lsn.value()};
}

}  // namespace

namespace detail {
WalTokens& thread_wal_tokens() { return thread_tokens; }
}  // namespace detail

std::optional<Lsn> parse_lsn(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::uint64_t hi = 0, lo = 0;
  if (!parse_hex(text.substr(0, slash), hi) || !parse_hex(text.substr(slash + 1), lo)) return std::nullopt;
  if (hi > 0xFFFFFFFFu || lo > 0xFFFFFFFFu) return std::nullopt;
  return (hi << 32) | lo;
}

std::string format_lsn(Lsn lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xFFFFFFFFu));
  return buf;
}

void WalTokens::merge(const WalToken& token) {
  for (auto& t : tokens_) {
    if (t.cluster.system_identifier != token.cluster.system_identifier) continue;
    if (token.cluster.timeline_id > t.cluster.timeline_id) t = token;
    else if (token.cluster.timeline_id == t.cluster.timeline_id) t.lsn = std::max(t.lsn, token.lsn);
    return;
  }
  tokens_.push_back(token);
}

void WalTokens::merge(const WalTokens& other) {
  for (const auto& t : other.tokens_) merge(t);
}

const WalToken* WalTokens::find(std::uint64_t system_identifier) const {
  for (const auto& t : tokens_)
    if (t.cluster.system_identifier == system_identifier) return &t;
  return nullptr;
}

void WalTokens::erase(std::uint64_t system_identifier) {
  std::erase_if(tokens_, [&](const WalToken& t) { return t.cluster.system_identifier == system_identifier; });
}

std::string WalTokens::serialize() const {
  std::string out;
  for (const auto& t : tokens_) {
    if (!out.empty()) out += ',';
    out += std::to_string(t.cluster.system_identifier) + ':' + std::to_string(t.cluster.timeline_id) +
           ':' + format_lsn(t.lsn);
  }
  return out;
}

std::optional<WalTokens> WalTokens::parse(std::string_view text) {
  WalTokens out;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto c1 = item.find(':');
    auto c2 = c1 == std::string_view::npos ? c1 : item.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return std::nullopt;
    WalToken t;
    if (!parse_dec(item.substr(0, c1), t.cluster.system_identifier) ||
        !parse_dec(item.substr(c1 + 1, c2 - c1 - 1), t.cluster.timeline_id))
      return std::nullopt;
    auto lsn = parse_lsn(item.substr(c2 + 1));
    if (!lsn) return std::nullopt;
    t.lsn = *lsn;
    out.merge(t);
  }
  return out;
}

const WalTokens& current_wal_tokens() { return thread_tokens; }
void record_wal_token(const WalToken& token) { thread_tokens.merge(token); }
void set_current_wal_tokens(WalTokens tokens) { thread_tokens = std::move(tokens); }

WalTokensScope::WalTokensScope(WalTokens tokens) : previous_(std::move(thread_tokens)) {
  thread_tokens = std::move(tokens);
}
WalTokensScope::~WalTokensScope() { thread_tokens = std::move(previous_); }

std::optional<ClusterIdentity> cluster_identity(ConnectionPool& pool) {
  if (!is_postgresql(pool)) return std::nullopt;
  Lease lease = pool.lease();
  return identity_on(pool, *lease);
}

void forget_cluster_identities() {
  std::lock_guard lock(identity_cache().mutex);
  identity_cache().entries.clear();
}

std::optional<WalToken> capture_primary_position(ConnectionPool& pool) {
  if (!is_postgresql(pool)) return std::nullopt;
  Lease lease = pool.lease();
  if (lease->server_in_transaction())
    throw Error("capture_primary_position: a transaction is open on '" +
                lease->identity().database +
                "'; the WAL position must be read after COMMIT");
  auto identity = identity_on(pool, *lease);
  if (!identity) return std::nullopt;
  auto row = probe(*lease, (std::string("SELECT ") + kCommittedWalPosition).c_str());
  return token_from(*identity, row);
}

std::optional<WalToken> QueryingReplicaPositionSource::replay_position(ConnectionPool& replica) {
  if (!is_postgresql(replica)) return std::nullopt;
  try {
    Lease lease = replica.lease();
    auto identity = identity_on(replica, *lease);
    if (!identity) return std::nullopt;
    auto row = probe(*lease,
                     "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
                     "ELSE pg_current_wal_insert_lsn() END)::text");
    auto token = token_from(*identity, row);
    instrument::emit(instrument::Event{
        "read_your_writes.replica_probe",
        {{"database", replica.identity().database},
         {"replay_lsn", token ? format_lsn(token->lsn) : std::string()}}});
    return token;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::optional<ClusterIdentity> ReplicaPositionSource::cluster(ConnectionPool& replica) {
  return cluster_identity(replica);
}

ReplicaPositionSource& default_replica_position_source() {
  auto& d = default_source();
  std::lock_guard lock(d.mutex);
  return *d.source;
}

void set_default_replica_position_source(std::shared_ptr<ReplicaPositionSource> source) {
  auto& d = default_source();
  std::lock_guard lock(d.mutex);
  d.source = source ? std::move(source) : std::make_shared<QueryingReplicaPositionSource>();
}

ReplicaFreshness replica_freshness(ConnectionPool& replica, const WalTokens& tokens,
                                   ReplicaPositionSource& source,
                                   std::vector<std::uint64_t>* passed,
                                   std::vector<std::uint64_t>* stale) {
  if (tokens.empty()) return ReplicaFreshness::caught_up;
  // No token for this replica's cluster: nothing to wait for, no round trip.
  try {
    if (auto cluster = source.cluster(replica); cluster && !tokens.find(cluster->system_identifier))
      return ReplicaFreshness::caught_up;
  } catch (const Error&) {
    return ReplicaFreshness::unknown;
  }
  auto position = source.replay_position(replica);
  if (!position) return ReplicaFreshness::unknown;
  const WalToken* token = tokens.find(position->cluster.system_identifier);
  if (!token) return ReplicaFreshness::caught_up;  // written to another cluster only
  if (token->cluster.timeline_id != position->cluster.timeline_id) {
    if (stale) stale->push_back(token->cluster.system_identifier);
    return ReplicaFreshness::caught_up;
  }
  if (position->lsn >= token->lsn) {
    if (passed) passed->push_back(token->cluster.system_identifier);
    return ReplicaFreshness::caught_up;
  }
  return ReplicaFreshness::behind;
}

bool replica_caught_up(const ConnectionClass& on, ReplicaPositionSource* source) {
  const WalTokens& tokens = current_wal_tokens();
  if (tokens.empty()) return true;
  PoolKey key{on.connection_specification_name(), kReadingRole, current_shard(on)};
  auto pool = connection_handler().retrieve_connection_pool(key);
  if (!pool) return false;
  return replica_freshness(*pool, tokens, source ? *source : default_replica_position_source()) ==
         ReplicaFreshness::caught_up;
}

}  // namespace switchyard

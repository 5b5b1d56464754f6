// Proxy mode: the statement executor installed into the context layer (see proxy.hpp).
#include "switchyard/context/wal_position.hpp"
#include "switchyard/routing/proxy.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "switchyard/config/database_configurations.hpp"
#include "switchyard/context/connection_handling.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/notifications.hpp"

namespace switchyard::routing {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void emit(const std::string& name, nlohmann::json payload) {
  instrument::emit(instrument::Event{name, std::move(payload)});
}

// ---- Router state ------------------------------------------------------------------------------

struct PoolEntry {
  std::weak_ptr<ConnectionPool> pool;
  std::shared_ptr<ReplicaSet> set;  // nullptr: the writer is not in proxy mode
};

struct RouterState {
  std::shared_ptr<const DatabaseConfigurations> configs;
  std::string env;
  std::map<std::string, std::shared_ptr<ReplicaSet>> sets;  // writer + members -> set
  std::unordered_map<const ConnectionPool*, PoolEntry> by_pool;
};

std::atomic<bool> g_installed{false};
std::shared_mutex g_mutex;
RouterState g_state;
std::mutex g_secret_mutex;
std::string g_secret;

// ---- Metrics ----------------------------------------------------------------------------------

struct Counters {
  std::mutex mutex;
  std::map<std::string, std::uint64_t, std::less<>> by_route, by_reason, by_node;
  std::uint64_t retries = 0, all_down_reads = 0, sticky_waits = 0, sticky_wait_hits = 0,
                tokens_dropped = 0;
  double sticky_wait_ms = 0;
};
Counters g_counters;

void bump(std::map<std::string, std::uint64_t, std::less<>>& m, std::string_view key) {
  auto it = m.find(key);
  if (it != m.end()) {
    ++it->second;
    return;
  }
  // Reasons carry details (function names): bound the table.
  if (m.size() >= 1024) key = "OTHER";
  ++m[std::string(key)];
}

void count(std::string_view route, std::string_view why, std::string_view node) {
  std::lock_guard lock(g_counters.mutex);
  bump(g_counters.by_route, route);
  bump(g_counters.by_reason, why);
  bump(g_counters.by_node, node);
}

// ---- Per-thread session ------------------------------------------------------------------------

// Plain data: tokens and recorded session settings per writer database.
struct SessionData {
  WalToken token;
  bool dirty = false;  // wrote since the token's position was captured
  std::vector<std::string> sets;
  std::size_t sets_signature = 0;
  std::weak_ptr<ConnectionPool> writer_pool;
  std::weak_ptr<ReplicaSet> set;
};
thread_local std::map<std::string, SessionData, std::less<>> t_data;

// Leases held for the session. Only touched after this thread has used a pool, so that the
// pool's own per-thread bookkeeping outlives it at thread exit.
struct SessionLeases {
  Lease pin;  // pinned primary connection
  Lease txn;  // a transaction opened by raw SQL (BEGIN) until it ends
  bool commit_hook = false;
};
thread_local std::map<std::string, SessionLeases, std::less<>> t_leases;
thread_local bool t_leases_ready = false;  // t_leases first touched by route_statement

SessionData& data_for(const std::string& db) { return t_data[db]; }

void mark_written(const std::string& db) {
  auto& sd = data_for(db);
  sd.dirty = true;
  sd.token.written_at_ms = now_ms();
}

// ---- Session state replay ----------------------------------------------------------------------

std::atomic<bool> g_session_state_used{false};
std::mutex g_registry_mutex;
struct Applied {
  Clock::time_point created;
  std::size_t signature;
};
std::unordered_map<const Connection*, Applied> g_registry;

std::size_t registry_get(const Connection& c) {
  std::lock_guard lock(g_registry_mutex);
  auto it = g_registry.find(&c);
  if (it == g_registry.end() || it->second.created != c.created_at()) return 0;
  return it->second.signature;
}
void registry_set(const Connection& c, std::size_t signature) {
  std::lock_guard lock(g_registry_mutex);
  if (signature == 0)
    g_registry.erase(&c);
  else
    g_registry[&c] = Applied{c.created_at(), signature};
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  auto low = [](char ch) { return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch; };
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && low(hay[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

// Brings `c` to the session's recorded settings: RESET ALL, then each SET again (replicas keep
// default_transaction_read_only on whatever the session said). One round trip, only when the
// connection's applied settings differ from the session's.
void ensure_session_state(Connection& c, const SessionData& sd, bool replica) {
  if (!g_session_state_used.load(std::memory_order_relaxed)) return;
  if (c.dialect() != sql::Dialect::postgresql) return;
  const std::size_t have = registry_get(c);
  if (have == sd.sets_signature) return;
  std::string text = "RESET ALL";
  for (const auto& s : sd.sets) {
    if (replica && contains_ci(s, "read_only")) continue;
    text += ";\n";
    text += s;
  }
  if (replica || c.config().replica()) text += ";\nSET default_transaction_read_only = on";
  c.execute(text, std::span<const Value>{},
            ExecOptions{.name = "SESSION REPLAY", .route_reason = reason::session_replay});
  registry_set(c, sd.sets_signature);
}

std::size_t signature_of(const std::vector<std::string>& sets) {
  if (sets.empty()) return 0;
  std::size_t h = 1469598103934665603ull;
  for (const auto& s : sets) h = (h ^ std::hash<std::string>{}(s)) * 1099511628211ull;
  return h ? h : 1;
}

// ---- Helpers ----------------------------------------------------------------------------------

// Runs one internal statement on a leased PostgreSQL connection, outside the instrumented path
// (the library's own bookkeeping: positions, cleanup). Returns the first value or nullopt.
std::optional<std::string> raw_scalar(Connection& c, const char* sql) {
  PGconn* pg = c.pg_handle();
  if (!pg) return std::nullopt;
  PGresult* r = PQexec(pg, sql);
  std::optional<std::string> out;
  if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
    out = PQgetvalue(r, 0, 0);
  else if (r && PQresultStatus(r) == PGRES_COMMAND_OK)
    out = "";
  PQclear(r);
  return out;
}

std::string primary_unavailable(const ReplicaSet& set, std::string_view detail) {
  std::string msg = "primary database '" + set.writer_name() +
                    "' is unavailable: writes cannot be served (reads continue on replicas)";
  if (!detail.empty()) msg += ": " + std::string(detail);
  return msg;
}

std::vector<ReplicaSet::Member> members_for(const RouterState& st, const ConnectionClass& owner,
                                            const PoolKey& key, const DatabaseConfig& writer) {
  std::vector<ReplicaSet::Member> out;
  auto resolve = [&](const std::string& name, double weight) {
    auto cfg = st.configs->find(st.env, name);
    if (!cfg)
      throw ConfigurationError("database '" + writer.name() + "' (" + writer.source() +
                               "): `replicas` names '" + name +
                               "', which is not configured in environment '" + st.env + "'");
    out.push_back({*cfg, weight});
  };
  if (const auto* list = writer.get("replicas"); list && list->is_array() && !list->empty()) {
    for (const auto& item : *list) {
      if (item.is_string()) {
        resolve(item.get<std::string>(), 1.0);
      } else if (item.is_object()) {
        std::string name;
        for (const char* k : {"name", "database"})
          if (item.contains(k) && item[k].is_string()) name = item[k].get<std::string>();
        if (name.empty())
          throw ConfigurationError("database '" + writer.name() + "' (" + writer.source() +
                                   "): each `replicas` entry needs a name");
        double weight = item.contains("weight") && item["weight"].is_number()
                            ? item["weight"].get<double>()
                            : 1.0;
        resolve(name, weight);
      }
    }
    return out;
  }
  // No list: the reading database the class declared for this shard.
  if (auto reading = owner.database_for(kReadingRole, key.shard)) {
    auto cfg = st.configs->find(st.env, *reading);
    if (cfg) {
      double weight = cfg->number("weight").value_or(1.0);
      out.push_back({*cfg, weight});
    }
  }
  return out;
}

std::shared_ptr<ReplicaSet> set_for(const ConnectionClass& owner, const PoolKey& key,
                                    const std::shared_ptr<ConnectionPool>& pool) {
  {
    std::shared_lock lock(g_mutex);
    auto it = g_state.by_pool.find(pool.get());
    if (it != g_state.by_pool.end() && it->second.pool.lock() == pool) return it->second.set;
  }
  std::unique_lock lock(g_mutex);
  auto it = g_state.by_pool.find(pool.get());
  if (it != g_state.by_pool.end() && it->second.pool.lock() == pool) return it->second.set;
  std::shared_ptr<ReplicaSet> set;
  const DatabaseConfig& writer = pool->db_config();
  if (g_state.configs && proxy_enabled(writer)) {
    auto members = members_for(g_state, owner, key, writer);
    std::string id = writer.env_name() + "/" + writer.name() + "|" + key.shard;
    for (const auto& m : members) id += "|" + m.config.name();
    auto& slot = g_state.sets[id];
    if (!slot)
      slot = std::make_shared<ReplicaSet>(writer, std::move(members),
                                          RoutingSettings::from_config(writer), key.connection_name,
                                          key.shard);
    set = slot;
  }
  g_state.by_pool[pool.get()] = PoolEntry{pool, set};
  return set;
}

// The primary's cluster identity, which tokens are tagged with (asked once per replica set).
void learn_identity(Connection& primary, ReplicaSet& set) {
  auto sid = raw_scalar(primary, "SELECT system_identifier::text FROM pg_control_system()");
  auto tli = raw_scalar(primary, "SELECT timeline_id::text FROM pg_control_checkpoint()");
  set.observe_primary_identity(
      sid ? std::strtoull(sid->c_str(), nullptr, 10) : 0,
      tli ? static_cast<std::uint32_t>(std::strtoul(tli->c_str(), nullptr, 10)) : 0);
}

// Captures the primary's WAL insert position for a session that wrote (lazily: right before a
// read wants a replica, or at export). Any later position is as good as the commit's own: the
// write finished before this runs. False when the primary cannot be asked.
bool capture_position(SessionData& sd, ReplicaSet& set, ConnectionPool& writer_pool) {
  if (set.dialect() != sql::Dialect::postgresql) {
    sd.dirty = false;
    return true;
  }
  try {
    Lease l = writer_pool.lease();
    auto text = raw_scalar(*l, (std::string("SELECT ") + kCommittedWalPosition).c_str());
    auto lsn = text ? parse_lsn(*text) : std::nullopt;
    if (!lsn) return false;
    if (!set.system_identifier()) learn_identity(*l, set);
    WalToken t;
    t.system_identifier = set.system_identifier();
    t.timeline = set.timeline();
    t.lsn = *lsn;
    t.written_at_ms = sd.token.written_at_ms;
    sd.token.merge(t);
    sd.dirty = false;
    // Also the unit of work's tokens (context/wal_position.hpp), so that what carries them — the
    // HTTP selector's cookie, capture_context() for a job — carries proxy-mode writes too.
    if (t.system_identifier)
      record_wal_token(::switchyard::WalToken{{t.system_identifier, t.timeline}, t.lsn});
    return true;
  } catch (const Error&) {
    return false;
  }
}

// ---- Execution ----------------------------------------------------------------------------------

struct Route {
  const ConnectionClass& klass;
  std::string_view sql;
  std::span<const Value> binds;
  const ExecOptions& options;
  ReplicaSet& set;
  const std::shared_ptr<ConnectionPool>& writer_pool;
  SessionData& sd;
  SessionLeases& sl;
  bool in_txn;
};

Result run_on_primary(Route& r, const StatementDecision& d, std::string_view why) {
  const std::string& db = r.set.writer_name();
  if (!r.in_txn && !r.sl.pin && r.set.primary_down())
    throw ConnectionNotEstablished(primary_unavailable(r.set, r.set.primary_error()));
  Lease lease;
  try {
    lease = r.writer_pool->lease();
  } catch (const ConnectionTimeoutError&) {
    throw;
  } catch (const ConnectionNotEstablished& e) {
    r.set.report_primary_failure(e.what());
    throw ConnectionNotEstablished(primary_unavailable(r.set, e.what()));
  }
  Connection& c = *lease;
  if (d.pins_session && !r.sl.pin && !r.in_txn) r.sl.pin = r.writer_pool->lease();
  if (!r.in_txn && d.classified) ensure_session_state(c, r.sd, false);
  ExecOptions o = r.options;
  o.route_reason = why;
  count("primary", why, c.identity().node);
  Result result;
  // A lost connection alone does not mark the primary down (a terminated backend is not an
  // outage): the probe decides, within one interval.
  result = c.execute(r.sql, r.binds, o);
  if (!r.in_txn) {
    if (d.clears_session_state) {
      r.sd.sets.clear();
      r.sd.sets_signature = 0;
      registry_set(c, 0);
    } else if (d.record_session_state) {
      g_session_state_used.store(true, std::memory_order_relaxed);
      r.sd.sets.emplace_back(r.sql);
      if (r.sd.sets.size() > 256) r.sd.sets.erase(r.sd.sets.begin());
      r.sd.sets_signature = signature_of(r.sd.sets);
      registry_set(c, r.sd.sets_signature);
    }
  }
  // Stickiness: a write counts once it is committed.
  const int depth = c.transaction_depth();
  const bool raw_txn = depth == 0 && !c.broken() && c.server_in_transaction();
  if (depth > 0) {
    if (!r.sl.commit_hook) {
      r.sl.commit_hook = true;
      std::string name = db;
      c.add_transaction_callbacks(
          [name] {
            mark_written(name);
            t_leases[name].commit_hook = false;
          },
          [name] { t_leases[name].commit_hook = false; });
    }
  } else if (raw_txn) {
    // BEGIN sent as SQL: hold the connection until the transaction ends, or the pool's reset
    // would roll it back between statements.
    if (!r.sl.txn) r.sl.txn = r.writer_pool->lease();
  } else {
    if (r.sl.txn) {
      r.sl.txn.release();  // COMMIT / ROLLBACK: count it as a write, conservatively
      mark_written(db);
    } else if (d.is_write || (!d.classified && r.in_txn)) {
      mark_written(db);
    }
  }
  return result;
}

// The bounded wait: ask the most advanced usable replica directly until it has replayed the
// token or sticky_wait is spent. Returns the replica index and its lease on success.
std::optional<std::pair<std::size_t, Lease>> wait_for_replica(Route& r,
                                                              const std::vector<ReplicaView>& views,
                                                              Lsn target) {
  const auto budget = r.set.settings().sticky_wait;
  if (budget.count() <= 0 || r.set.dialect() != sql::Dialect::postgresql) return std::nullopt;
  int best = -1;
  for (std::size_t i = 0; i < views.size(); ++i) {
    const auto& v = views[i];
    if (!v.healthy || !v.lag_ok || v.excluded) continue;
    if (best < 0 || v.replay_lsn > views[static_cast<std::size_t>(best)].replay_lsn)
      best = static_cast<int>(i);
  }
  if (best < 0) return std::nullopt;
  const auto idx = static_cast<std::size_t>(best);
  const auto start = Clock::now();
  bool hit = false;
  Lease lease;
  try {
    lease = r.set.pool(idx).lease();
    for (;;) {
      auto text = raw_scalar(*lease, "SELECT pg_last_wal_replay_lsn()::text");
      auto lsn = text ? parse_lsn(*text) : std::nullopt;
      if (!lsn) break;
      r.set.observe_replay_lsn(idx, *lsn);
      if (*lsn >= target) {
        hit = true;
        break;
      }
      if (Clock::now() - start >= budget) break;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  } catch (const Error&) {
  }
  {
    std::lock_guard lock(g_counters.mutex);
    ++g_counters.sticky_waits;
    if (hit) ++g_counters.sticky_wait_hits;
    g_counters.sticky_wait_ms +=
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  if (!hit) return std::nullopt;
  return std::make_pair(idx, std::move(lease));
}

// The session's token, raised to the unit of work's token for the same cluster and timeline (one
// carried in by the HTTP selector's cookie or a job's captured context). A copy: the carried
// token belongs to this unit of work only, never to the thread's later ones.
WalToken with_context_token(const WalToken& own, ReplicaSet& set, ConnectionPool& writer_pool) {
  WalToken out = own;
  const auto& carried = current_wal_tokens();
  if (carried.empty() || set.dialect() != sql::Dialect::postgresql) return out;
  if (!set.system_identifier()) {
    try {
      Lease l = writer_pool.lease();
      learn_identity(*l, set);
    } catch (const Error&) {
      return out;  // the primary is unreachable: its token cannot be matched (nor served)
    }
  }
  if (!set.system_identifier()) return out;
  const auto* c = carried.find(set.system_identifier());
  if (!c || (c->cluster.timeline_id && set.timeline() && c->cluster.timeline_id != set.timeline()))
    return out;
  if (c->lsn > out.lsn) {
    out.lsn = c->lsn;
    out.system_identifier = set.system_identifier();
    out.timeline = set.timeline();
  }
  return out;
}

Result run_read(Route& r, const StatementDecision& d) {
  const auto& settings = r.set.settings();
  const std::string& db = r.set.writer_name();
  WalToken effective;
  WalToken* token = nullptr;
  std::string_view why = d.reason;
  bool ignore_token = false;
  if (settings.stickiness == Stickiness::wal) {
    if (r.sd.dirty && !capture_position(r.sd, r.set, *r.writer_pool)) {
      // The write's position is unknown. With the primary gone the replicas are all there is.
      if (!r.set.primary_down()) return run_on_primary(r, d, reason::sticky_lsn_unknown);
      ignore_token = true;
    }
    WalToken& t = r.sd.token;
    if (t.lsn && t.system_identifier && r.set.system_identifier() &&
        (t.system_identifier != r.set.system_identifier() ||
         (t.timeline && r.set.timeline() && t.timeline != r.set.timeline()))) {
      // Failover or another cluster: the position means nothing here.
      emit("routing.token_dropped", {{"database", db},
                                     {"token_timeline", t.timeline},
                                     {"timeline", r.set.timeline()}});
      t.lsn = 0;
      std::lock_guard lock(g_counters.mutex);
      ++g_counters.tokens_dropped;
    }
    if (t.lsn && r.set.all_replayed(t.lsn)) t.lsn = 0;  // every replica has it: unstick
    effective = with_context_token(t, r.set, *r.writer_pool);
    if (effective.lsn && !r.set.all_replayed(effective.lsn) && !ignore_token) token = &effective;
  }
  std::vector<bool> tried(r.set.size(), false);
  bool waited = false;
  for (std::size_t attempt = 0; attempt <= r.set.size() + 1; ++attempt) {
    auto views = r.set.views(token);
    for (std::size_t i = 0; i < views.size(); ++i) views[i].excluded = tried[i];
    Selection sel = select_replica(views, settings.load_balancing, r.set.next_ticket());
    Lease lease;
    std::size_t idx = 0;
    if (sel.index >= 0) {
      idx = static_cast<std::size_t>(sel.index);
    } else if (sel.reason == reason::sticky_lsn_not_replayed && !waited && token) {
      waited = true;
      auto got = wait_for_replica(r, views, token->lsn);
      if (!got) {
        if (r.set.primary_down()) {
          // Nothing better exists: the most advanced replica, flagged.
          token = nullptr;
          why = reason::primary_down;
          continue;
        }
        return run_on_primary(r, d, reason::sticky_lsn_not_replayed);
      }
      idx = got->first;
      lease = std::move(got->second);
      why = reason::sticky_lsn_caught_up;
    } else {
      if (sel.reason == reason::all_replicas_down) {
        {
          std::lock_guard lock(g_counters.mutex);
          ++g_counters.all_down_reads;
        }
        if (r.set.note_all_down(true))
          emit("routing.all_replicas_down", {{"database", db}});
      }
      if (r.set.primary_down() && sel.reason == reason::sticky_lsn_not_replayed) {
        token = nullptr;
        why = reason::primary_down;
        continue;
      }
      return run_on_primary(r, d, sel.reason);
    }
    if (r.set.note_all_down(false)) emit("routing.replicas_available", {{"database", db}});
    tried[idx] = true;
    try {
      if (!lease) lease = r.set.pool(idx).lease();
      Connection& c = *lease;
      ensure_session_state(c, r.sd, true);
      ExecOptions o = r.options;
      o.route_reason = why;
      count("replica", why, c.identity().node);
      r.set.begin_statement(idx);
      struct End {
        ReplicaSet& s;
        std::size_t i;
        ~End() { s.end_statement(i); }
      } end{r.set, idx};
      Result result = c.execute(r.sql, r.binds, o);
      r.set.report_success(idx);
      return result;
    } catch (const ConnectionTimeoutError&) {
      why = reason::replica_down;  // busy: the node is fine, try another
    } catch (const ConnectionNotEstablished& e) {
      r.set.report_failure(idx, e.what());
      why = reason::replica_down;
    } catch (const StatementInvalid& e) {
      // Results are materialized: a failed statement delivered nothing, so it may run again.
      switch (classify_sqlstate(e.sqlstate())) {
        case FailureKind::node_unhealthy:
          r.set.report_failure(idx, e.what());
          why = reason::replica_down;
          break;
        case FailureKind::recovery_conflict:
          why = reason::recovery_conflict_retry;
          break;
        case FailureKind::read_only:
          emit("routing.replica_refused_write",
               {{"database", db}, {"node", r.set.replica_name(idx)}, {"sql", std::string(r.sql)}});
          return run_on_primary(r, d, reason::replica_read_only_error);
        case FailureKind::busy:
        case FailureKind::none:
          throw;
      }
    }
    r.set.count_retry(idx);
    std::lock_guard lock(g_counters.mutex);
    ++g_counters.retries;
  }
  return run_on_primary(r, d, reason::replica_down);
}

std::optional<Result> route_statement(const ConnectionClass& klass, std::string_view sql,
                                      std::span<const Value> binds, const ExecOptions& options) {
  if (!g_installed.load(std::memory_order_acquire)) return std::nullopt;
  const ConnectionClass& owner = klass.connection_class_for_self();
  PoolKey key{owner.name(), kWritingRole, current_shard(klass)};
  auto writer_pool = connection_handler().retrieve_connection_pool(key);
  if (!writer_pool) return std::nullopt;
  auto set = set_for(owner, key, writer_pool);
  if (!set) return std::nullopt;  // not in proxy mode

  if (has_explicit_role(klass)) {
    Lease l = lease_connection(klass);
    ExecOptions o = options;
    o.route_reason = reason::explicit_connected_to;
    count("explicit", reason::explicit_connected_to, l->identity().node);
    return l->execute(sql, binds, o);
  }

  // The pool's per-thread bookkeeping exists before t_leases (destruction order at exit).
  const bool held = writer_pool->held_by_current_thread();
  const std::string& db = set->writer_name();
  t_leases_ready = true;
  SessionLeases& sl = t_leases[db];
  SessionData& sd = data_for(db);
  sd.writer_pool = writer_pool;
  sd.set = set;
  bool in_txn = false;
  if (held) {
    Lease l = writer_pool->lease();
    in_txn = l->transaction_depth() > 0 || (!l->broken() && l->server_in_transaction());
  }
  if (sl.pin && sl.pin->broken()) sl.pin.release();  // the pinned connection died: state is gone

  SessionView view;
  view.in_transaction = in_txn;
  view.session_pinned = static_cast<bool>(sl.pin);
  if (set->settings().stickiness == Stickiness::time && sd.token.written_at_ms)
    view.sticky_time_window =
        now_ms() - sd.token.written_at_ms < set->settings().proxy_delay.count();
  StatementDecision d = decide(sql::default_classifier(set->dialect()), sql, view);

  Route r{klass, sql, binds, options, *set, writer_pool, sd, sl, in_txn};
  if (d.target == Target::replica) return run_read(r, d);
  if (set->primary_down() && !in_txn && !sl.pin && d.classified &&
      d.classification.route == sql::Route::replica) {
    // A read held on the primary by stickiness: the primary is gone, the replicas remain.
    d.target = Target::replica;
    d.reason = reason::primary_down;
    return run_read(r, d);
  }
  return run_on_primary(r, d, d.reason);
}

void release_pins() {
  if (!t_leases_ready) return;
  for (auto& [db, sl] : t_leases) {
    if (!sl.pin) continue;
    Connection& c = *sl.pin;
    if (!c.broken() && !c.server_in_transaction() &&
        c.dialect() == sql::Dialect::postgresql) {
      // What pinned the session goes with it; the connection returns clean to the pool.
      raw_scalar(c,
                 "CLOSE ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP; "
                 "DISCARD SEQUENCES");
    }
    sl.pin.release();
  }
}

}  // namespace

bool has_explicit_role(const ConnectionClass& klass) {
  const ConnectionClass& owner = klass.connection_class_for_self();
  for (const auto& frame : connected_to_stack()) {
    if (!frame.role) continue;
    for (const auto* c : frame.classes)
      if (c->is_base() || c == &owner) return true;
  }
  return false;
}

void install(const DatabaseConfigurations& configs, std::string env) {
  {
    std::unique_lock lock(g_mutex);
    g_state.configs = std::make_shared<const DatabaseConfigurations>(configs);
    g_state.env = env.empty() ? configs.env() : std::move(env);
    g_state.sets.clear();
    g_state.by_pool.clear();
  }
  set_statement_executor(route_statement);
  g_installed.store(true, std::memory_order_release);
}

void uninstall() {
  g_installed.store(false, std::memory_order_release);
  set_statement_executor(nullptr);
  std::map<std::string, std::shared_ptr<ReplicaSet>> old;
  {
    std::unique_lock lock(g_mutex);
    old.swap(g_state.sets);
    g_state.by_pool.clear();
    g_state.configs.reset();
  }
  // `old` goes here: probe threads stop once no statement uses their set any more.
}

bool installed() noexcept { return g_installed.load(); }

void unpin() { release_pins(); }

bool pinned(std::string_view database) {
  if (!t_leases_ready) return false;
  auto it = t_leases.find(database);
  return it != t_leases.end() && static_cast<bool>(it->second.pin);
}

void reset_session() {
  release_pins();
  if (t_leases_ready)
    for (auto& [db, sl] : t_leases) sl.txn.release();
  t_data.clear();
  set_current_wal_tokens({});
}

UnitOfWork::UnitOfWork(std::string_view token) : enclosing_(current_wal_tokens()) {
  if (!token.empty()) import_token(token);
}
UnitOfWork::~UnitOfWork() {
  reset_session();
  set_current_wal_tokens(std::move(enclosing_));
}

std::string export_token() {
  TokenSet tokens;
  for (auto& [db, sd] : t_data) {
    if (sd.dirty) {
      auto pool = sd.writer_pool.lock();
      auto set = sd.set.lock();
      if (pool && set) capture_position(sd, *set, *pool);
    }
    if (!sd.token.empty()) tokens.emplace(db, sd.token);
  }
  std::lock_guard lock(g_secret_mutex);
  return serialize_tokens(tokens, g_secret);
}

bool import_token(std::string_view token) {
  std::string secret;
  {
    std::lock_guard lock(g_secret_mutex);
    secret = g_secret;
  }
  auto parsed = parse_tokens(token, secret);
  if (!parsed) return false;
  for (const auto& [db, t] : *parsed) data_for(db).token.merge(t);
  return true;
}

void set_token_secret(std::string secret) {
  std::lock_guard lock(g_secret_mutex);
  g_secret = std::move(secret);
}

std::optional<WalToken> current_token(std::string_view database) {
  auto it = t_data.find(database);
  if (it == t_data.end() || it->second.token.empty()) return std::nullopt;
  return it->second.token;
}

std::shared_ptr<ReplicaSet> replica_set(std::string_view writer_database) {
  std::shared_lock lock(g_mutex);
  for (const auto& [id, set] : g_state.sets)
    if (set->writer_name() == writer_database) return set;
  return nullptr;
}

RoutingMetrics metrics() {
  RoutingMetrics m;
  {
    std::lock_guard lock(g_counters.mutex);
    m.by_route.insert(g_counters.by_route.begin(), g_counters.by_route.end());
    m.by_reason.insert(g_counters.by_reason.begin(), g_counters.by_reason.end());
    m.by_node.insert(g_counters.by_node.begin(), g_counters.by_node.end());
    m.retries = g_counters.retries;
    m.all_replicas_down_reads = g_counters.all_down_reads;
    m.sticky_waits = g_counters.sticky_waits;
    m.sticky_wait_hits = g_counters.sticky_wait_hits;
    m.sticky_wait_ms = g_counters.sticky_wait_ms;
    m.tokens_dropped = g_counters.tokens_dropped;
  }
  std::vector<std::shared_ptr<ReplicaSet>> sets;
  {
    std::shared_lock lock(g_mutex);
    for (const auto& [id, set] : g_state.sets) sets.push_back(set);
  }
  for (const auto& set : sets) {
    ReplicaSetMetrics s;
    s.database = set->writer_name();
    s.primary_down = set->primary_down();
    s.primary_lsn = set->primary_lsn() ? format_lsn(set->primary_lsn()) : "";
    s.all_replicas_down = set->all_down();
    s.replicas = set->snapshot();
    m.sets.push_back(std::move(s));
  }
  return m;
}

void reset_metrics() {
  std::lock_guard lock(g_counters.mutex);
  g_counters.by_route.clear();
  g_counters.by_reason.clear();
  g_counters.by_node.clear();
  g_counters.retries = g_counters.all_down_reads = g_counters.sticky_waits =
      g_counters.sticky_wait_hits = g_counters.tokens_dropped = 0;
  g_counters.sticky_wait_ms = 0;
}

nlohmann::json RoutingMetrics::to_json() const {
  nlohmann::json j;
  j["by_route"] = by_route;
  j["by_reason"] = by_reason;
  j["by_node"] = by_node;
  j["retries"] = retries;
  j["all_replicas_down_reads"] = all_replicas_down_reads;
  j["sticky_waits"] = sticky_waits;
  j["sticky_wait_hits"] = sticky_wait_hits;
  j["sticky_wait_ms"] = sticky_wait_ms;
  j["tokens_dropped"] = tokens_dropped;
  j["sets"] = nlohmann::json::array();
  for (const auto& s : sets) {
    nlohmann::json js{{"database", s.database},
                      {"primary_down", s.primary_down},
                      {"primary_lsn", s.primary_lsn},
                      {"all_replicas_down", s.all_replicas_down},
                      {"replicas", nlohmann::json::array()}};
    for (const auto& r : s.replicas)
      js["replicas"].push_back({{"node", r.name},
                                {"state", std::string(to_string(r.state))},
                                {"in_recovery", r.in_recovery},
                                {"replay_lsn", r.replay_lsn ? format_lsn(r.replay_lsn) : ""},
                                {"lag_bytes", r.lag_bytes},
                                {"lag_seconds", r.lag_seconds},
                                {"outstanding", r.outstanding},
                                {"statements", r.statements},
                                {"failures", r.failures},
                                {"retries", r.retries},
                                {"weight", r.weight},
                                {"last_error", r.last_error}});
    j["sets"].push_back(std::move(js));
  }
  return j;
}

}  // namespace switchyard::routing

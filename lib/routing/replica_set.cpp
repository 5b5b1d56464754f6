#include "switchyard/context/wal_position.hpp"
#include "switchyard/routing/replica_set.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>

#include "switchyard/config/connection_params.hpp"
#include "switchyard/instrument/notifications.hpp"

namespace switchyard::routing {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds seconds_setting(const DatabaseConfig& c, const std::string& key,
                                          std::chrono::milliseconds fallback) {
  auto v = c.number(key);
  if (!v || *v < 0) return fallback;
  return std::chrono::milliseconds(static_cast<std::int64_t>(*v * 1000.0 + 0.5));
}

std::string probe_conninfo(const DatabaseConfig& config) {
  // Defaults first: libpq lets a later keyword override an earlier one.
  return "connect_timeout=2 application_name=switchyard-probe " + pg_conninfo(config);
}

// One row of text values; nullopt on any error (the message goes to `error`).
std::optional<std::vector<std::string>> query_row(PGconn* conn, const char* sql,
                                                  std::string& error) {
  PGresult* r = PQexec(conn, sql);
  if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
    error = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    PQclear(r);
    return std::nullopt;
  }
  std::vector<std::string> row;
  for (int c = 0; c < PQnfields(r); ++c)
    row.emplace_back(PQgetisnull(r, 0, c) ? "" : PQgetvalue(r, 0, c));
  PQclear(r);
  return row;
}

PGconn* connect(const DatabaseConfig& config, std::string& error) {
  PGconn* c = PQconnectdb(probe_conninfo(config).c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    PQfinish(c);
    return nullptr;
  }
  return c;
}

void emit(const std::string& name, nlohmann::json payload) {
  instrument::emit(instrument::Event{name, std::move(payload)});
}

}  // namespace

RoutingSettings RoutingSettings::from_config(const DatabaseConfig& w) {
  RoutingSettings s;
  const bool sqlite = sql::dialect_for_adapter(w.adapter()) == sql::Dialect::sqlite3;
  auto stick = w.string("stickiness");
  s.stickiness = sqlite                       ? Stickiness::time
                 : (stick && *stick == "time") ? Stickiness::time
                                               : Stickiness::wal;
  s.proxy_delay = seconds_setting(w, "proxy_delay", s.proxy_delay);
  s.sticky_wait = seconds_setting(w, "sticky_wait", s.sticky_wait);
  s.probe_interval = seconds_setting(w, "replica_probe_interval", s.probe_interval);
  if (s.probe_interval < std::chrono::milliseconds(10)) s.probe_interval = std::chrono::milliseconds(10);
  if (auto lb = w.string("load_balancing")) s.load_balancing = load_balancing_from(*lb);
  if (auto b = w.integer("max_lag_bytes")) s.max_lag_bytes = *b;
  if (auto sec = w.number("max_lag_seconds")) s.max_lag_seconds = *sec;
  if (auto b = w.boolean("replicas_must_be_standbys")) s.replicas_must_be_standbys = *b;
  if (const auto* cb = w.get("circuit_breaker"); cb && cb->is_object()) {
    auto ms = [&](const char* key, std::chrono::milliseconds fallback) {
      auto it = cb->find(key);
      if (it == cb->end() || !it->is_number() || it->get<double>() < 0) return fallback;
      return std::chrono::milliseconds(static_cast<std::int64_t>(it->get<double>() * 1000 + 0.5));
    };
    s.breaker.base_backoff = ms("base_backoff", s.breaker.base_backoff);
    s.breaker.max_backoff = ms("max_backoff", s.breaker.max_backoff);
    if (auto it = cb->find("failure_threshold"); it != cb->end() && it->is_number_integer())
      s.breaker.failure_threshold = std::max(1, it->get<int>());
  }
  return s;
}

bool proxy_enabled(const DatabaseConfig& config) {
  const std::string adapter = config.adapter();
  if (adapter.size() > 6 && adapter.compare(adapter.size() - 6, 6, "_proxy") == 0) return true;
  auto p = config.boolean("proxy");
  return p && *p;
}

std::string_view to_string(BreakerState state) noexcept {
  switch (state) {
    case BreakerState::closed: return "closed";
    case BreakerState::open: return "open";
    case BreakerState::half_open: return "half_open";
  }
  return "closed";
}

struct ReplicaSet::Replica {
  DatabaseConfig config;
  double weight = 1.0;
  std::shared_ptr<ConnectionPool> pool;

  std::atomic<bool> usable{true};  // breaker closed
  std::atomic<bool> in_recovery{false};
  std::atomic<bool> not_standby{false};  // probed out of recovery while standbys are required
  std::atomic<bool> position_known{false};
  std::atomic<Lsn> replay_lsn{0};
  std::atomic<std::uint64_t> sysid{0};
  std::atomic<std::int64_t> lag_bytes{-1};
  std::atomic<double> lag_seconds{-1};
  std::atomic<std::int64_t> outstanding{0};
  std::atomic<std::uint64_t> statements{0}, failures{0}, retries{0};
  std::atomic<int> consecutive_failures{0};

  mutable std::mutex mutex;  // breaker state below
  BreakerState state = BreakerState::closed;
  Clock::time_point open_until{};
  std::chrono::milliseconds backoff{0};
  std::string last_error;

  PGconn* probe = nullptr;  // probe thread only
};

ReplicaSet::ReplicaSet(DatabaseConfig writer, std::vector<Member> members,
                       RoutingSettings settings, std::string connection_name, std::string shard)
    : writer_(std::move(writer)),
      settings_(settings),
      dialect_(sql::dialect_for_adapter(writer_.adapter())) {
  for (auto& m : members) {
    auto r = std::make_unique<Replica>();
    // Replicas are opened read-only at the database level even when their config forgot
    // `replica: true`: the router only sends proven reads, the server enforces it again.
    nlohmann::json settings_json = m.config.settings();
    settings_json["replica"] = true;
    r->config = DatabaseConfig(m.config.env_name(), m.config.name(), std::move(settings_json),
                               m.config.source());
    r->weight = m.weight;
    r->backoff = settings_.breaker.base_backoff;
    // Logs read "[animals reading]{animals_replica_2}": the logical database, then the node.
    r->pool = ConnectionPool::create(
        r->config, ConnectionIdentity{connection_name, "reading", shard, writer_.name(),
                                      r->config.name()});
    replicas_.push_back(std::move(r));
  }
  if (dialect_ == sql::Dialect::postgresql) {
    probe_now();  // positions known before the first read
    probe_thread_ = std::thread([this] { probe_loop(); });
  }
}

ReplicaSet::~ReplicaSet() {
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (probe_thread_.joinable()) probe_thread_.join();
  for (auto& r : replicas_)
    if (r->probe) PQfinish(r->probe);
  if (primary_probe_conn_) PQfinish(static_cast<PGconn*>(primary_probe_conn_));
}

const std::string& ReplicaSet::replica_name(std::size_t i) const {
  return replicas_[i]->config.name();
}
ConnectionPool& ReplicaSet::pool(std::size_t i) const { return *replicas_[i]->pool; }

std::vector<ReplicaView> ReplicaSet::views(const WalToken* token) {
  std::vector<ReplicaView> out;
  out.reserve(replicas_.size());
  const bool probed = dialect_ == sql::Dialect::postgresql;
  const auto now = Clock::now();
  for (auto& rp : replicas_) {
    Replica& r = *rp;
    ReplicaView v;
    v.name = r.config.name();
    v.weight = r.weight;
    v.outstanding = r.outstanding.load(std::memory_order_relaxed);
    if (r.position_known.load(std::memory_order_acquire)) v.replay_lsn = r.replay_lsn.load();
    v.healthy = r.usable.load(std::memory_order_acquire);
    // Promoted (or never a standby): its data no longer follows the primary's. With the primary
    // gone it may be the freshest copy there is, so it serves again then.
    if (r.not_standby.load(std::memory_order_acquire) && !primary_down()) v.healthy = false;
    if (!v.healthy && !probed) {
      // No probe: the first statement after the backoff is the half-open trial.
      std::lock_guard lock(r.mutex);
      v.healthy = now >= r.open_until;
    }
    const std::int64_t lb = r.lag_bytes.load(std::memory_order_relaxed);
    const double ls = r.lag_seconds.load(std::memory_order_relaxed);
    if (settings_.max_lag_bytes && lb >= 0 && lb > *settings_.max_lag_bytes) v.lag_ok = false;
    if (settings_.max_lag_seconds && ls >= 0 && ls > *settings_.max_lag_seconds) v.lag_ok = false;
    if (token && token->lsn) {
      const std::uint64_t sid = r.sysid.load(std::memory_order_relaxed);
      v.covers = r.position_known.load(std::memory_order_acquire) &&
                 r.replay_lsn.load(std::memory_order_acquire) >= token->lsn &&
                 (!token->system_identifier || !sid || sid == token->system_identifier);
    }
    out.push_back(v);
  }
  return out;
}

bool ReplicaSet::all_replayed(Lsn lsn) const {
  bool any = false;
  for (const auto& r : replicas_) {
    if (!r->usable.load() || r->not_standby.load()) continue;
    if (!r->position_known.load() || r->replay_lsn.load() < lsn) return false;
    any = true;
  }
  return any;
}

void ReplicaSet::begin_statement(std::size_t i) noexcept {
  replicas_[i]->outstanding.fetch_add(1, std::memory_order_relaxed);
  replicas_[i]->statements.fetch_add(1, std::memory_order_relaxed);
}
void ReplicaSet::end_statement(std::size_t i) noexcept {
  replicas_[i]->outstanding.fetch_sub(1, std::memory_order_relaxed);
}
void ReplicaSet::count_retry(std::size_t i) noexcept {
  replicas_[i]->retries.fetch_add(1, std::memory_order_relaxed);
}

void ReplicaSet::report_success(std::size_t i) {
  Replica& r = *replicas_[i];
  if (r.usable.load(std::memory_order_acquire) &&
      r.consecutive_failures.load(std::memory_order_relaxed) == 0)
    return;
  r.consecutive_failures.store(0);
  if (!r.usable.load()) close_breaker(r);  // a half-open trial by a statement (no probe)
}

void ReplicaSet::report_failure(std::size_t i, const std::string& error) {
  Replica& r = *replicas_[i];
  r.failures.fetch_add(1, std::memory_order_relaxed);
  open_breaker(r, error);
}

void ReplicaSet::open_breaker(Replica& r, const std::string& error) {
  const int failures = r.consecutive_failures.fetch_add(1) + 1;
  bool transition = false;
  {
    std::lock_guard lock(r.mutex);
    r.last_error = error;
    if (r.state == BreakerState::closed) {
      if (failures < settings_.breaker.failure_threshold) return;
      r.backoff = settings_.breaker.base_backoff;
      transition = true;
    } else if (Clock::now() >= r.open_until) {
      // A failed half-open trial: back off longer.
      r.backoff = std::min(r.backoff * 2, settings_.breaker.max_backoff);
    } else {
      return;  // already open; concurrent failures of the same outage
    }
    r.state = BreakerState::open;
    r.open_until = Clock::now() + r.backoff;
    r.usable.store(false, std::memory_order_release);
  }
  // Connections from before the failure are dead or about to be.
  r.pool->disconnect();
  if (transition)
    emit("routing.replica_down",
         {{"database", writer_.name()}, {"node", r.config.name()}, {"error", error}});
}

void ReplicaSet::close_breaker(Replica& r) {
  {
    std::lock_guard lock(r.mutex);
    if (r.state == BreakerState::closed) return;
    r.state = BreakerState::closed;
    r.backoff = settings_.breaker.base_backoff;
    r.last_error.clear();
  }
  r.consecutive_failures.store(0);
  r.pool->disconnect();  // idle connections predate the outage
  r.usable.store(true, std::memory_order_release);
  emit("routing.replica_readmitted", {{"database", writer_.name()}, {"node", r.config.name()}});
}

bool ReplicaSet::trial_due(Replica& r) {
  std::lock_guard lock(r.mutex);
  if (r.state == BreakerState::closed) return true;
  if (Clock::now() < r.open_until) return false;
  r.state = BreakerState::half_open;
  return true;
}

void ReplicaSet::observe_replay_lsn(std::size_t i, Lsn lsn) {
  Replica& r = *replicas_[i];
  Lsn cur = r.replay_lsn.load();
  while (lsn > cur && !r.replay_lsn.compare_exchange_weak(cur, lsn)) {
  }
  r.position_known.store(true, std::memory_order_release);
}

void ReplicaSet::report_primary_failure(const std::string& error) {
  {
    std::lock_guard lock(primary_mutex_);
    primary_error_ = error;
  }
  if (!primary_down_.exchange(true))
    emit("routing.primary_down", {{"database", writer_.name()}, {"error", error}});
}

std::string ReplicaSet::primary_error() const {
  std::lock_guard lock(primary_mutex_);
  return primary_error_;
}

void ReplicaSet::observe_primary_identity(std::uint64_t sysid, std::uint32_t timeline) {
  if (sysid) sysid_.store(sysid);
  if (timeline) timeline_.store(timeline);
}

bool ReplicaSet::all_down() const {
  if (replicas_.empty()) return false;
  for (const auto& r : replicas_)
    if (r->usable.load()) return false;
  return true;
}

std::vector<ReplicaSnapshot> ReplicaSet::snapshot() const {
  std::vector<ReplicaSnapshot> out;
  for (const auto& r : replicas_) {
    ReplicaSnapshot s;
    s.name = r->config.name();
    {
      std::lock_guard lock(r->mutex);
      s.state = r->state;
      s.last_error = r->last_error;
    }
    s.in_recovery = r->in_recovery.load();
    s.replay_lsn = r->replay_lsn.load();
    s.lag_bytes = r->lag_bytes.load();
    s.lag_seconds = r->lag_seconds.load();
    s.outstanding = r->outstanding.load();
    s.statements = r->statements.load();
    s.failures = r->failures.load();
    s.retries = r->retries.load();
    s.weight = r->weight;
    out.push_back(std::move(s));
  }
  return out;
}

void ReplicaSet::probe_loop() {
  std::unique_lock lock(stop_mutex_);
  while (!stop_) {
    if (stop_cv_.wait_for(lock, settings_.probe_interval, [this] { return stop_; })) break;
    lock.unlock();
    probe_now();
    lock.lock();
  }
}

void ReplicaSet::probe_now() {
  if (dialect_ != sql::Dialect::postgresql) return;
  std::lock_guard lock(probe_mutex_);
  probe_primary();
  for (auto& r : replicas_) probe_replica(*r);
}

void ReplicaSet::probe_primary() {
  auto* conn = static_cast<PGconn*>(primary_probe_conn_);
  std::string error;
  if (conn && PQstatus(conn) != CONNECTION_OK) {
    PQfinish(conn);
    conn = nullptr;
  }
  if (!conn) conn = connect(writer_, error);
  primary_probe_conn_ = conn;
  if (!conn) {
    report_primary_failure(error);
    return;
  }
  auto row = query_row(conn, (std::string("SELECT ") + kCommittedWalPosition).c_str(), error);
  if (!row) {
    // In recovery (a demoted primary) this fails too: writes cannot go there either.
    PQfinish(conn);
    primary_probe_conn_ = nullptr;
    report_primary_failure(error);
    return;
  }
  if (auto lsn = parse_lsn((*row)[0])) primary_lsn_.store(*lsn);
  std::string ignored;
  if (auto id = query_row(conn,
                          "SELECT (SELECT system_identifier::text FROM pg_control_system()),"
                          " (SELECT timeline_id::text FROM pg_control_checkpoint())",
                          ignored))
    observe_primary_identity(std::strtoull((*id)[0].c_str(), nullptr, 10),
                             static_cast<std::uint32_t>(std::strtoul((*id)[1].c_str(), nullptr, 10)));
  if (primary_down_.exchange(false))
    emit("routing.primary_up", {{"database", writer_.name()}});
}

void ReplicaSet::probe_replica(Replica& r) {
  if (!r.usable.load() && !trial_due(r)) {
    if (r.probe) {
      PQfinish(r.probe);
      r.probe = nullptr;
    }
    return;
  }
  std::string error;
  if (r.probe && PQstatus(r.probe) != CONNECTION_OK) {
    PQfinish(r.probe);
    r.probe = nullptr;
  }
  if (!r.probe) r.probe = connect(r.config, error);
  std::optional<std::vector<std::string>> row;
  if (r.probe) {
    row = query_row(r.probe,
                    "SELECT pg_is_in_recovery()::text, pg_last_wal_replay_lsn()::text,"
                    " COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8,"
                    " -1)::text,"
                    " (SELECT system_identifier::text FROM pg_control_system())",
                    error);
    if (!row) {
      PQfinish(r.probe);
      r.probe = nullptr;
    }
  }
  if (!row) {
    open_breaker(r, error);
    return;
  }
  const bool recovering = (*row)[0] == "true";
  r.in_recovery.store(recovering);
  const bool outsider = !recovering && settings_.replicas_must_be_standbys;
  if (r.not_standby.exchange(outsider) != outsider)
    emit(outsider ? "routing.replica_not_standby" : "routing.replica_is_standby",
         {{"database", writer_.name()}, {"node", r.config.name()}});
  r.sysid.store(std::strtoull((*row)[3].c_str(), nullptr, 10));
  if (auto lsn = parse_lsn((*row)[1]); recovering && lsn) {
    Lsn cur = r.replay_lsn.load();
    while (*lsn > cur && !r.replay_lsn.compare_exchange_weak(cur, *lsn)) {
    }
    r.position_known.store(true, std::memory_order_release);
    const Lsn primary = primary_lsn_.load();
    const std::int64_t bytes =
        primary > *lsn ? static_cast<std::int64_t>(primary - *lsn) : 0;
    r.lag_bytes.store(primary ? bytes : -1);
    // Replay delay is meaningless on an idle primary: caught up means no lag.
    r.lag_seconds.store(bytes == 0 ? 0.0 : std::strtod((*row)[2].c_str(), nullptr));
  } else {
    // Not a standby (or promoted): no position to compare tokens with, no lag to speak of.
    r.position_known.store(false);
    r.lag_bytes.store(-1);
    r.lag_seconds.store(-1);
  }
  r.consecutive_failures.store(0);
  if (!r.usable.load()) close_breaker(r);
}

}  // namespace switchyard::routing

#include <thread>

#include "switchyard/context/wal_position.hpp"
#include "switchyard/sync/worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>

#include "switchyard/connection/connection.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/notifications.hpp"
#include "switchyard/sql/dialect.hpp"
#include "switchyard/sync/outbox.hpp"
#include "table_ops.hpp"

namespace switchyard::sync {

namespace {

using namespace std::chrono;
using detail::now_ms_sql;

constexpr std::size_t kMaxLagSamples = 200000;
constexpr std::size_t kIdsPerStatement = 1000;

std::string default_worker_id() {
  static std::atomic<unsigned> counter{0};
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" +
         std::to_string(++counter);
}

std::int64_t as_int(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&v)) return std::atoll(s->c_str());
  if (auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  return 0;
}

void quiet_rollback(Connection* conn) {
  if (!conn) return;
  while (conn->transaction_depth() > 0) {
    try {
      conn->rollback_transaction();
    } catch (...) {
    }
  }
}

std::string shorten(std::string s) {
  if (s.size() > 2000) s.resize(2000);
  return s;
}

// One claimed outbox row.
struct Claim {
  std::int64_t id;
  std::string key;
  std::int64_t enqueued_at;
  int attempts;
};

}  // namespace

struct Worker::Impl {
  TableSync spec;
  WorkerOptions opt;
  std::unique_ptr<Connection> src, replica, tgt;
  std::optional<detail::Plan> plan;
  bool tgt_state_table = false;
  std::size_t current_batch = 0;
  std::string claim_lsn;  // WAL position covering the commits of the claimed rows (PostgreSQL)
  bool replica_behind = false;  // the replica missed the last wait: check once, do not wait
  milliseconds backoff{0};              // target/source unavailable backoff (0: healthy)
  steady_clock::time_point resume_at{};
  mutable std::mutex stats_mutex;
  WorkerStats stats;
  std::size_t lag_cursor = 0;
  std::mt19937 rng{std::random_device{}()};

  Impl(TableSync s, WorkerOptions o) : spec(std::move(s)), opt(std::move(o)) {
    if (opt.worker_id.empty()) opt.worker_id = default_worker_id();
    if (opt.batch_size == 0) opt.batch_size = 1;
    current_batch = opt.batch_size;
    if (opt.rows_per_second > 0)
      current_batch = std::min<std::size_t>(
          current_batch, std::max<std::size_t>(1, static_cast<std::size_t>(opt.rows_per_second)));
  }

  bool pg_source() const { return src && src->dialect() == sql::Dialect::postgresql; }

  void ensure_connections() {
    if (!src || src->broken()) {
      src.reset();
      src = detail::open_sync_connection(spec.source);
    }
    if (!tgt || tgt->broken()) {
      tgt.reset();
      tgt = detail::open_sync_connection(spec.target);
      tgt_state_table = tgt->dialect() == sql::Dialect::sqlite3 &&
                        detail::table_exists(*tgt, kStateTable);
    }
    if (!plan) {
      if (!outbox_installed(*src)) install_outbox(*src);
      plan = detail::make_plan(spec, *src, *tgt);
    }
  }

  // The connection to read records from: the replica when it has replayed `lsn`.
  Connection& reader(const std::string& lsn) {
    if (!spec.source_replica || lsn.empty()) return *src;
    try {
      if (!replica || replica->broken()) {
        replica.reset();
        replica = detail::open_sync_connection(*spec.source_replica, "reading");
      }
      if (replica->dialect() != sql::Dialect::postgresql) return *src;
      // A replica a little behind (our own claim bookkeeping is WAL too, and the WAL writer
      // flushes background records lazily) is worth a bounded wait; one that stayed behind last
      // time (paused, lagging) gets a single check until it has caught up again.
      const auto deadline = steady_clock::now() + (replica_behind ? milliseconds(0) : opt.replica_wait);
      for (;;) {
        auto r = replica->execute("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", {Value{lsn}},
                                  {.name = "SYNC Replica Check", .prepare = true});
        auto v = r.scalar();
        if (std::holds_alternative<bool>(v) && std::get<bool>(v)) {
          replica_behind = false;
          return *replica;
        }
        if (steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(milliseconds(5));
      }
      replica_behind = true;
    } catch (const std::exception& e) {
      replica.reset();
      detail::report("sync.replica_unavailable", spec, e.what());
    }
    return *src;
  }

  void record_unavailable(const std::exception& e) {
    backoff = backoff.count() == 0 ? milliseconds(100)
                                   : std::min(opt.unavailable_max, backoff * 2);
    resume_at = steady_clock::now() + backoff;
    {
      std::lock_guard lock(stats_mutex);
      ++stats.unavailable;
      stats.last_error = e.what();
    }
    detail::report("sync.unavailable", spec, e.what());
  }

  milliseconds retry_delay(int attempts) {
    double base = static_cast<double>(opt.retry_base.count());
    for (int i = 1; i < attempts && base < static_cast<double>(opt.retry_max.count()); ++i)
      base *= 2;
    base = std::min(base, static_cast<double>(opt.retry_max.count()));
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    return milliseconds(static_cast<std::int64_t>(base * jitter(rng)));
  }

  // ---- claiming -----------------------------------------------------------------------------

  std::vector<Claim> to_claims(const Result& r) {
    std::vector<Claim> out;
    for (const auto& row : r.rows)
      out.push_back({as_int(row[0]), to_text(row[1]), as_int(row[2]),
                     static_cast<int>(as_int(row[3]))});
    return out;
  }

  // PostgreSQL: inside the open source transaction. Sets `claim_lsn`.
  //
  // 1. Without locks, one statement picks the candidates: the first `limit` due rows and every
  //    other row of their keys, and reads the WAL insert position. Everything that statement
  //    sees committed before its snapshot, so the position covers the commit of every candidate
  //    (read later, it would also cover our own lock records, which a replica cannot replay
  //    before we commit).
  // 2. FOR UPDATE SKIP LOCKED locks the candidates still there and not taken by another worker.
  // 3. A transaction-level advisory lock per key: no two workers copy one key at once.
  std::vector<Claim> claim_pg(std::size_t limit) {
    const std::string now = now_ms_sql(sql::Dialect::postgresql);
    auto cand = src->execute(
        std::string("WITH first AS (SELECT record_key FROM ") + kOutboxTable +
            " WHERE table_name = $1 AND next_attempt_at <= " + now +
            " ORDER BY id LIMIT $2) SELECT o.id, " + kCommittedWalPosition + " FROM " +
            kOutboxTable + " o WHERE o.table_name = $1 AND o.record_key IN (SELECT record_key "
            "FROM first) ORDER BY o.id",
        {Value{spec.table}, Value{static_cast<std::int64_t>(limit)}},
        {.name = "SYNC Claim", .prepare = true});
    if (cand.rows.empty()) return {};
    claim_lsn = to_text(cand.rows.back()[1]);
    std::vector<std::int64_t> ids;
    for (const auto& row : cand.rows) ids.push_back(as_int(row[0]));
    std::vector<Claim> first;
    for_ids(ids, [&](const std::string& in, std::vector<Value>& binds) {
      auto got = to_claims(src->execute(
          std::string("SELECT id, record_key, enqueued_at, attempts FROM ") + kOutboxTable +
              " WHERE id IN (" + in + ") ORDER BY id FOR UPDATE SKIP LOCKED",
          binds, {.name = "SYNC Claim"}));
      for (auto& c : got) first.push_back(std::move(c));
    });
    if (first.empty()) return first;
    std::vector<std::string> keys;
    {
      std::set<std::string> seen;
      for (const auto& c : first)
        if (seen.insert(c.key).second) keys.push_back(c.key);
    }
    std::set<std::string> locked;
    for (std::size_t start = 0; start < keys.size(); start += kIdsPerStatement) {
      const std::size_t n = std::min(kIdsPerStatement, keys.size() - start);
      std::string sql = "SELECT k FROM (VALUES ";
      std::vector<Value> binds{Value{spec.table}};
      for (std::size_t i = 0; i < n; ++i) {
        sql += (i ? ", (" : "(") + sql::placeholder(static_cast<int>(i) + 2) + "::text)";
        binds.push_back(Value{keys[start + i]});
      }
      sql += ") v(k) WHERE pg_try_advisory_xact_lock(hashtextextended('switchyard_sync:' || "
             "$1::text || ':' || k, 0))";
      for (const auto& row : src->execute(sql, binds, {.name = "SYNC Claim"}).rows)
        locked.insert(to_text(row[0]));
    }
    std::vector<Claim> out;
    for (auto& c : first)
      if (locked.count(c.key)) out.push_back(std::move(c));
    return out;
  }

  // SQLite: leases committed at once (single writer: the claim statements are serialised).
  std::vector<Claim> claim_sqlite(std::size_t limit) {
    const std::string now = now_ms_sql(sql::Dialect::sqlite3);
    const Value lease{static_cast<std::int64_t>(opt.claim_lease.count())};
    auto first = to_claims(src->execute(
        std::string("UPDATE ") + kOutboxTable + " SET claimed_by = $1, claimed_until = " + now +
            " + $2 WHERE id IN (SELECT o.id FROM " + kOutboxTable +
            " o WHERE o.table_name = $3 AND o.next_attempt_at <= " + now +
            " AND (o.claimed_until IS NULL OR o.claimed_until < " + now +
            ") AND NOT EXISTS (SELECT 1 FROM " + kOutboxTable +
            " c WHERE c.table_name = o.table_name AND c.record_key = o.record_key AND "
            "c.claimed_until >= " + now + " AND c.claimed_by <> $1) ORDER BY o.id LIMIT $4) "
            "RETURNING id, record_key, enqueued_at, attempts",
        {Value{opt.worker_id}, lease, Value{spec.table}, Value{static_cast<std::int64_t>(limit)}},
        {.name = "SYNC Claim", .prepare = true}));
    if (first.empty()) return first;
    std::set<std::int64_t> have;
    std::set<std::string> keyset;
    for (const auto& c : first) {
      have.insert(c.id);
      keyset.insert(c.key);
    }
    std::vector<std::string> keys(keyset.begin(), keyset.end());
    for (std::size_t start = 0; start < keys.size(); start += kIdsPerStatement) {
      const std::size_t n = std::min(kIdsPerStatement, keys.size() - start);
      std::vector<Value> binds{Value{opt.worker_id}, lease, Value{spec.table}};
      for (std::size_t i = 0; i < n; ++i) binds.push_back(Value{keys[start + i]});
      auto more = to_claims(src->execute(
          std::string("UPDATE ") + kOutboxTable + " SET claimed_by = $1, claimed_until = " + now +
              " + $2 WHERE table_name = $3 AND record_key IN (" + detail::placeholders(n, 4) +
              ") AND (claimed_until IS NULL OR claimed_until < " + now +
              ") RETURNING id, record_key, enqueued_at, attempts",
          binds, {.name = "SYNC Claim"}));
      for (auto& c : more)
        if (have.insert(c.id).second) first.push_back(std::move(c));
    }
    return first;
  }

  void release_sqlite_claims(const std::vector<Claim>& claims) {
    std::vector<std::int64_t> ids;
    for (const auto& c : claims) ids.push_back(c.id);
    for_ids(ids, [&](const std::string& in, std::vector<Value>& binds) {
      binds.insert(binds.begin(), Value{opt.worker_id});
      src->execute(std::string("UPDATE ") + kOutboxTable +
                       " SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1 AND id "
                       "IN (" + in + ")",
                   binds, {.name = "SYNC Release"});
    }, 2);
  }

  template <typename Fn>
  void for_ids(const std::vector<std::int64_t>& ids, Fn&& fn, int first = 1) {
    for (std::size_t start = 0; start < ids.size(); start += kIdsPerStatement) {
      const std::size_t n = std::min(kIdsPerStatement, ids.size() - start);
      std::vector<Value> binds;
      for (std::size_t i = 0; i < n; ++i) binds.push_back(Value{ids[start + i]});
      fn(detail::placeholders(n, first), binds);
    }
  }

  // ---- writing ------------------------------------------------------------------------------

  void write_target(const std::vector<std::vector<Value>>& rows,
                    const std::vector<std::string>& deletes) {
    tgt->begin_transaction();
    try {
      detail::mark_sync_origin(*tgt, opt.worker_id, tgt_state_table);
      detail::write_records(*tgt, *plan, spec.target_name(), rows, deletes);
      detail::clear_sync_origin(*tgt, tgt_state_table);
      tgt->commit_transaction();
    } catch (...) {
      quiet_rollback(tgt.get());
      throw;
    }
  }

  // ---- one batch ----------------------------------------------------------------------------

  std::size_t batch() {
    if (backoff.count() > 0 && steady_clock::now() < resume_at) return 0;
    try {
      ensure_connections();
    } catch (const ArgumentError&) {
      throw;
    } catch (const std::exception& e) {
      if (!detail::is_unavailable(e)) throw;
      record_unavailable(e);
      return 0;
    }
    if (paused(*src, spec.table)) return 0;

    const bool pg = pg_source();
    std::vector<Claim> claims;
    try {
      if (pg) src->begin_transaction();
      claims = pg ? claim_pg(current_batch) : claim_sqlite(current_batch);
      if (claims.empty()) {
        if (pg) src->commit_transaction();
        backoff = milliseconds(0);
        return 0;
      }
    } catch (const std::exception& e) {
      quiet_rollback(src.get());
      if (!detail::is_unavailable(e)) throw;
      record_unavailable(e);
      return 0;
    }

    // Keys in claim order, each once.
    std::vector<std::string> keys;
    std::map<std::string, std::vector<const Claim*>> by_key;
    for (const auto& c : claims) {
      auto& v = by_key[c.key];
      if (v.empty()) keys.push_back(c.key);
      v.push_back(&c);
    }

    std::set<std::string> failed_keys;
    std::map<std::string, std::string> errors;
    std::uint64_t upserted = 0, deleted = 0;
    bool from_replica = false;
    const auto write_start = steady_clock::now();
    try {
      Connection& rd = reader(pg ? claim_lsn : std::string());
      from_replica = &rd != src.get();
      auto records = detail::read_records(rd, spec, *plan, keys);
      try {
        write_target(records.rows, records.gone);
        upserted = records.rows.size();
        deleted = records.gone.size();
      } catch (const std::exception& e) {
        if (detail::is_unavailable(e)) throw;
        // Some row is rejected: write key by key to find which.
        std::map<std::string, const std::vector<Value>*> row_of;
        for (const auto& row : records.rows) row_of[detail::key_text(row[plan->key_index])] = &row;
        for (const auto& k : keys) {
          std::vector<std::vector<Value>> one;
          std::vector<std::string> gone;
          if (auto it = row_of.find(k); it != row_of.end()) one.push_back(*it->second);
          else gone.push_back(k);
          try {
            write_target(one, gone);
            upserted += one.size();
            deleted += gone.size();
          } catch (const std::exception& e2) {
            if (detail::is_unavailable(e2)) throw;
            failed_keys.insert(k);
            errors[k] = shorten(e2.what());
          }
        }
      }
    } catch (const std::exception& e) {
      // An endpoint went away: leave every row for later, count no attempt.
      quiet_rollback(tgt.get());
      if (pg) {
        quiet_rollback(src.get());
      } else {
        try {
          release_sqlite_claims(claims);
        } catch (...) {
        }
      }
      if (!detail::is_unavailable(e) && !dynamic_cast<const StatementInvalid*>(&e)) throw;
      record_unavailable(e);
      return 0;
    }
    const auto write_time = steady_clock::now() - write_start;

    // Settle the outbox: delete what is done, schedule retries, bury the hopeless.
    std::vector<std::int64_t> done_ids;
    std::vector<Claim> done_claims;
    for (const auto& c : claims)
      if (!failed_keys.count(c.key)) {
        done_ids.push_back(c.id);
        done_claims.push_back(c);
      }
    std::uint64_t dead = 0;
    try {
      if (!pg) src->begin_transaction();
      const std::string me_clause = pg ? "" : " AND claimed_by = $1";
      for_ids(done_ids, [&](const std::string& in, std::vector<Value>& binds) {
        if (!pg) binds.insert(binds.begin(), Value{opt.worker_id});
        src->execute(std::string("DELETE FROM ") + kOutboxTable + " WHERE id IN (" + in + ")" +
                         me_clause,
                     binds, {.name = "SYNC Done"});
      }, pg ? 1 : 2);
      for (const auto& k : failed_keys) {
        int attempts = 0;
        std::vector<std::int64_t> ids;
        for (const auto* c : by_key[k]) {
          attempts = std::max(attempts, c->attempts + 1);
          ids.push_back(c->id);
        }
        const bool bury = attempts >= opt.max_attempts;
        for (std::size_t start = 0; start < ids.size(); start += kIdsPerStatement) {
          const std::size_t n = std::min(kIdsPerStatement, ids.size() - start);
          std::vector<Value> binds;
          binds.reserve(n + 2);
          binds.emplace_back(errors[k]);
          binds.emplace_back(static_cast<std::int64_t>(retry_delay(attempts).count()));
          for (std::size_t i = 0; i < n; ++i) binds.emplace_back(ids[start + i]);
          src->execute(std::string("UPDATE ") + kOutboxTable +
                           " SET attempts = attempts + 1, last_error = $1, next_attempt_at = " +
                           now_ms_sql(src->dialect()) + " + $2, claimed_by = NULL, "
                           "claimed_until = NULL WHERE id IN (" + detail::placeholders(n, 3) + ")",
                       binds, {.name = "SYNC Retry"});
          if (!bury) continue;
          const auto id_binds = std::span<const Value>(binds).subspan(2);
          const std::string in = detail::placeholders(n, 1);
          src->execute(std::string("INSERT INTO ") + kDeadTable +
                           " (outbox_id, table_name, record_key, operation, enqueued_at, "
                           "attempts, last_error, origin) SELECT id, table_name, record_key, "
                           "operation, enqueued_at, attempts, last_error, origin FROM " +
                           kOutboxTable + " WHERE id IN (" + in + ")",
                       id_binds, {.name = "SYNC Dead"});
          src->execute(std::string("DELETE FROM ") + kOutboxTable + " WHERE id IN (" + in + ")",
                       id_binds, {.name = "SYNC Dead"});
        }
        if (bury) {
          ++dead;
          detail::report("sync.dead_letter", spec, "key " + k + ": " + errors[k]);
        } else {
          detail::report("sync.retry", spec, "key " + k + ": " + errors[k]);
        }
      }
      src->commit_transaction();
    } catch (const std::exception& e) {
      quiet_rollback(src.get());
      if (!detail::is_unavailable(e)) throw;
      // The target has the data; the rows stay and are copied again (idempotent).
      record_unavailable(e);
      return 0;
    }
    backoff = milliseconds(0);

    // Back-pressure: a slow target gets smaller batches.
    if (write_time > opt.slow_batch)
      current_batch = std::max<std::size_t>(1, current_batch / 2);
    else if (current_batch < opt.batch_size && opt.rows_per_second <= 0)
      current_batch = std::min(opt.batch_size, current_batch * 2);

    const std::int64_t now_ms = detail::now_ms_local();
    std::lock_guard lock(stats_mutex);
    ++stats.batches;
    stats.outbox_rows_done += done_ids.size();
    stats.records_upserted += upserted;
    stats.records_deleted += deleted;
    stats.row_failures += failed_keys.size();
    stats.dead_letters += dead;
    (from_replica ? stats.replica_reads : stats.primary_reads) += 1;
    if (!errors.empty()) stats.last_error = errors.begin()->second;
    for (const auto& c : done_claims) {
      const double lag = static_cast<double>(now_ms - c.enqueued_at);
      if (stats.lag_samples_ms.size() < kMaxLagSamples) {
        stats.lag_samples_ms.push_back(lag);
      } else {
        stats.lag_samples_ms[lag_cursor++ % kMaxLagSamples] = lag;
      }
    }
    return done_ids.size();
  }

  std::int64_t ready_count() {
    auto r = src->execute(std::string("SELECT count(*) FROM ") + kOutboxTable +
                              " WHERE table_name = $1 AND next_attempt_at <= " +
                              now_ms_sql(src->dialect()),
                          {Value{spec.table}}, {.name = "SYNC Backlog"});
    return as_int(r.scalar());
  }

  void throttle(std::size_t records, steady_clock::time_point started) {
    if (opt.rows_per_second <= 0 || records == 0) return;
    const auto budget = duration<double>(static_cast<double>(records) / opt.rows_per_second);
    const auto spent = steady_clock::now() - started;
    if (spent < budget) std::this_thread::sleep_for(budget - spent);
  }
};

Worker::Worker(TableSync spec, WorkerOptions options)
    : impl_(std::make_unique<Impl>(std::move(spec), std::move(options))) {}

Worker::~Worker() { stop(); }

std::size_t Worker::run_once() {
  const auto started = std::chrono::steady_clock::now();
  const std::size_t n = impl_->batch();
  impl_->throttle(n, started);
  return n;
}

std::size_t Worker::drain(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t total = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::size_t n = run_once();
    total += n;
    if (n > 0) continue;
    if (impl_->backoff.count() > 0) {
      std::this_thread::sleep_until(std::min(impl_->resume_at, deadline));
      continue;
    }
    try {
      if (impl_->src && !paused(*impl_->src, impl_->spec.table) && impl_->ready_count() == 0)
        return total;
      if (impl_->src && paused(*impl_->src, impl_->spec.table)) return total;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return total;
}

void Worker::run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    const auto seen = detail::wake_generation();
    std::size_t n = 0;
    try {
      n = run_once();
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(impl_->stats_mutex);
        impl_->stats.last_error = e.what();
      }
      detail::report("sync.error", impl_->spec, e.what());
      impl_->plan.reset();  // the schema may be fixed meanwhile
      detail::wait_for_wake(seen, impl_->opt.poll_interval * 5);
      continue;
    }
    if (stop.load()) break;
    if (n > 0) continue;
    if (impl_->backoff.count() > 0) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          impl_->resume_at - std::chrono::steady_clock::now());
      if (wait.count() > 0) detail::wait_for_wake(seen, wait);
      continue;
    }
    detail::wait_for_wake(seen, impl_->opt.poll_interval);
  }
}

void Worker::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(stop_); });
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  detail::interrupt_waits();
  thread_.join();
}

WorkerStats Worker::stats() const {
  std::lock_guard lock(impl_->stats_mutex);
  return impl_->stats;
}

const TableSync& Worker::spec() const noexcept { return impl_->spec; }
const std::string& Worker::id() const noexcept { return impl_->opt.worker_id; }

bool sync_now(const TableSync& spec, const std::vector<std::string>& record_keys) noexcept {
  try {
    // Inline mode keeps one pair of connections per thread and sync.
    thread_local std::map<std::string, std::pair<std::unique_ptr<Connection>,
                                                 std::unique_ptr<Connection>>>
        cache;
    auto& [src, tgt] = cache[spec.source.name() + "\n" + spec.target.name()];
    if (!src || src->broken()) src = detail::open_sync_connection(spec.source);
    if (!tgt || tgt->broken()) tgt = detail::open_sync_connection(spec.target);
    auto plan = detail::make_plan(spec, *src, *tgt);
    auto records = detail::read_records(*src, spec, plan, record_keys);
    const bool state_table =
        tgt->dialect() == sql::Dialect::sqlite3 && detail::table_exists(*tgt, kStateTable);
    tgt->begin_transaction();
    try {
      detail::mark_sync_origin(*tgt, "inline", state_table);
      detail::write_records(*tgt, plan, spec.target_name(), records.rows, records.gone);
      detail::clear_sync_origin(*tgt, state_table);
      tgt->commit_transaction();
    } catch (...) {
      quiet_rollback(tgt.get());
      throw;
    }
    return true;
  } catch (const std::exception& e) {
    detail::report("sync.inline_error", spec, e.what());
  } catch (...) {
    detail::report("sync.inline_error", spec, "unknown error");
  }
  return false;
}

}  // namespace switchyard::sync

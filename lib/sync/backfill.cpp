#include "switchyard/sync/backfill.hpp"

#include <libpq-fe.h>

#include <cmath>
#include <cstdio>
#include <ostream>
#include <set>
#include <thread>

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
constexpr std::span<const Value> kNoBinds{};

std::int64_t as_int(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&v)) return std::atoll(s->c_str());
  return 0;
}

void quiet_rollback(Connection& conn) {
  while (conn.transaction_depth() > 0) {
    try {
      conn.rollback_transaction();
    } catch (...) {
    }
  }
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

// Raw libpq work for the COPY fast path, reported on the instrumentation bus like execute().
class PgCopy {
 public:
  PgCopy(Connection& conn) : conn_(conn), pg_(conn.pg_handle()) {
    if (!pg_) throw Error("COPY needs a PostgreSQL connection");
  }

  std::string literal(const std::string& text) {
    char* p = PQescapeLiteral(pg_, text.data(), text.size());
    if (!p) throw StatementInvalid(PQerrorMessage(pg_), "22000");
    std::string out(p);
    PQfreemem(p);
    return out;
  }

  void start(const std::string& sql, ExecStatusType expected) {
    sql_ = sql;
    started_ = steady_clock::now();
    PGresult* r = PQexec(pg_, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != expected) fail(r);
    PQclear(r);
  }

  // Finishes the COPY: reads the final result and emits the SqlEvent.
  void finish(std::int64_t rows) {
    PGresult* r = PQgetResult(pg_);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail(r);
    PQclear(r);
    while ((r = PQgetResult(pg_)) != nullptr) PQclear(r);
    emit(rows, {}, {});
  }

  PGconn* handle() const noexcept { return pg_; }

  [[noreturn]] void fail(PGresult* r) {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : (PQstatus(pg_) != CONNECTION_OK ? "08006" : "XX000");
    std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(pg_);
    if (message.empty()) message = PQerrorMessage(pg_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    if (r) PQclear(r);
    while ((r = PQgetResult(pg_)) != nullptr) PQclear(r);
    emit(0, sqlstate, message);
    std::string full = message + " [" + conn_.config().name() + "]: " + sql_;
    if (PQstatus(pg_) != CONNECTION_OK || sqlstate.rfind("08", 0) == 0)
      throw ConnectionFailed(full, sqlstate);
    throw StatementInvalid(full, sqlstate);
  }

 private:
  void emit(std::int64_t rows, std::string_view sqlstate, std::string_view error) {
    if (!instrument::has_sql_subscribers()) return;
    instrument::SqlEvent e;
    e.sql = sql_;
    e.name = "SYNC Copy";
    e.database = conn_.identity().database;
    e.role = conn_.identity().role;
    e.shard = conn_.identity().shard;
    e.node = conn_.identity().node;
    e.duration = steady_clock::now() - started_;
    e.rows = rows;
    e.sqlstate = sqlstate;
    e.error = error;
    instrument::emit(e);
  }

  Connection& conn_;
  PGconn* pg_;
  std::string sql_;
  steady_clock::time_point started_{};
};

struct Batch {
  std::int64_t read = 0;
  std::vector<std::string> inserted;
  std::string last_key;
};

// The keys of `keys` that no longer have a row on the source (deleted, or outside the filter /
// rejected by the transform). Without a transform only the keys are read.
std::vector<std::string> still_there(Connection& src, const TableSync& spec,
                                     const detail::Plan& plan,
                                     const std::vector<std::string>& keys) {
  if (spec.transform) return detail::read_records(src, spec, plan, keys).gone;
  std::set<std::string> found;
  constexpr std::size_t kChunk = 1000;
  for (std::size_t start = 0; start < keys.size(); start += kChunk) {
    const std::size_t n = std::min(kChunk, keys.size() - start);
    std::vector<Value> binds;
    for (std::size_t i = 0; i < n; ++i) binds.push_back(detail::key_bind(plan, keys[start + i]));
    const std::string qk = sql::quote_identifier(plan.source_key);
    std::string sql = "SELECT " + qk + " FROM " + sql::quote_qualified(spec.table) + " WHERE " +
                      qk + " IN (" + detail::placeholders(n) + ")";
    if (!spec.filter.empty()) sql += " AND (" + spec.filter + ")";
    for (const auto& row : src.execute(sql, binds, {.name = "SYNC Backfill Check"}).rows)
      found.insert(detail::key_text(row[0]));
  }
  std::vector<std::string> gone;
  for (const auto& k : keys)
    if (!found.count(k)) gone.push_back(k);
  return gone;
}

}  // namespace

std::string checkpoint_name(const TableSync& spec) {
  return "backfill:" + spec.table + "->" + spec.target.name() + "." + spec.target_name();
}

void reset_checkpoint(const TableSync& spec) {
  auto src = detail::open_sync_connection(spec.source);
  if (!outbox_installed(*src)) return;
  src->execute(std::string("DELETE FROM ") + kCheckpointTable + " WHERE name = $1",
               {Value{checkpoint_name(spec)}}, {.name = "SYNC Checkpoint"});
}

BackfillResult backfill(const TableSync& spec, const BackfillOptions& options) {
  BackfillResult result;
  const auto t0 = steady_clock::now();
  auto src = detail::open_sync_connection(spec.source);
  auto tgt = detail::open_sync_connection(spec.target);
  std::unique_ptr<Connection> replica;
  if (spec.source_replica) replica = detail::open_sync_connection(*spec.source_replica, "reading");
  Connection& reader = replica ? *replica : *src;
  if (!outbox_installed(*src)) install_outbox(*src);
  const auto plan = detail::make_plan(spec, *src, *tgt);
  const bool tgt_state =
      tgt->dialect() == sql::Dialect::sqlite3 && detail::table_exists(*tgt, kStateTable);
  const std::size_t batch_size = std::max<std::size_t>(1, options.batch_size);
  const std::string name = checkpoint_name(spec);
  const std::string now = now_ms_sql(src->dialect());

  // ---- checkpoint ---------------------------------------------------------------------------
  std::optional<std::string> last_key;
  if (options.restart)
    src->execute(std::string("DELETE FROM ") + kCheckpointTable + " WHERE name = $1",
                 {Value{name}}, {.name = "SYNC Checkpoint"});
  auto cp = src->execute(std::string("SELECT last_key, rows_done, finished_at FROM ") +
                             kCheckpointTable + " WHERE name = $1",
                         {Value{name}}, {.name = "SYNC Checkpoint"});
  if (!cp.rows.empty() && is_null(cp.rows[0][2])) {
    if (!is_null(cp.rows[0][0])) last_key = to_text(cp.rows[0][0]);
    result.rows_total = as_int(cp.rows[0][1]);
    result.resumed = true;
  } else {
    // No checkpoint, or the previous backfill finished: start at the first key.
    src->execute(std::string("DELETE FROM ") + kCheckpointTable + " WHERE name = $1",
                 {Value{name}}, {.name = "SYNC Checkpoint"});
    src->execute(std::string("INSERT INTO ") + kCheckpointTable +
                     " (name, last_key, rows_done, started_at, updated_at) VALUES ($1, NULL, 0, " +
                     now + ", " + now + ")",
                 {Value{name}}, {.name = "SYNC Checkpoint"});
  }

  const std::string qkey = sql::quote_identifier(plan.source_key);
  const std::string okey = detail::ordered_key(reader.dialect(), plan, qkey);
  const std::string table = sql::quote_qualified(spec.table);
  const std::string filter = spec.filter.empty() ? "" : "(" + spec.filter + ")";

  // Rows to go, for the progress line.
  std::int64_t remaining_estimate = -1;
  if (options.progress) {
    std::string sql = "SELECT count(*) FROM " + table;
    std::vector<Value> binds;
    std::vector<std::string> conds;
    if (last_key) {
      conds.push_back(okey + " > $1");
      binds.push_back(detail::key_bind(plan, *last_key));
    }
    if (!filter.empty()) conds.push_back(filter);
    for (std::size_t i = 0; i < conds.size(); ++i) sql += (i ? " AND " : " WHERE ") + conds[i];
    remaining_estimate = as_int(reader.execute(sql, binds, {.name = "SYNC Count"}).scalar());
  }

  const bool copy_path = options.use_copy && !spec.transform &&
                         src->dialect() == sql::Dialect::postgresql &&
                         reader.dialect() == sql::Dialect::postgresql &&
                         tgt->dialect() == sql::Dialect::postgresql;
  result.used_copy = copy_path;
  const std::string tkey = sql::quote_identifier(plan.target_key);
  const std::string tcols = detail::quoted_list(plan.target_columns);
  const std::string scols = detail::quoted_list(plan.source_columns);
  const std::string ttable = sql::quote_qualified(spec.target_name());
  if (copy_path) {
    tgt->execute("CREATE TEMP TABLE IF NOT EXISTS switchyard_backfill_stage AS SELECT " + tcols +
                     " FROM " + ttable + " WHERE false",
                 kNoBinds, {.name = "SYNC Backfill"});
  }

  // One batch by SELECT + multi-row upsert (any dialects).
  auto select_batch = [&]() -> Batch {
    Batch b;
    std::string sql = "SELECT " + scols + " FROM " + table;
    std::vector<Value> binds;
    std::vector<std::string> conds;
    if (last_key) {
      conds.push_back(okey + " > $1");
      binds.push_back(detail::key_bind(plan, *last_key));
    }
    if (!filter.empty()) conds.push_back(filter);
    for (std::size_t i = 0; i < conds.size(); ++i) sql += (i ? " AND " : " WHERE ") + conds[i];
    sql += " ORDER BY " + okey + " LIMIT " + std::to_string(batch_size);
    auto rows = reader.execute(sql, binds, {.name = "SYNC Backfill Load"}).rows;
    b.read = static_cast<std::int64_t>(rows.size());
    if (rows.empty()) return b;
    b.last_key = detail::key_text(rows.back()[plan.key_index]);
    detail::apply_transform(spec, plan, rows, nullptr);
    tgt->begin_transaction();
    try {
      detail::mark_sync_origin(*tgt, "backfill", tgt_state);
      detail::write_records(*tgt, plan, spec.target_name(), rows, {}, options.overwrite,
                            &b.inserted);
      detail::clear_sync_origin(*tgt, tgt_state);
      tgt->commit_transaction();
    } catch (...) {
      quiet_rollback(*tgt);
      throw;
    }
    return b;
  };

  // One batch by COPY between two PostgreSQL servers.
  auto copy_batch = [&]() -> Batch {
    Batch b;
    PgCopy out(reader), in(*tgt);
    std::string sql = "COPY (SELECT " + scols + " FROM " + table;
    std::vector<std::string> conds;
    if (last_key) conds.push_back(okey + " > " + out.literal(*last_key));
    if (!filter.empty()) conds.push_back(filter);
    for (std::size_t i = 0; i < conds.size(); ++i) sql += (i ? " AND " : " WHERE ") + conds[i];
    sql += " ORDER BY " + okey + " LIMIT " + std::to_string(batch_size) + ") TO STDOUT";
    tgt->begin_transaction();
    try {
      detail::mark_sync_origin(*tgt, "backfill", false);
      tgt->execute("TRUNCATE switchyard_backfill_stage", kNoBinds, {.name = "SYNC Backfill"});
      in.start("COPY switchyard_backfill_stage (" + tcols + ") FROM STDIN", PGRES_COPY_IN);
      out.start(sql, PGRES_COPY_OUT);
      for (;;) {
        char* buf = nullptr;
        const int len = PQgetCopyData(out.handle(), &buf, 0);
        if (len == -1) break;
        if (len < 0) out.fail(nullptr);
        const int put = PQputCopyData(in.handle(), buf, len);
        PQfreemem(buf);
        if (put != 1) {
          // Drain the source so its connection stays usable, then report the target's error.
          while (PQgetCopyData(out.handle(), &buf, 0) > 0) PQfreemem(buf);
          in.fail(nullptr);
        }
        ++b.read;
      }
      out.finish(b.read);
      if (PQputCopyEnd(in.handle(), nullptr) != 1) in.fail(nullptr);
      in.finish(b.read);
      if (b.read > 0) {
        const std::string okey_t = detail::ordered_key(sql::Dialect::postgresql, plan, tkey);
        // Aliased: ORDER BY "id" would otherwise sort by the text output column of that name.
        b.last_key = to_text(tgt->execute("SELECT " + tkey + "::text AS sy_last_key FROM "
                                          "switchyard_backfill_stage ORDER BY " + okey_t +
                                          " DESC LIMIT 1",
                                          kNoBinds, {.name = "SYNC Backfill"})
                                 .scalar());
        std::string upsert = "INSERT INTO " + ttable + " (" + tcols + ") SELECT " + tcols +
                             " FROM switchyard_backfill_stage ON CONFLICT (" + tkey + ") DO ";
        if (options.overwrite && plan.target_columns.size() > 1) {
          upsert += "UPDATE SET ";
          bool first = true;
          for (std::size_t c = 0; c < plan.target_columns.size(); ++c) {
            if (c == plan.key_index) continue;
            const auto q = sql::quote_identifier(plan.target_columns[c]);
            upsert += (first ? "" : ", ") + q + " = EXCLUDED." + q;
            first = false;
          }
        } else {
          upsert += "NOTHING";
        }
        upsert += " RETURNING " + tkey + "::text";
        for (const auto& row :
             tgt->execute(upsert, kNoBinds, {.name = "SYNC Backfill Upsert"}).rows)
          b.inserted.push_back(to_text(row[0]));
      }
      tgt->commit_transaction();
    } catch (...) {
      quiet_rollback(*tgt);
      throw;
    }
    return b;
  };

  std::int64_t done_this_run = 0;
  auto last_draw = steady_clock::now() - seconds(1);
  auto draw = [&](bool final_line) {
    if (!options.progress) return;
    const auto t = steady_clock::now();
    if (!final_line && t - last_draw < milliseconds(200)) return;
    last_draw = t;
    const double elapsed = duration<double>(t - t0).count();
    const double rate = elapsed > 0 ? static_cast<double>(done_this_run) / elapsed : 0;
    const double total = static_cast<double>(std::max<std::int64_t>(remaining_estimate, 1));
    const double pct = remaining_estimate > 0
                           ? std::min(100.0, 100.0 * static_cast<double>(done_this_run) / total)
                           : 100.0;
    const double eta = rate > 0 ? (static_cast<double>(remaining_estimate - done_this_run)) / rate
                                : -1;
    char line[256];
    std::snprintf(line, sizeof line, "\rbackfill %s: %lld/%lld rows (%5.1f%%) %.0f rows/s ETA %s ",
                  spec.describe().c_str(), static_cast<long long>(done_this_run),
                  static_cast<long long>(std::max<std::int64_t>(remaining_estimate, 0)), pct, rate,
                  final_line ? "0:00" : format_duration(eta).c_str());
    *options.progress << line;
    if (final_line) *options.progress << "\n";
    options.progress->flush();
  };

  for (;;) {
    const auto batch_start = steady_clock::now();
    Batch b = copy_path ? copy_batch() : select_batch();
    if (b.read == 0) {
      result.finished = true;
      break;
    }
    // Keys inserted just now may have been deleted (or left the filter) on the source after we
    // read them and before the worker could see them on the target: re-check on the primary.
    if (!options.overwrite && !b.inserted.empty()) {
      auto gone = still_there(*src, spec, plan, b.inserted);
      if (!gone.empty()) {
        enqueue_many(*src, spec.table, gone, "backfill");
        result.requeued += static_cast<std::int64_t>(gone.size());
        wake_workers();
      }
    }
    last_key = b.last_key;
    result.last_key = b.last_key;
    result.rows_copied += b.read;
    result.rows_inserted += static_cast<std::int64_t>(b.inserted.size());
    result.rows_total += b.read;
    done_this_run += b.read;
    ++result.batches;
    src->execute(std::string("UPDATE ") + kCheckpointTable +
                     " SET last_key = $2, rows_done = rows_done + $3, updated_at = " + now +
                     " WHERE name = $1",
                 {Value{name}, Value{b.last_key}, Value{b.read}}, {.name = "SYNC Checkpoint"});
    draw(false);
    if (options.rows_per_second > 0) {
      const auto budget =
          duration<double>(static_cast<double>(b.read) / options.rows_per_second);
      const auto spent = steady_clock::now() - batch_start;
      if (spent < budget) std::this_thread::sleep_for(budget - spent);
    }
    if (options.on_batch && !options.on_batch(result.rows_copied)) break;
    if (options.max_batches && result.batches >= options.max_batches) break;
    if (static_cast<std::size_t>(b.read) < batch_size) {
      // A short batch is the last one; confirm with an empty read next round only if needed.
      result.finished = true;
      break;
    }
  }
  if (result.finished)
    src->execute(std::string("UPDATE ") + kCheckpointTable + " SET finished_at = " + now +
                     ", updated_at = " + now + " WHERE name = $1",
                 {Value{name}}, {.name = "SYNC Checkpoint"});
  draw(true);
  result.seconds = duration<double>(steady_clock::now() - t0).count();
  return result;
}

}  // namespace switchyard::sync

#include "switchyard/sync/backfill.hpp"

#include <libpq-fe.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <thread>
#include <unordered_set>

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
  std::int64_t read = 0;              // rows read from the source
  std::vector<std::string> inserted;  // keys that were new on the target
  std::string first_key, last_key;    // the batch's key range
};

// Decodes one field of COPY's text format (backslash escapes) into its text value.
std::string copy_text_value(std::string_view field) {
  if (field.find('\\') == std::string_view::npos) return std::string(field);
  std::string out;
  out.reserve(field.size());
  auto digits = [&](std::size_t& i, int base, int max) {
    int value = 0;
    for (int n = 0; n < max && i < field.size(); ++n, ++i) {
      const char c = field[i];
      const int d = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : 99;
      if (d >= base) break;
      value = value * base + d;
    }
    out += static_cast<char>(value);
  };
  for (std::size_t i = 0; i < field.size();) {
    const char c = field[i++];
    if (c != '\\' || i >= field.size()) {
      out += c;
      continue;
    }
    const char e = field[i];
    if (e >= '0' && e <= '7') {
      digits(i, 8, 3);
      continue;
    }
    ++i;
    switch (e) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
        if (i < field.size() && std::isxdigit(static_cast<unsigned char>(field[i]))) {
          digits(i, 16, 2);
        } else {
          out += 'x';
        }
        break;
      default:
        out += e;
        break;  // \\ and any other escaped character stand for themselves
    }
  }
  return out;
}

// The text value of column `index` of one COPY text row (tab-separated, ending in a newline).
std::string copy_field(std::string_view row, std::size_t index) {
  if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
  std::size_t start = 0;
  for (std::size_t i = 0; i < index; ++i) {
    start = row.find('\t', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  const std::size_t end = row.find('\t', start);
  return copy_text_value(row.substr(start, end == std::string_view::npos ? end : end - start));
}

// Ends a COPY FROM STDIN that cannot be completed and discards its results.
void abort_copy_in(PGconn* pg) {
  PQputCopyEnd(pg, "switchyard backfill: the source read failed");
  while (PGresult* r = PQgetResult(pg)) PQclear(r);
}

// Streams one COPY from `out` into `in` row by row. Rows are passed on as they come, unparsed but
// for the key column, whose values land in `keys`. The target's error, if any, is thrown once the
// source has been read to its end, so that both connections stay usable.
void relay(PgCopy& out, PgCopy& in, std::size_t key_index, std::int64_t& read,
           std::vector<std::string>& keys) {
  bool target_ok = true;
  for (;;) {
    char* buf = nullptr;
    const int len = PQgetCopyData(out.handle(), &buf, 0);
    if (len == -1) break;
    if (len < 0) {
      abort_copy_in(in.handle());
      out.fail(nullptr);
    }
    if (target_ok && PQputCopyData(in.handle(), buf, len) != 1) target_ok = false;
    if (target_ok)
      keys.push_back(copy_field(std::string_view(buf, static_cast<std::size_t>(len)), key_index));
    PQfreemem(buf);
    ++read;
  }
  out.finish(read);
  if (!target_ok) in.fail(PQgetResult(in.handle()));
  if (PQputCopyEnd(in.handle(), nullptr) != 1) in.fail(PQgetResult(in.handle()));
  in.finish(read);
}

// The keys of `inserted` that have no row on the source any more (deleted, or outside the filter
// now): one read of the key column over the batch's key range. With a transform, the records are
// read and transformed (the transform may reject them).
std::vector<std::string> gone_keys(Connection& src, const TableSync& spec, const detail::Plan& plan,
                                   const Batch& b) {
  if (spec.transform) return detail::read_records(src, spec, plan, b.inserted).gone;
  const std::string qk = sql::quote_identifier(plan.source_key);
  const std::string ok = detail::ordered_key(src.dialect(), plan, qk);
  std::string sql = "SELECT " + qk + " FROM " + sql::quote_qualified(spec.table) + " WHERE " + ok +
                    " >= $1 AND " + ok + " <= $2";
  if (!spec.filter.empty()) sql += " AND (" + spec.filter + ")";
  const Value binds[] = {detail::key_bind(plan, b.first_key), detail::key_bind(plan, b.last_key)};
  std::unordered_set<std::string> present;
  for (const auto& row : src.execute(sql, binds, {.name = "SYNC Backfill Check"}).rows)
    present.insert(detail::key_text(row[0]));
  std::vector<std::string> gone;
  for (const auto& k : b.inserted)
    if (!present.count(k)) gone.push_back(k);
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
    src->execute(std::string("DELETE FROM ") + kCheckpointTable + " WHERE name = $1", {Value{name}},
                 {.name = "SYNC Checkpoint"});
  auto cp = src->execute(std::string("SELECT last_key, rows_done, finished_at FROM ") +
                             kCheckpointTable + " WHERE name = $1",
                         {Value{name}}, {.name = "SYNC Checkpoint"});
  if (!cp.rows.empty() && is_null(cp.rows[0][2])) {
    if (!is_null(cp.rows[0][0])) last_key = to_text(cp.rows[0][0]);
    result.rows_total = as_int(cp.rows[0][1]);
    result.resumed = true;
  } else {
    // No checkpoint, or the previous backfill finished: start at the first key.
    src->execute(std::string("DELETE FROM ") + kCheckpointTable + " WHERE name = $1", {Value{name}},
                 {.name = "SYNC Checkpoint"});
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

  const bool copy_path =
      options.use_copy && !spec.transform && src->dialect() == sql::Dialect::postgresql &&
      reader.dialect() == sql::Dialect::postgresql && tgt->dialect() == sql::Dialect::postgresql;
  result.used_copy = copy_path;
  const std::string tkey = sql::quote_identifier(plan.target_key);
  const std::string tcols = detail::quoted_list(plan.target_columns);
  const std::string scols = detail::quoted_list(plan.source_columns);
  const std::string ttable = sql::quote_qualified(spec.target_name());
  if (copy_path) {
    // Emptied by every commit: no TRUNCATE per batch.
    tgt->execute(
        "CREATE TEMP TABLE IF NOT EXISTS switchyard_backfill_stage ON COMMIT DELETE ROWS "
        "AS SELECT " +
            tcols + " FROM " + ttable + " WHERE false",
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
    b.first_key = detail::key_text(rows.front()[plan.key_index]);
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

  // One batch by COPY between two PostgreSQL servers: COPY (SELECT ...) TO STDOUT on the source
  // streamed into COPY ... FROM STDIN on the target. `direct`: straight into the target table,
  // which fails with unique_violation if a key of the batch is there already (the live sync wrote
  // it); otherwise into the staging table, then INSERT ... SELECT ... ON CONFLICT from it.
  auto copy_batch = [&](bool direct) -> Batch {
    Batch b;
    PgCopy out(reader), in(*tgt);
    std::string sql = "COPY (SELECT " + scols + " FROM " + table;
    std::vector<std::string> conds;
    if (last_key) conds.push_back(okey + " > " + out.literal(*last_key));
    if (!filter.empty()) conds.push_back(filter);
    for (std::size_t i = 0; i < conds.size(); ++i) sql += (i ? " AND " : " WHERE ") + conds[i];
    sql += " ORDER BY " + okey + " LIMIT " + std::to_string(batch_size) + ") TO STDOUT";
    std::vector<std::string> keys;
    keys.reserve(batch_size);
    tgt->begin_transaction();
    try {
      detail::mark_sync_origin(*tgt, "backfill", false);
      in.start("COPY " + (direct ? ttable : std::string("switchyard_backfill_stage")) + " (" +
                   tcols + ") FROM STDIN",
               PGRES_COPY_IN);
      out.start(sql, PGRES_COPY_OUT);
      relay(out, in, plan.key_index, b.read, keys);
      if (b.read > 0 && !direct) {
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
    if (!keys.empty()) {
      b.first_key = keys.front();
      b.last_key = keys.back();
    }
    if (direct) b.inserted = std::move(keys);
    return b;
  };

  // Batches go straight into the target table while that works; after a batch met keys already
  // there, through the staging table until a batch meets none.
  bool direct = true;
  auto next_batch = [&]() -> Batch {
    if (!copy_path) return select_batch();
    if (direct) {
      try {
        return copy_batch(true);
      } catch (const StatementInvalid& e) {
        if (e.sqlstate() != "23505") throw;  // unique_violation: retry the batch by the stage
      }
    }
    Batch b = copy_batch(false);
    // With overwrite, RETURNING lists updated rows too: stay on the stage.
    direct = !options.overwrite && static_cast<std::int64_t>(b.inserted.size()) == b.read;
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
    const double eta =
        rate > 0 ? (static_cast<double>(remaining_estimate - done_this_run)) / rate : -1;
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
    Batch b = next_batch();
    if (b.read == 0) {
      result.finished = true;
      break;
    }
    // Keys inserted just now may have been deleted (or left the filter) on the source after we
    // read them and before the worker could see them on the target: re-check on the primary.
    if (!options.overwrite && !b.inserted.empty()) {
      auto gone = gone_keys(*src, spec, plan, b);
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
      const auto budget = duration<double>(static_cast<double>(b.read) / options.rows_per_second);
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

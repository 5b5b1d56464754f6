// Figure 7: the sync layer, primary -> second server.
//   - worker throughput: N records written with their outbox rows in one transaction, then one
//     Worker drains them (records read from the standby once it has replayed, upserted on the
//     target); rows/s, median over rounds;
//   - end-to-end lag at a fixed write rate: records created one per transaction with their outbox
//     row (what the Syncable mixin does), workers woken after commit (as after_commit does), a
//     background Worker; the worker's enqueue-to-done samples, p50 and p99;
//   - backfill of a table against the limit, a plain streaming COPY between the two servers
//     (COPY TO STDOUT on the primary piped into COPY FROM STDIN on the second), rounds alternated.
#include <libpq-fe.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "figures.hpp"
#include "models.hpp"

namespace bench {

#if SY_BENCH_HAVE_SYNC
namespace {

namespace sync = switchyard::sync;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Writes n records and their outbox rows in one transaction.
void write_batch(int n, int round) {
  auto lease = sy::lease_connection(BenchRecord::connection_class());
  lease->begin_transaction();
  try {
    const auto r = lease->execute("INSERT INTO sync_src (name, age) SELECT 'w" + std::to_string(round) +
                                  "-' || g, g % 20 FROM generate_series(1, " + std::to_string(n) +
                                  ") g RETURNING id");
    std::vector<std::string> keys;
    keys.reserve(r.rows.size());
    for (const auto& row : r.rows) keys.push_back(sy::to_text(row[0]));
    sync::enqueue_many(*lease, "sync_src", keys, "app");
    lease->commit_transaction();
  } catch (...) {
    lease->rollback_transaction();
    throw;
  }
}

// One record and its outbox row, one transaction (the Syncable path).
void write_one(std::int64_t k) {
  auto lease = sy::lease_connection(BenchRecord::connection_class());
  lease->begin_transaction();
  try {
    const sy::Value binds[] = {std::string("lag-") + std::to_string(k), std::int64_t{k % 20}};
    const auto r = lease->execute("INSERT INTO sync_src (name, age) VALUES ($1, $2) RETURNING id",
                                  binds, {.name = "Dog Create", .prepare = true});
    sync::enqueue(*lease, "sync_src", sy::to_text(r.rows.at(0).at(0)));
    lease->commit_transaction();
  } catch (...) {
    lease->rollback_transaction();
    throw;
  }
}

double plain_copy(const Env& env, std::int64_t expected) {
  const auto t0 = Clock::now();
  PGconn* src = PQconnectdb(env.conninfo(env.primary).c_str());
  PGconn* dst = PQconnectdb(env.conninfo(env.second).c_str());
  auto fail = [&](const std::string& what) {
    const std::string message = what + ": " + PQerrorMessage(src) + PQerrorMessage(dst);
    PQfinish(src);
    PQfinish(dst);
    throw std::runtime_error(message);
  };
  if (PQstatus(src) != CONNECTION_OK || PQstatus(dst) != CONNECTION_OK) fail("connect");
  PGresult* r = PQexec(src, "COPY (SELECT id, name, age FROM backfill_src ORDER BY id) TO STDOUT");
  const bool out_ok = PQresultStatus(r) == PGRES_COPY_OUT;
  PQclear(r);
  if (!out_ok) fail("COPY TO");
  r = PQexec(dst, "COPY backfill_src (id, name, age) FROM STDIN");
  const bool in_ok = PQresultStatus(r) == PGRES_COPY_IN;
  PQclear(r);
  if (!in_ok) fail("COPY FROM");
  char* buf = nullptr;
  int len = 0;
  std::int64_t rows = 0;
  while ((len = PQgetCopyData(src, &buf, 0)) > 0) {
    if (PQputCopyData(dst, buf, len) != 1) fail("put copy data");
    PQfreemem(buf);
    ++rows;
  }
  if (len == -2) fail("get copy data");
  if (PQputCopyEnd(dst, nullptr) != 1) fail("copy end");
  bool ok = true;
  for (PGconn* c : {src, dst}) {
    while ((r = PQgetResult(c)) != nullptr) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK) ok = false;
      PQclear(r);
    }
  }
  if (!ok) fail("COPY result");
  PQfinish(src);
  PQfinish(dst);
  const double s = seconds_since(t0);
  if (rows != expected) throw std::runtime_error("COPY moved " + std::to_string(rows) + " rows");
  return static_cast<double>(rows) / s;
}

}  // namespace

void sync_figures(const Env& env, const Options& options, Results& results) {
  const auto configs = bench_configs(env);
  {
    auto lease = sy::lease_connection(BenchRecord::connection_class());
    sync::install_outbox(*lease);
  }
  sync::TableSync spec;
  spec.table = "sync_src";
  spec.key = "id";
  spec.source = configs.resolve("bench");
  spec.source_replica = configs.resolve("bench_replica");
  spec.target = configs.resolve("sync_target");

  // ---- worker throughput ----
  {
    const int n = options.ops(10000);
    const int rounds = 3;
    std::vector<double> rate;
    nlohmann::json stats = nlohmann::json::array();
    for (int r = 0; r < rounds; ++r) {
      write_batch(n, r);
      wait_catchup(env);
      sync::Worker worker(spec, {.batch_size = 500});
      const auto t0 = Clock::now();
      const auto done = worker.drain(std::chrono::minutes(2));
      const double s = seconds_since(t0);
      if (done != static_cast<std::size_t>(n))
        throw std::runtime_error("worker completed " + std::to_string(done) + " of " + std::to_string(n) +
                                 " rows: " + worker.stats().last_error);
      rate.push_back(static_cast<double>(done) / s);
      const auto st = worker.stats();
      stats.push_back({{"rows", done},
                       {"seconds", s},
                       {"batches", st.batches},
                       {"replica_reads", st.replica_reads},
                       {"primary_reads", st.primary_reads}});
    }
    Figure f;
    f.name = "7. sync: worker throughput";
    f.unit = "rows/s";
    f.value = median(rate);
    f.note = std::to_string(n) + " queued rows per round, batch 500, one worker";
    f.detail = {{"by_round", rate}, {"rounds", stats}};
    results.add(f);
  }

  // ---- lag at a fixed write rate ----
  {
    const double rate = 100;  // records per second
    const double seconds = options.scale < 1 ? 3 : 6;
    sync::Worker worker(spec, {.batch_size = 500});
    worker.start();
    const auto t0 = Clock::now();
    std::int64_t written = 0;
    try {
      for (std::int64_t i = 0;; ++i) {
        const auto due = t0 + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(static_cast<double>(i) / rate));
        if (due - t0 > std::chrono::duration<double>(seconds)) break;
        std::this_thread::sleep_until(due);
        write_one(i);
        sync::wake_workers();
        ++written;
      }
      const auto deadline = Clock::now() + std::chrono::seconds(30);
      while (worker.stats().outbox_rows_done < static_cast<std::uint64_t>(written) &&
             Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } catch (...) {
      worker.stop();
      throw;
    }
    worker.stop();
    const auto st = worker.stats();
    if (st.outbox_rows_done < static_cast<std::uint64_t>(written))
      throw std::runtime_error("lag run: worker did not finish: " + st.last_error);
    const nlohmann::json detail = {{"write_rate_per_s", rate},
                                   {"seconds", seconds},
                                   {"records", written},
                                   {"samples", st.lag_samples_ms.size()},
                                   {"batches", st.batches},
                                   {"replica_reads", st.replica_reads},
                                   {"primary_reads", st.primary_reads}};
    Figure p50;
    p50.name = "7. sync: lag p50 at 100 rows/s";
    p50.unit = "ms";
    p50.value = percentile(st.lag_samples_ms, 50);
    p50.note = "commit of the record to commit on the target (worker's enqueue-to-done)";
    p50.detail = detail;
    results.add(p50);
    Figure p99;
    p99.name = "7. sync: lag p99 at 100 rows/s";
    p99.unit = "ms";
    p99.value = percentile(st.lag_samples_ms, 99);
    p99.detail = detail;
    results.add(p99);
  }

  // ---- backfill against a plain COPY ----
  {
    const std::int64_t n = options.ops(100000);
    pg_exec(env.conninfo(env.primary),
            "TRUNCATE backfill_src; INSERT INTO backfill_src (id, name, age) SELECT g, 'b-' || g, g % 20 "
            "FROM generate_series(1, " + std::to_string(n) + ") g; ANALYZE backfill_src");
    sync::TableSync bspec;
    bspec.table = "backfill_src";
    bspec.key = "id";
    bspec.source = configs.resolve("bench");
    bspec.target = configs.resolve("sync_target");
    const std::string truncate_target = "TRUNCATE backfill_src";
    std::vector<double> sy_rate, copy_rate;
    // Where the backfill's time goes: every instrumented statement's duration by event name
    // (the COPY streams themselves are not instrumented: they are the rest).
    std::mutex by_name_mutex;
    std::map<std::string, double> ms_by_name;
    std::map<std::string, std::int64_t> count_by_name;
    double backfill_ms = 0;
    bool used_copy = true;
    std::int64_t rows_copied_mismatch = 0;
    std::size_t backfill_batches = 0;
    const int rounds = 3;
    for (int r = 0; r < rounds; ++r) {
      for (int k = 0; k < 2; ++k) {
        pg_exec(env.conninfo(env.second), truncate_target);
        if ((k == 0) == (r % 2 == 0)) {
          sy::instrument::Subscription sub([&](const sy::instrument::SqlEvent& e) {
            std::lock_guard lock(by_name_mutex);
            ms_by_name[std::string(e.name)] += static_cast<double>(e.duration.count()) / 1e6;
            ++count_by_name[std::string(e.name)];
          });
          const auto t0 = Clock::now();
          const sync::BackfillOptions bo{.restart = true};  // the default batch size
          const auto res = sync::backfill(bspec, bo);
          const double s = seconds_since(t0);
          backfill_ms += s * 1000;
          const auto on_target = std::stoll(pg_scalar(env.conninfo(env.second), "SELECT count(*) FROM backfill_src"));
          if (on_target != n || !res.finished)
            throw std::runtime_error("backfill: " + std::to_string(on_target) + " of " + std::to_string(n) +
                                     " rows on the target (rows_copied " + std::to_string(res.rows_copied) +
                                     ", inserted " + std::to_string(res.rows_inserted) + ", batches " +
                                     std::to_string(res.batches) + ")");
          if (res.rows_copied != n) rows_copied_mismatch = res.rows_copied;
          backfill_batches = res.batches;
          used_copy = used_copy && res.used_copy;
          sy_rate.push_back(static_cast<double>(n) / s);
        } else {
          copy_rate.push_back(plain_copy(env, n));
        }
      }
    }
    Figure f;
    f.name = "7. sync: backfill";
    f.unit = "rows/s";
    f.value = median(sy_rate);
    f.baseline = "plain COPY primary->second";
    f.baseline_value = median(copy_rate);
    f.target = "ratio >= 0.50";
    f.note = std::to_string(n) + " rows, batch " +
             std::to_string(sync::BackfillOptions{}.batch_size) +
             (used_copy ? ", COPY path" : ", row path");
    f.detail = {{"switchyard_by_round", sy_rate}, {"copy_by_round", copy_rate}, {"batches", backfill_batches},
                {"statement_ms_by_event_all_rounds", ms_by_name},
                {"statements_by_event_all_rounds", count_by_name},
                {"backfill_ms_all_rounds", backfill_ms}};
    if (rows_copied_mismatch != 0) {
      f.detail["reported_rows_copied"] = rows_copied_mismatch;
      f.note += "; BackfillResult::rows_copied reported " + std::to_string(rows_copied_mismatch) +
                " for " + std::to_string(n) + " rows (all rows verified on the target)";
    }
    results.add(f);
  }
}

#else

void sync_figures(const Env&, const Options&, Results& results) {
  const std::string why = "the sync layer has not landed in main";
  results.pending("7. sync: worker throughput", "rows/s", "", "", why);
  results.pending("7. sync: lag p50 at 100 rows/s", "ms", "", "", why);
  results.pending("7. sync: lag p99 at 100 rows/s", "ms", "", "", why);
  results.pending("7. sync: backfill", "rows/s", "plain COPY primary->second", "ratio >= 0.50", why);
}

#endif

}  // namespace bench

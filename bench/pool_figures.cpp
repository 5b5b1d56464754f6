// Figure 5: the connection pool, against SOCI's connection_pool.
//   - uncontended checkout and return (one thread, connections already open);
//   - 8 threads on a pool of 4, each running `SELECT 1` on the leased connection through libpq
//     (the same call for both pools, so only the pool differs): throughput and p99 checkout wait.
#include <libpq-fe.h>
#include <soci/connection-pool.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <atomic>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "figures.hpp"
#include "models.hpp"

namespace bench {
namespace {

volatile std::int64_t g_sink = 0;

void select_one(PGconn* c) {
  PGresult* r = PQexec(c, "SELECT 1");
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  PQclear(r);
  if (!ok) throw std::runtime_error(std::string("SELECT 1 failed: ") + PQerrorMessage(c));
}

PGconn* soci_conn(soci::session& s) {
  return static_cast<soci::postgresql_session_backend*>(s.get_backend())->conn_;
}

struct Contended {
  double ops_per_s = 0;
  double p99_wait_us = 0;
  double p50_wait_us = 0;
};

// `threads` threads for `seconds`; `op(waits)` does one checkout+work+return and appends the
// checkout wait in ns.
template <typename Op>
Contended contend(int threads, double seconds, Op op) {
  std::atomic<bool> go{false}, stop{false};
  std::vector<std::vector<double>> waits(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      auto& w = waits[static_cast<std::size_t>(t)];
      w.reserve(200000);
      while (!go.load()) std::this_thread::yield();
      try {
        while (!stop.load(std::memory_order_relaxed)) op(w);
      } catch (...) {
        errors[static_cast<std::size_t>(t)] = std::current_exception();
      }
    });
  }
  const auto t0 = now_ns();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = static_cast<double>(now_ns() - t0) / 1e9;
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  std::vector<double> all;
  for (auto& w : waits) all.insert(all.end(), w.begin(), w.end());
  Contended c;
  c.ops_per_s = static_cast<double>(all.size()) / elapsed;
  c.p99_wait_us = percentile(all, 99) / 1000;
  c.p50_wait_us = percentile(all, 50) / 1000;
  return c;
}

}  // namespace

void pool_figures(const Env& env, const Options& options, Results& results) {
  const auto configs = bench_configs(env);
  const auto config = configs.resolve("bench");
  const std::string conninfo = env.conninfo(env.primary);

  // ---- uncontended ----
  {
    sy::PoolOptions po;
    po.size = 4;
    po.reaping_frequency.reset();
    auto pool = sy::ConnectionPool::create(config, {.connection_name = "PoolBench"}, po);
    { auto warm = pool->lease(); }
    soci::connection_pool spool(4);
    for (std::size_t i = 0; i < 4; ++i) spool.at(i).open(soci::postgresql, conninfo);

    std::vector<Variant> v = {
        Variant{"switchyard",
                [&](int n) {
                  const auto t0 = now_ns();
                  for (int i = 0; i < n; ++i) {
                    auto lease = pool->lease();
                    g_sink = g_sink + (lease ? 1 : 0);
                  }
                  return static_cast<double>(now_ns() - t0);
                }},
        Variant{"soci", [&](int n) {
                  const auto t0 = now_ns();
                  for (int i = 0; i < n; ++i) {
                    const std::size_t pos = spool.lease();
                    g_sink = g_sink + static_cast<std::int64_t>(pos);
                    spool.give_back(pos);
                  }
                  return static_cast<double>(now_ns() - t0);
                }},
    };
    const auto r = interleave(v, options.rounds, options.ops(10000), options.ops(20000));
    Figure f;
    f.name = "5. pool: uncontended checkout+return";
    f.unit = "ns/op";
    f.value = r.median_ns("switchyard");
    f.baseline = "SOCI connection_pool";
    f.baseline_value = r.median_ns("soci");
    f.ratio = r.paired_ratio("switchyard", "soci");
    f.target = "value <= 1000";
    for (const auto& [name, rounds] : r.rounds) f.detail[name] = rounds;
    results.add(f);
  }

  // ---- 8 threads on a pool of 4 ----
  {
    sy::PoolOptions po;
    po.size = 4;
    po.reaping_frequency.reset();
    auto pool = sy::ConnectionPool::create(config, {.connection_name = "PoolBench8"}, po);
    soci::connection_pool spool(4);
    for (std::size_t i = 0; i < 4; ++i) spool.at(i).open(soci::postgresql, conninfo);

    auto sy_op = [&](std::vector<double>& waits) {
      const auto t0 = now_ns();
      auto lease = pool->lease();
      waits.push_back(static_cast<double>(now_ns() - t0));
      select_one(lease->pg_handle());
    };
    auto soci_op = [&](std::vector<double>& waits) {
      const auto t0 = now_ns();
      const std::size_t pos = spool.lease();
      waits.push_back(static_cast<double>(now_ns() - t0));
      try {
        select_one(soci_conn(spool.at(pos)));
      } catch (...) {
        spool.give_back(pos);
        throw;
      }
      spool.give_back(pos);
    };
    const double seconds = 1.0 * options.scale < 0.25 ? 0.25 : 1.0 * options.scale;
    contend(8, 0.2, sy_op);  // opens the four connections
    const int rounds = std::max(3, options.rounds / 8);
    std::vector<double> sy_tp, sy_p99, sy_p50, so_tp, so_p99, so_p50;
    for (int r = 0; r < rounds; ++r) {
      for (int k = 0; k < 2; ++k) {
        const bool sy_first = r % 2 == 0;
        if ((k == 0) == sy_first) {
          const auto c = contend(8, seconds, sy_op);
          sy_tp.push_back(c.ops_per_s), sy_p99.push_back(c.p99_wait_us), sy_p50.push_back(c.p50_wait_us);
        } else {
          const auto c = contend(8, seconds, soci_op);
          so_tp.push_back(c.ops_per_s), so_p99.push_back(c.p99_wait_us), so_p50.push_back(c.p50_wait_us);
        }
      }
    }
    Figure tp;
    tp.name = "5. pool: 8 threads on 4, SELECT 1";
    tp.unit = "ops/s";
    tp.value = median(sy_tp);
    tp.baseline = "SOCI connection_pool";
    tp.baseline_value = median(so_tp);
    tp.detail = {{"switchyard_by_round", sy_tp}, {"soci_by_round", so_tp}};
    results.add(tp);
    Figure w;
    w.name = "5. pool: 8 threads on 4, p99 wait";
    w.unit = "us";
    w.value = median(sy_p99);
    w.baseline = "SOCI connection_pool";
    w.baseline_value = median(so_p99);
    w.detail = {{"switchyard_p99_by_round", sy_p99}, {"soci_p99_by_round", so_p99},
                {"switchyard_p50_us", median(sy_p50)}, {"soci_p50_us", median(so_p50)}};
    results.add(w);
  }
}

}  // namespace bench

// Figure 6: read-your-writes while the standby's replay is paused for random short spells.
//
// A web-like workload in proxy mode: kUsers users, each a logical session whose token travels
// between its visits (UnitOfWork(token) ... export_token(), as a cookie would carry it). A visit
// writes the user's row with probability kWriteShare, then reads it back. Meanwhile a pauser
// thread pauses the standby's WAL replay for random spells (1-4 s, gaps 0.3-1 s; bounded,
// always resumed). A read is stale when it returns less than the user's own last write.
//
// Phases alternate time-window (Rails' 2 s) and WAL stickiness (A B A B), each pair with the
// same seed: the same visits, the same pause schedule.
#include <libpq-fe.h>

#include <atomic>
#include <random>
#include <stdexcept>
#include <thread>

#include "figures.hpp"
#include "models.hpp"

namespace bench {

#if SY_BENCH_HAVE_ROUTING
namespace {

constexpr int kUsers = 200;
constexpr double kWriteShare = 0.25;
constexpr double kRate = 250;  // visits per second

struct Outcome {
  std::int64_t visits = 0, writes = 0, reads = 0, replica_reads = 0, stale = 0, stale_replica = 0;
  std::int64_t pauses = 0;
  double paused_seconds = 0;
};

thread_local std::string t_last_read_node;

void replay(PGconn* c, bool pause) {
  PGresult* r = PQexec(c, pause ? "SELECT pg_wal_replay_pause()" : "SELECT pg_wal_replay_resume()");
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
  PQclear(r);
  if (!ok) throw std::runtime_error(std::string("replay control: ") + PQerrorMessage(c));
}

Outcome phase(const Env& env, const sy::ConnectionClass& klass, unsigned seed, double seconds) {
  pg_exec(env.conninfo(env.primary), "UPDATE ryw_users SET v = 0");
  wait_catchup(env);
  sy::routing::reset_session();

  Outcome out;
  std::atomic<bool> stop{false};
  std::exception_ptr pauser_error;
  std::thread pauser([&] {
    PGconn* c = PQconnectdb(env.conninfo(env.replica, "postgres").c_str());
    try {
      if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error("replica connect failed");
      std::mt19937 rng(seed * 7 + 1);
      std::uniform_real_distribution<double> gap(0.3, 1.0), spell(1.0, 4.0);
      auto sleep_or_stop = [&](double s) {
        const auto until = Clock::now() + std::chrono::duration<double>(s);
        while (!stop.load() && Clock::now() < until)
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
      };
      while (!stop.load()) {
        sleep_or_stop(gap(rng));
        if (stop.load()) break;
        replay(c, true);
        const auto t0 = Clock::now();
        ++out.pauses;
        sleep_or_stop(spell(rng));
        replay(c, false);
        out.paused_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      }
    } catch (...) {
      pauser_error = std::current_exception();
    }
    if (PQstatus(c) == CONNECTION_OK) {
      PGresult* r = PQexec(c, "SELECT pg_wal_replay_resume()");  // never leave it paused
      PQclear(r);
    }
    PQfinish(c);
  });

  std::vector<std::string> tokens(kUsers);
  std::vector<std::int64_t> last(kUsers, 0);
  std::int64_t seq = 0;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, kUsers - 1);
  std::uniform_real_distribution<double> coin(0, 1);
  const std::string update = "UPDATE ryw_users SET v = $1 WHERE id = $2";
  const std::string select = "SELECT v FROM ryw_users WHERE id = $1";
  const auto t0 = Clock::now();
  try {
    for (std::int64_t i = 0;; ++i) {
      const auto due = t0 + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(static_cast<double>(i) / kRate));
      if (due - t0 > std::chrono::duration<double>(seconds)) break;
      std::this_thread::sleep_until(due);
      const int u = pick(rng);
      const bool write = coin(rng) < kWriteShare;
      sy::routing::UnitOfWork visit(tokens[static_cast<std::size_t>(u)]);
      if (write) {
        const std::int64_t v = ++seq;
        const sy::Value binds[] = {v, std::int64_t{u}};
        sy::execute(klass, update, binds, {.name = "User Update", .prepare = true});
        last[static_cast<std::size_t>(u)] = v;
        ++out.writes;
      }
      const sy::Value key[] = {std::int64_t{u}};
      t_last_read_node.clear();
      const auto r = sy::execute(klass, select, key, {.name = "User Load", .prepare = true});
      const auto v = std::get<std::int64_t>(r.scalar());
      ++out.reads;
      const bool on_replica = t_last_read_node == "bench_replica";
      if (on_replica) ++out.replica_reads;
      if (v < last[static_cast<std::size_t>(u)]) {
        ++out.stale;
        if (on_replica) ++out.stale_replica;
      }
      ++out.visits;
      tokens[static_cast<std::size_t>(u)] = sy::routing::export_token();
    }
  } catch (...) {
    stop = true;
    pauser.join();
    throw;
  }
  stop = true;
  pauser.join();
  if (pauser_error) std::rethrow_exception(pauser_error);
  sy::routing::reset_session();
  return out;
}

nlohmann::json to_json(const Outcome& o) {
  return {{"visits", o.visits},      {"writes", o.writes},
          {"reads", o.reads},        {"replica_reads", o.replica_reads},
          {"stale_reads", o.stale},  {"pauses", o.pauses},
          {"paused_seconds", o.paused_seconds}};
}

}  // namespace

void ryw_figures(const Env& env, const Options& options, Results& results) {
  pg_exec(env.conninfo(env.primary),
          "INSERT INTO ryw_users (id, v) SELECT g, 0 FROM generate_series(0, " +
              std::to_string(kUsers - 1) + ") g ON CONFLICT (id) DO NOTHING");
  wait_catchup(env);
  sy::instrument::Subscription sub([](const sy::instrument::SqlEvent& e) {
    if (e.name == "User Load") t_last_read_node.assign(e.node);
  });

  const double seconds = options.scale < 1 ? 4 : 8;
  const int pairs = 2;
  Outcome time_total, wal_total;
  nlohmann::json phases = nlohmann::json::array();
  for (int p = 0; p < pairs; ++p) {
    for (int k = 0; k < 2; ++k) {
      const bool wal = (k == 1) == (p % 2 == 0);  // time wal | wal time
      const auto o = phase(env, wal ? RywWalRecord::connection_class() : RywTimeRecord::connection_class(),
                           static_cast<unsigned>(1000 + p), seconds);
      auto& t = wal ? wal_total : time_total;
      t.visits += o.visits, t.writes += o.writes, t.reads += o.reads;
      t.replica_reads += o.replica_reads, t.stale += o.stale, t.stale_replica += o.stale_replica;
      t.pauses += o.pauses, t.paused_seconds += o.paused_seconds;
      auto j = to_json(o);
      j["mode"] = wal ? "wal" : "time";
      j["seed"] = 1000 + p;
      phases.push_back(j);
    }
  }
  wait_catchup(env);
  auto share = [](const Outcome& o) {
    return o.reads == 0 ? 0.0 : 100.0 * static_cast<double>(o.replica_reads) / static_cast<double>(o.reads);
  };
  const nlohmann::json detail = {{"users", kUsers},
                                 {"write_share", kWriteShare},
                                 {"visits_per_second", kRate},
                                 {"seconds_per_phase", seconds},
                                 {"time_window", to_json(time_total)},
                                 {"wal", to_json(wal_total)},
                                 {"phases", phases}};
  Figure ts;
  ts.name = "6. RYW: replica share, 2 s window";
  ts.unit = "%";
  ts.value = share(time_total);
  ts.detail = detail;
  results.add(ts);
  Figure tst;
  tst.name = "6. RYW: stale reads, 2 s window";
  tst.unit = "reads";
  tst.value = static_cast<double>(time_total.stale);
  tst.note = "of " + std::to_string(time_total.reads) + " reads";
  results.add(tst);
  Figure ws;
  ws.name = "6. RYW: replica share, WAL";
  ws.unit = "%";
  ws.value = share(wal_total);
  ws.baseline = "2 s time window";
  ws.baseline_value = share(time_total);
  ws.target = "ratio >= 1.5";
  results.add(ws);
  Figure wst;
  wst.name = "6. RYW: stale reads, WAL";
  wst.unit = "reads";
  wst.value = static_cast<double>(wal_total.stale);
  wst.baseline = "2 s time window";
  wst.baseline_value = static_cast<double>(time_total.stale);
  wst.target = "value == 0";
  wst.note = "of " + std::to_string(wal_total.reads) + " reads";
  results.add(wst);
}

#else

void ryw_figures(const Env&, const Options&, Results& results) {
  const std::string why = "routing proxy mode (time window / WAL stickiness) has not landed in main";
  results.pending("6. RYW: replica share, 2 s window", "%", "", "", why);
  results.pending("6. RYW: stale reads, 2 s window", "reads", "", "", why);
  results.pending("6. RYW: replica share, WAL", "%", "2 s time window", "ratio >= 1.5", why);
  results.pending("6. RYW: stale reads, WAL", "reads", "2 s time window", "value == 0", why);
}

#endif

}  // namespace bench

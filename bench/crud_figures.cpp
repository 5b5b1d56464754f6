// Figures 1-3: find by primary key and create, against libpq, SOCI and ActiveRecord; the same
// find on the standby through a reading scope and through proxy mode.
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>

#include "drivers.hpp"
#include "figures.hpp"

namespace bench {
namespace {

volatile std::int64_t g_sink = 0;  // keeps results alive

template <typename Fn>
Variant timed(std::string name, Fn body) {
  return Variant{std::move(name), [body](int n) mutable {
                   const auto t0 = now_ns();
                   for (int i = 0; i < n; ++i) body();
                   return static_cast<double>(now_ns() - t0);
                 }};
}

nlohmann::json rounds_json(const Interleaved& r) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, values] : r.rounds) {
    nlohmann::json v = nlohmann::json::array();
    for (double x : values) v.push_back(std::round(x));
    j[name] = {{"ns_per_op_by_round", v}, {"median_ns", std::round(median(values))}};
  }
  return j;
}

Figure time_figure(const std::string& name, const Interleaved& r, const std::string& mine,
                   const std::string& base, const std::string& base_label,
                   const std::string& target) {
  Figure f;
  f.name = name;
  f.unit = "us/op";
  f.value = r.median_ns(mine) / 1000;
  f.baseline = base_label;
  f.baseline_value = r.median_ns(base) / 1000;
  f.ratio = r.paired_ratio(mine, base);
  f.target = target;
  f.detail = rounds_json(r);
  return f;
}

Figure throughput_figure(const std::string& name, const Interleaved& r, const std::string& mine,
                         const std::string& base, const std::string& base_label,
                         const std::string& target) {
  Figure f;
  f.name = name;
  f.unit = "ops/s";
  f.value = 1e9 / r.median_ns(mine);
  f.baseline = base_label;
  f.baseline_value = 1e9 / r.median_ns(base);
  f.ratio = r.paired_ratio(base, mine);  // throughput ratio = time ratio inverted
  f.target = target;
  f.detail = rounds_json(r);
  return f;
}

// One comparison of figures 1 and 2. The C++ contenders take turns one operation at a time
// (interleave_ops), and switchyard and libpq share one connection (so one server backend: on a
// loaded machine a backend can sit in a slow scheduling regime for seconds, which per-round
// pairing cannot cancel when the two contenders use different backends). ActiveRecord runs in its
// own process, so its comparison interleaves blocks of operations (interleave).
struct Comparison {
  std::string figure;      // "1. find by id", "2. create"
  std::string unit_label;  // "prepared stmt", "create!"
  std::string libpq_target, activerecord_target;
  std::function<void()> orm, libpq, soci;
  std::function<double(int)> activerecord;  // empty without --ruby
  int ops = 100, warmup = 200;
};

void compare(const Comparison& c, const Options& options, Results& results) {
  const auto r = interleave_ops({{"switchyard", c.orm}, {"libpq", c.libpq}, {"soci", c.soci}},
                                options.rounds, options.ops(c.ops), options.ops(c.warmup));
  const std::string how =
      "median latency per round (operations interleaved one at a time; switchyard and libpq on "
      "the same pooled connection), median over rounds; ratio: median of per-round ratios";
  auto pq = time_figure(c.figure + ": vs libpq", r, "switchyard", "libpq", "libpq " + c.unit_label,
                        c.libpq_target);
  pq.note = how;
  results.add(pq);
  auto so =
      time_figure(c.figure + ": vs SOCI", r, "switchyard", "soci", "SOCI " + c.unit_label, "");
  so.note = how + " (SOCI on its own connection)";
  results.add(so);
  if (!c.activerecord) {
    results.pending(c.figure + ": vs ActiveRecord", "ops/s", "ActiveRecord 6.1",
                    c.activerecord_target, "run without --ruby");
    return;
  }
  auto block = [](std::string name, const std::function<void()>& op) {
    return timed(std::move(name), [op] { op(); });
  };
  const auto ar = interleave({block("switchyard", c.orm), block("libpq", c.libpq),
                              Variant{"activerecord", c.activerecord}},
                             options.rounds, options.ops(c.ops), options.ops(c.warmup / 2));
  auto f = throughput_figure(c.figure + ": vs ActiveRecord", ar, "switchyard", "activerecord",
                             "ActiveRecord 6.1", c.activerecord_target);
  f.note =
      "blocks of operations interleaved with the ActiveRecord child process; ratio: median "
      "of per-round throughput ratios";
  // The ceiling: what the raw driver itself achieves against ActiveRecord in the same rounds.
  f.detail["libpq_vs_activerecord"] = ar.paired_ratio("activerecord", "libpq");
  f.detail["switchyard_vs_libpq_in_blocks"] = ar.paired_ratio("switchyard", "libpq");
  results.add(f);
}

}  // namespace

void crud_figures(const Env& env, const Options& options, Results& results) {
  // Held for the whole group: Dog's statements run on this connection (leases are re-entrant per
  // thread), and the libpq baseline borrows its PGconn.
  auto lease = sy::lease_connection(BenchRecord::connection_class());
  RawPg raw = RawPg::borrowing(lease->pg_handle());
  SociPg soci(env.conninfo(env.primary));
  std::unique_ptr<RubyChild> ruby;
  if (!options.ruby_script.empty()) ruby = std::make_unique<RubyChild>(options.ruby_script, env.database);
  auto ruby_op = [&](const char* command, std::int64_t& k) -> std::function<double(int)> {
    if (!ruby) return {};
    return [&ruby, &k, command](int n) {
      const double ns = ruby->run(command, n, k);
      k += n;
      return ns;
    };
  };

  // ---- 1. find by primary key on the primary ----
  {
    std::int64_t k_orm = 0, k_raw = 0, k_soci = 0, k_ar = 0;
    Comparison c;
    c.figure = "1. find by id";
    c.unit_label = "prepared stmt";
    c.libpq_target = "ratio <= 1.10";
    c.activerecord_target = "ratio >= 8";
    c.orm = [&] { g_sink = g_sink + Dog::find(id_for(k_orm++)).id; };
    c.libpq = [&] { g_sink = g_sink + raw.find(id_for(k_raw++)).id; };
    c.soci = [&] { g_sink = g_sink + soci.find(id_for(k_soci++)).id; };
    c.activerecord = ruby_op("find", k_ar);
    compare(c, options, results);
  }

  // ---- 2. create one record ----
  {
    std::int64_t k_orm = 0, k_raw = 0, k_soci = 0, k_ar = 0;
    Comparison c;
    c.figure = "2. create";
    c.unit_label = "prepared stmt";
    c.libpq_target = "ratio <= 1.15";
    c.activerecord_target = "ratio >= 5";
    c.orm = [&] {
      const auto k = k_orm++;
      g_sink = g_sink +
               Dog::create({.name = "sy-" + std::to_string(k), .age = static_cast<int>(k % 20)}).id;
    };
    c.libpq = [&] {
      const auto k = k_raw++;
      g_sink = g_sink + raw.create("pq-" + std::to_string(k), static_cast<int>(k % 20)).id;
    };
    c.soci = [&] {
      const auto k = k_soci++;
      g_sink = g_sink + soci.create("so-" + std::to_string(k), static_cast<int>(k % 20)).id;
    };
    c.activerecord = ruby_op("create", k_ar);
    c.ops = 60;
    c.warmup = 50;
    compare(c, options, results);
  }
  // The creates went to the primary; let the standby catch up before anything reads it.
  wait_catchup(env);
}

void profile_variant(const Env& env, const std::string& variant, int n) {
  std::function<void(std::int64_t)> op;
  std::unique_ptr<RawPg> raw;
  if (variant == "find_orm") op = [](std::int64_t k) { g_sink = g_sink + Dog::find(id_for(k)).id; };
  else if (variant == "find_standby") op = [](std::int64_t k) { g_sink = g_sink + StandbyDog::find(id_for(k)).id; };
  else if (variant == "find_scope")
    op = [](std::int64_t k) {
      g_sink = g_sink + BenchRecord::connected_to({.role = sy::reading}, [&] { return Dog::find(id_for(k)); }).id;
    };
#if SY_BENCH_HAVE_ROUTING
  else if (variant == "find_proxy") op = [](std::int64_t k) { g_sink = g_sink + ProxyDog::find(id_for(k)).id; };
#endif
  else if (variant == "create_orm")
    op = [](std::int64_t k) { g_sink = g_sink + Dog::create({.name = "p-" + std::to_string(k), .age = 1}).id; };
  else if (variant == "find_libpq" || variant == "create_libpq") {
    raw = std::make_unique<RawPg>(env.conninfo(env.primary));
    if (variant == "find_libpq") op = [&](std::int64_t k) { g_sink = g_sink + raw->find(id_for(k)).id; };
    else op = [&](std::int64_t k) { g_sink = g_sink + raw->create("p-" + std::to_string(k), 1).id; };
  } else {
    throw std::runtime_error("unknown variant " + variant);
  }
  for (std::int64_t k = 0; k < 20; ++k) op(k);  // connect, prepare
  for (std::int64_t k = 0; k < n; ++k) op(k);
}

void routing_figures(const Env& env, const Options& options, Results& results) {
  // The same find (same SQL, prepared, same ids) on the standby. `direct`, `reading_scope` and
  // libpq run on one connection, BenchRecord's reading pool: `direct` inside a reading scope held for the
  // whole figure, `reading_scope` pushing and popping its own scope around every find, so their
  // difference is the scope's cost alone. Proxy mode classifies and routes each find to its own
  // replica pool (another connection to the same standby). Interleaved one find at a time: on a
  // shared machine whole blocks of a variant can otherwise land in a slow scheduling regime.
  std::int64_t k_direct = 0, k_scope = 0, k_raw = 0, k_proxy = 0;
  const sy::ConnectedToScope held(BenchRecord::connection_class(), {.role = sy::reading});
  // libpq borrows that connection too (a lease is re-entrant per thread).
  auto lease = sy::lease_connection(BenchRecord::connection_class());
  RawPg raw = RawPg::borrowing(lease->pg_handle(), false);
  (void)env;
  std::vector<OpVariant> v = {
      {"direct", [&] { g_sink = g_sink + Dog::find(id_for(k_direct++)).id; }},
      {"reading_scope",
       [&] {
         g_sink = g_sink + BenchRecord::connected_to({.role = sy::reading}, [&] {
                             return Dog::find(id_for(k_scope++));
                           }).id;
       }},
      {"libpq", [&] { g_sink = g_sink + raw.find(id_for(k_raw++)).id; }},
  };
#if SY_BENCH_HAVE_ROUTING
  v.push_back({"proxy", [&] { g_sink = g_sink + ProxyDog::find(id_for(k_proxy++)).id; }});
#else
  (void)k_proxy;
#endif
  interleave_ops(v, 0, 0, options.ops(200));  // warm-up only: connections, prepares, replica set
#if SY_BENCH_HAVE_ROUTING
  sy::routing::reset_session();
  sy::routing::reset_metrics();  // the metrics of the measured finds
#endif
  const auto r = interleave_ops(v, options.rounds, options.ops(100), 0);
  const std::string how =
      "median latency per round (finds interleaved one at a time), median over rounds; ratio: "
      "median of per-round ratios";
  {
    auto f = time_figure("3. find on standby: reading scope", r, "reading_scope", "direct",
                         "direct (same pool, scope held)", "ratio <= 1.05");
    f.note = "connected_to(reading) pushed and popped around every find; " + how;
    results.add(f);
  }
#if SY_BENCH_HAVE_ROUTING
  {
    auto f = time_figure("3. find on standby: proxy mode", r, "proxy", "direct",
                         "direct (same pool, scope held)", "ratio <= 1.05");
    f.note = "every find classified and routed to the standby; " + how;
    f.detail["routing_metrics"] = sy::routing::metrics().to_json();
    results.add(f);
  }
#else
  results.pending("3. find on standby: proxy mode", "us/op", "direct (same pool, scope held)",
                  "ratio <= 1.05", "routing proxy mode has not landed in main");
#endif
  auto f = time_figure("3. find on standby: direct vs libpq", r, "direct", "libpq",
                       "libpq prepared on standby", "");
  f.note = how;
  results.add(f);
}

}  // namespace bench

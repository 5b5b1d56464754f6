// sy_bench: every figure of docs/performance.md against the servers of scripts/pg-cluster.
//
//   sy_bench --out bench/results.json --ruby bench/activerecord_bench.rb --micro micro.json
//            [--rounds N] [--quick] [--only crud,routing,classify,pool,ryw,sync,memory]
//
// scripts/bench builds it, starts the servers and runs it; see that script for the whole run.
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>

#include "figures.hpp"
#include "models.hpp"

namespace bench {

bool Options::wants(const std::string& group) const {
  if (only.empty()) return true;
  std::stringstream in(only);
  std::string item;
  while (std::getline(in, item, ','))
    if (item == group) return true;
  return false;
}

sy::DatabaseConfigurations bench_configs(const Env& env) {
  nlohmann::ordered_json e;
  e["primary"] = env.config(env.primary);
  e["bench"] = env.config(env.primary);
  auto replica = env.config(env.replica);
  replica["replica"] = true;
  e["bench_replica"] = replica;
#if SY_BENCH_HAVE_ROUTING
  auto proxy = env.config(env.primary);
  proxy["adapter"] = "postgresql_proxy";
  proxy["replicas"] = nlohmann::json::array({"bench_replica"});
  e["bench_proxy"] = proxy;
  for (const char* mode : {"time", "wal"}) {
    auto ryw = proxy;
    ryw["stickiness"] = mode;
    ryw["proxy_delay"] = 2;  // seconds: Rails' default window
    e[std::string("ryw_") + mode] = ryw;
  }
#else
  e["bench_proxy"] = env.config(env.primary);  // unused until proxy mode lands
#endif
  e["sync_target"] = env.config(env.second);
  nlohmann::ordered_json tree;
  tree["bench"] = e;
  return sy::DatabaseConfigurations(tree, "sy_bench", "bench");
}

void setup_databases(const Env& env) {
  for (const Server* s : {&env.primary, &env.second}) {
    const auto admin = env.conninfo(*s, "postgres");
    pg_exec(admin, "DROP DATABASE IF EXISTS " + env.database + " WITH (FORCE)");
    pg_exec(admin, "CREATE DATABASE " + env.database);
  }
  pg_exec(env.conninfo(env.primary),
          "CREATE TABLE dogs (id bigserial PRIMARY KEY, name text NOT NULL, age integer);"
          "INSERT INTO dogs (name, age) SELECT 'dog-' || g, g % 20 FROM generate_series(1, " +
              std::to_string(kDogs) +
              ") g;"
              "ANALYZE dogs;"
              "CREATE TABLE ryw_users (id integer PRIMARY KEY, v bigint NOT NULL);"
              "CREATE TABLE sync_src (id bigserial PRIMARY KEY, name text NOT NULL, age integer);"
              "CREATE TABLE backfill_src (id bigint PRIMARY KEY, name text NOT NULL, age integer);");
  pg_exec(env.conninfo(env.second),
          "CREATE TABLE sync_src (id bigint PRIMARY KEY, name text NOT NULL, age integer);"
          "CREATE TABLE backfill_src (id bigint PRIMARY KEY, name text NOT NULL, age integer);");
  wait_catchup(env);
}

}  // namespace bench

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: sy_bench [--out FILE] [--ruby SCRIPT|--no-ruby] [--micro FILE] [--rounds N]\n"
               "                [--quick] [--only GROUPS]\n"
               "       sy_bench --profile VARIANT --n N   (for callgrind; needs a previous run's database)\n");
}

}  // namespace

int main(int argc, char** argv) {
  // One malloc arena: heap_in_use() (mallinfo2) then sees the allocations of every thread.
  mallopt(M_ARENA_MAX, 1);
  bench::Options options;
  std::string profile;
  int profile_n = 1000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--out") options.out = next();
    else if (a == "--ruby") options.ruby_script = next();
    else if (a == "--no-ruby") options.ruby_script.clear();
    else if (a == "--micro") options.micro_json = next();
    else if (a == "--rounds") options.rounds = std::stoi(next());
    else if (a == "--quick") options.scale = 0.5, options.rounds = 21;
    else if (a == "--only") options.only = next();
    else if (a == "--profile") profile = next();
    else if (a == "--n") profile_n = std::stoi(next());
    else {
      usage();
      return 2;
    }
  }

  bench::Results results;
  try {
    const auto env = bench::Env::from_environment();
    if (profile.empty()) {
      std::fprintf(stderr, "sy_bench: setting up %s on the primary and the second server\n",
                   env.database.c_str());
      bench::setup_databases(env);
    }
    const auto configs = bench::bench_configs(env);
    switchyard::establish(configs, "bench");
#if SY_BENCH_HAVE_ROUTING
    switchyard::routing::install(configs, "bench");
#endif
    if (!profile.empty()) {
      bench::profile_variant(env, profile, profile_n);
      return 0;
    }
    auto group = [&](const char* name, auto&& fn) {
      if (!options.wants(name)) return;
      std::fprintf(stderr, "sy_bench: %s\n", name);
      try {
        fn();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "sy_bench: %s failed: %s\n", name, e.what());
        bench::Figure f;
        f.name = std::string(name) + ": failed";
        f.status = "failed";
        f.note = e.what();
        results.add(f);
      }
    };
    group("crud", [&] { bench::crud_figures(env, options, results); });
    group("routing", [&] { bench::routing_figures(env, options, results); });
    group("classify", [&] { bench::classifier_figures(options, results); });
    group("pool", [&] { bench::pool_figures(env, options, results); });
    group("ryw", [&] { bench::ryw_figures(env, options, results); });
    group("sync", [&] { bench::sync_figures(env, options, results); });
    group("memory", [&] { bench::memory_figures(env, options, results); });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sy_bench: %s\n", e.what());
    return 1;
  }

  results.print_table();
  if (!options.out.empty()) {
    std::ofstream out(options.out);
    out << results.to_json().dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "sy_bench: cannot write %s\n", options.out.c_str());
      return 1;
    }
  }
  return 0;
}

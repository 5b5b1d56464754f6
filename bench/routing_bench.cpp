// Routing costs: the statement decision (classification included) and replica selection per
// statement, and a primary-key find through the proxy versus straight on the replica's pool
// (PostgreSQL; skipped without SWITCHYARD_PG_* in the environment).
//   meson setup build-rel --buildtype=release -Dbench=true && ninja -C build-rel
//   build-rel/bench/routing_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "switchyard/config/database_configurations.hpp"
#include "switchyard/context/connection_class.hpp"
#include "switchyard/context/connection_handling.hpp"
#include "switchyard/routing/decision.hpp"
#include "switchyard/routing/proxy.hpp"

namespace sy = switchyard;
namespace routing = switchyard::routing;

namespace {

const std::vector<std::string> kOrmStatements = {
    R"(SELECT "dogs".* FROM "dogs" WHERE "dogs"."id" = $1 LIMIT $2)",
    R"(SELECT COUNT(*) FROM "dogs" WHERE "dogs"."age" > $1)",
    R"(SELECT "dogs".* FROM "dogs" INNER JOIN "owners" ON "owners"."id" = "dogs"."owner_id" WHERE "owners"."name" IN ($1, $2) ORDER BY "dogs"."name" ASC)",
    R"(INSERT INTO "dogs" ("name", "age") VALUES ($1, $2) RETURNING "id")",
    R"(UPDATE "dogs" SET "age" = $1 WHERE "dogs"."id" = $2)",
    R"(SELECT "dogs".* FROM "dogs" WHERE "dogs"."id" = $1 LIMIT $2 FOR UPDATE)",
    R"(DELETE FROM "dogs" WHERE "dogs"."id" = $1)",
    R"(SELECT 1 AS one FROM "dogs" WHERE "dogs"."name" = $1 LIMIT $2)",
};

void BM_decide(benchmark::State& state) {
  const auto& c = sy::sql::default_classifier(sy::sql::Dialect::postgresql);
  std::size_t i = 0;
  for (auto _ : state) {
    auto d = routing::decide(c, kOrmStatements[i++ % kOrmStatements.size()], routing::SessionView{});
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_decide);

void BM_decide_in_transaction(benchmark::State& state) {
  const auto& c = sy::sql::default_classifier(sy::sql::Dialect::postgresql);
  for (auto _ : state) {
    auto d = routing::decide(c, kOrmStatements[0], routing::SessionView{.in_transaction = true});
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_decide_in_transaction);

void BM_select_replica(benchmark::State& state) {
  std::vector<routing::ReplicaView> views(static_cast<std::size_t>(state.range(0)));
  for (std::size_t i = 0; i < views.size(); ++i) views[i].outstanding = static_cast<std::int64_t>(i % 3);
  std::uint64_t ticket = 0;
  const auto lb = static_cast<routing::LoadBalancing>(state.range(1));
  for (auto _ : state) benchmark::DoNotOptimize(routing::select_replica(views, lb, ticket++));
}
BENCHMARK(BM_select_replica)->Args({3, 0})->Args({3, 1})->Args({3, 2})->Args({16, 1});

// ---- Through the proxy vs direct (PostgreSQL) ------------------------------------------------

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

sy::ConnectionClass& bench_class() {
  static sy::ConnectionClass k("RoutingBench", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "bench_main", .reading = "bench_replica"}));
  return k;
}

bool pg_setup() {
  static const bool ok = [] {
    if (!env("SWITCHYARD_PG_PRIMARY_PORT") || !env("SWITCHYARD_PG_REPLICA_PORT")) return false;
    auto server = [](const char* port_var) {
      return nlohmann::ordered_json{{"adapter", "postgresql"},
                                    {"host", env("SWITCHYARD_PG_HOST") ? env("SWITCHYARD_PG_HOST") : "127.0.0.1"},
                                    {"port", std::atoi(env(port_var))},
                                    {"database", env("SWITCHYARD_PG_DATABASE") ? env("SWITCHYARD_PG_DATABASE") : "switchyard_test"},
                                    {"username", env("SWITCHYARD_PG_USER") ? env("SWITCHYARD_PG_USER") : "switchyard"},
                                    {"password", env("SWITCHYARD_PG_PASSWORD") ? env("SWITCHYARD_PG_PASSWORD") : ""}};
    };
    nlohmann::ordered_json e;
    e["primary"] = server("SWITCHYARD_PG_PRIMARY_PORT");
    e["bench_main"] = server("SWITCHYARD_PG_PRIMARY_PORT");
    e["bench_main"]["proxy"] = true;
    e["bench_replica"] = server("SWITCHYARD_PG_REPLICA_PORT");
    e["bench_replica"]["replica"] = true;
    nlohmann::ordered_json tree;
    tree["bench"] = e;
    sy::DatabaseConfigurations configs(tree, "bench", "bench");
    sy::establish(configs, "bench");
    routing::install(configs, "bench");
    return true;
  }();
  return ok;
}

const char* kFind = "SELECT oid, relname FROM pg_class WHERE oid = $1";

void BM_find_through_proxy(benchmark::State& state) {
  if (!pg_setup()) {
    state.SkipWithError("no PostgreSQL (SWITCHYARD_PG_* unset)");
    return;
  }
  std::vector<sy::Value> binds{std::int64_t{1259}};
  // Warm up: the first statement builds the replica set (a synchronous probe round).
  sy::execute(bench_class(), kFind, binds, {.prepare = true});
  for (auto _ : state)
    benchmark::DoNotOptimize(sy::execute(bench_class(), kFind, binds, {.prepare = true}));
}
BENCHMARK(BM_find_through_proxy)->UseRealTime();

void BM_find_direct_on_replica(benchmark::State& state) {
  if (!pg_setup()) {
    state.SkipWithError("no PostgreSQL (SWITCHYARD_PG_* unset)");
    return;
  }
  std::vector<sy::Value> binds{std::int64_t{1259}};
  sy::ConnectedToScope reading(bench_class(), {.role = sy::reading});
  auto pool = sy::connection_handler().retrieve_connection_pool_strict(sy::current_pool_key(bench_class()));
  for (auto _ : state) {
    sy::Lease l = pool->lease();
    benchmark::DoNotOptimize(l->execute(kFind, binds, {.prepare = true}));
  }
}
BENCHMARK(BM_find_direct_on_replica)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

// Figure 8: memory.
//   - bytes per pooled connection: heap (mallinfo2, one arena) and RSS growth while a pool opens
//     N connections, against N bare libpq connections;
//   - bytes per loaded model instance: heap growth while M Dogs loaded by the ORM are alive,
//     against the same rows in a vector of plain structs filled by hand from libpq.
#include <libpq-fe.h>

#include <barrier>
#include <stdexcept>
#include <thread>

#include "figures.hpp"
#include "models.hpp"

namespace bench {
namespace {

constexpr int kConnections = 16;
constexpr int kRecords = 5000;

struct Delta {
  double heap = 0;
  double rss = 0;
};

Delta pool_connections(const sy::DatabaseConfig& config, int round) {
  const auto h0 = heap_in_use();
  const auto r0 = rss_bytes();
  sy::PoolOptions po;
  po.size = kConnections;
  po.reaping_frequency.reset();
  auto pool = sy::ConnectionPool::create(
      config, {.connection_name = "MemoryBench" + std::to_string(round)}, po);
  {
    std::barrier sync(kConnections + 1);
    std::vector<std::thread> threads;
    for (int i = 0; i < kConnections; ++i)
      threads.emplace_back([&] {
        auto lease = pool->lease();
        sync.arrive_and_wait();  // all N leased at once: N connections
        sync.arrive_and_wait();
      });
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    for (auto& t : threads) t.join();
  }
  if (pool->stats().connections != kConnections) throw std::runtime_error("pool did not open N");
  Delta d{static_cast<double>(heap_in_use() - h0) / kConnections,
          static_cast<double>(rss_bytes() - r0) / kConnections};
  pool->disconnect();
  return d;
}

Delta raw_connections(const std::string& conninfo) {
  const auto h0 = heap_in_use();
  const auto r0 = rss_bytes();
  std::vector<PGconn*> conns;
  for (int i = 0; i < kConnections; ++i) {
    conns.push_back(PQconnectdb(conninfo.c_str()));
    if (PQstatus(conns.back()) != CONNECTION_OK) throw std::runtime_error("libpq connect failed");
  }
  Delta d{static_cast<double>(heap_in_use() - h0) / kConnections,
          static_cast<double>(rss_bytes() - r0) / kConnections};
  for (auto* c : conns) PQfinish(c);
  return d;
}

double orm_records() {
  const auto h0 = heap_in_use();
  auto dogs = Dog::where("id <= ?", kRecords).order("id").all();
  if (dogs.size() != kRecords) throw std::runtime_error("expected " + std::to_string(kRecords) + " dogs");
  return static_cast<double>(heap_in_use() - h0) / kRecords;
}

double plain_records(PGconn* c) {
  const auto h0 = heap_in_use();
  std::vector<PlainDog> dogs;
  {
    const std::string sql =
        "SELECT id, name, age FROM dogs WHERE id <= " + std::to_string(kRecords) + " ORDER BY id";
    PGresult* r = PQexec(c, sql.c_str());
    const int n = PQntuples(r);
    dogs.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      PlainDog d;
      d.id = std::stoll(PQgetvalue(r, i, 0));
      d.name = PQgetvalue(r, i, 1);
      if (!PQgetisnull(r, i, 2)) d.age = std::stoi(PQgetvalue(r, i, 2));
      dogs.push_back(std::move(d));
    }
    PQclear(r);
  }
  if (dogs.size() != kRecords) throw std::runtime_error("expected rows");
  return static_cast<double>(heap_in_use() - h0) / kRecords;
}

}  // namespace

void memory_figures(const Env& env, const Options& options, Results& results) {
  const auto configs = bench_configs(env);
  const auto config = configs.resolve("bench");
  const std::string conninfo = env.conninfo(env.primary);
  // Warm-up: libraries, TLS tables, first-use caches.
  pool_connections(config, -1);
  raw_connections(conninfo);

  const int rounds = std::max(3, options.rounds / 10);
  std::vector<double> sy_heap, sy_rss, pq_heap, pq_rss;
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < 2; ++k) {
      if ((k == 0) == (r % 2 == 0)) {
        const auto d = pool_connections(config, r);
        sy_heap.push_back(d.heap), sy_rss.push_back(d.rss);
      } else {
        const auto d = raw_connections(conninfo);
        pq_heap.push_back(d.heap), pq_rss.push_back(d.rss);
      }
    }
  }
  Figure conn;
  conn.name = "8. memory: heap per pooled connection";
  conn.unit = "bytes";
  conn.value = median(sy_heap);
  conn.baseline = "bare libpq PGconn";
  conn.baseline_value = median(pq_heap);
  conn.detail = {{"connections", kConnections},
                 {"switchyard_heap_by_round", sy_heap},
                 {"libpq_heap_by_round", pq_heap},
                 {"switchyard_rss_per_connection", median(sy_rss)},
                 {"libpq_rss_per_connection", median(pq_rss)}};
  conn.note = "client side only (malloc'd bytes; RSS in detail)";
  results.add(conn);

  PGconn* c = PQconnectdb(conninfo.c_str());
  if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error("libpq connect failed");
  orm_records();  // warm the prepared/statement caches and model metadata
  plain_records(c);
  std::vector<double> sy_rec, plain_rec;
  for (int r = 0; r < rounds; ++r) {
    for (int k = 0; k < 2; ++k) {
      if ((k == 0) == (r % 2 == 0))
        sy_rec.push_back(orm_records());
      else
        plain_rec.push_back(plain_records(c));
    }
  }
  PQfinish(c);
  Figure rec;
  rec.name = "8. memory: heap per loaded model";
  rec.unit = "bytes";
  rec.value = median(sy_rec);
  rec.baseline = "plain struct from libpq";
  rec.baseline_value = median(plain_rec);
  rec.detail = {{"records", kRecords},
                {"sizeof_Dog", sizeof(Dog)},
                {"sizeof_plain", sizeof(PlainDog)},
                {"switchyard_by_round", sy_rec},
                {"plain_by_round", plain_rec}};
  rec.note = "Dog{id bigint, name text, age int}; includes the dirty-tracking snapshot";
  results.add(rec);
}

}  // namespace bench

// The figures in docs/sync.md: worker throughput, enqueue-to-target lag at a fixed write rate,
// backfill rate (COPY path, portable path) against a plain COPY pipe. Needs the PostgreSQL servers
// (scripts/test's environment); run with `meson test --benchmark -C build sync_bench` or directly.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "switchyard/sync/backfill.hpp"
#include "switchyard/sync/outbox.hpp"
#include "switchyard/sync/worker.hpp"
#include "sync_support.hpp"

using namespace switchyard;
namespace sy = switchyard::sync;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kDogs =
    "CREATE TABLE dogs (id bigint PRIMARY KEY, name text NOT NULL, age int, active boolean NOT "
    "NULL DEFAULT true, weight double precision, born timestamptz, price numeric(10,2), tags "
    "jsonb)";

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::string fill(int n) {
  return "INSERT INTO dogs (id, name, age, weight, born, price, tags) SELECT i, 'dog ' || i, "
         "i % 20, i / 3.0, now(), i % 1000 + 0.5, jsonb_build_object('i', i) FROM "
         "generate_series(1, " + std::to_string(n) + ") i";
}

}  // namespace

TEST_CASE("sync bench: worker rows/s, lag at a fixed write rate, backfill rows/s" * SY_PG) {
  const std::string db = "sy_sync_bench";
  test::fresh_pg_database(db);
  test::pg_exec(test::pg_primary(), db, kDogs);
  test::pg_exec(test::pg_second(), db, kDogs);
  auto primary = test::pg_config("animals", test::pg_primary(), db);
  auto second = test::pg_config("target", test::pg_second(), db);
  auto src = test::connect(primary);
  sy::install_outbox(*src);
  sy::install_capture_trigger(*src, "dogs", "id");
  sy::TableSync spec;
  spec.table = "dogs";
  spec.source = primary;
  spec.target = second;

  // 1. Worker throughput: a backlog of 20,000 distinct keys, drained by one and by four workers.
  const int n = 20000;
  for (int workers : {1, 4}) {
    test::pg_exec(test::pg_second(), db, "TRUNCATE dogs");
    test::pg_exec(test::pg_primary(), db, "TRUNCATE dogs; TRUNCATE switchyard_sync_outbox");
    test::pg_exec(test::pg_primary(), db, fill(n));
    const auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w)
      threads.emplace_back([&] {
        sy::WorkerOptions o;
        o.batch_size = 500;
        sy::Worker(spec, o).drain();
      });
    for (auto& t : threads) t.join();
    const double s = seconds_since(t0);
    std::printf("worker throughput, %d worker(s), batch 500: %d rows in %.2f s = %.0f rows/s\n",
                workers, n, s, n / s);
  }

  // 2. Lag at a fixed write rate: 200 single-row transactions per second for 10 s, one worker
  //    thread woken by the commits (the Syncable path: outbox row + wake_workers()).
  {
    test::pg_exec(test::pg_primary(), db, "TRUNCATE switchyard_sync_outbox");
    sy::WorkerOptions o;
    o.poll_interval = std::chrono::milliseconds(200);
    sy::Worker worker(spec, o);
    worker.start();
    const int rate = 200, secs = 10;
    auto c = test::connect(primary);
    const auto t0 = Clock::now();
    for (int i = 0; i < rate * secs; ++i) {
      const auto due = t0 + std::chrono::microseconds(1000000LL * i / rate);
      std::this_thread::sleep_until(due);
      c->execute("UPDATE dogs SET age = age + 1 WHERE id = $1",
                 {Value{std::int64_t{1 + (i * 7919) % n}}});
      sy::wake_workers();
    }
    const auto t_end = Clock::now() + std::chrono::seconds(10);
    while (test::count(*c, "SELECT count(*) FROM switchyard_sync_outbox") > 0 && Clock::now() < t_end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    worker.stop();
    auto st = worker.stats();
    std::printf("lag at %d writes/s for %d s: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu rows, %llu "
                "batches)\n",
                rate, secs, percentile(st.lag_samples_ms, 0.5), percentile(st.lag_samples_ms, 0.99),
                percentile(st.lag_samples_ms, 1.0), st.lag_samples_ms.size(),
                static_cast<unsigned long long>(st.batches));
  }

  // 3. Backfill of 200,000 rows: COPY path, portable path, and a plain COPY pipe for reference.
  {
    sy::remove_capture_trigger(*src, "dogs");
    const int rows = 200000;
    test::pg_exec(test::pg_primary(), db, "TRUNCATE dogs; TRUNCATE switchyard_sync_outbox");
    test::pg_exec(test::pg_primary(), db, fill(rows));
    for (bool copy : {true, false}) {
      test::pg_exec(test::pg_second(), db, "TRUNCATE dogs");
      sy::BackfillOptions o;
      o.batch_size = 10000;
      o.restart = true;
      o.use_copy = copy;
      auto r = sy::backfill(spec, o);
      std::printf("backfill %s: %lld rows in %.2f s = %.0f rows/s\n",
                  copy ? "COPY path" : "portable path", static_cast<long long>(r.rows_copied),
                  r.seconds, static_cast<double>(r.rows_copied) / r.seconds);
    }
    test::pg_exec(test::pg_second(), db, "TRUNCATE dogs");
    auto conn = [&](const test::PgServer& s) {
      return "\"host=" + s.host + " port=" + std::to_string(s.port) + " dbname=" + db +
             " user=" + test::pg_user() + "\"";
    };
    const std::string cmd = "PGPASSWORD='" + test::pg_password() + "' psql -qX " +
                            conn(test::pg_primary()) +
                            " -c 'COPY dogs TO STDOUT' | PGPASSWORD='" + test::pg_password() +
                            "' psql -qX " + conn(test::pg_second()) + " -c 'COPY dogs FROM STDIN'";
    const auto t0 = Clock::now();
    const int rc = std::system(cmd.c_str());
    const double s = seconds_since(t0);
    std::printf("plain COPY pipe (psql | psql), empty target: %d rows in %.2f s = %.0f rows/s%s\n",
                rows, s, rows / s, rc == 0 ? "" : " (FAILED)");
  }
}

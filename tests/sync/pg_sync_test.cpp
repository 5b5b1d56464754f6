// Sync on the real servers: the PostgreSQL primary (with its streaming replica) as the source and
// the independent second primary as the target; plus PostgreSQL <-> SQLite in both directions.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include "switchyard/errors.hpp"
#include "switchyard/instrument/notifications.hpp"
#include "switchyard/sync/backfill.hpp"
#include "switchyard/sync/outbox.hpp"
#include "switchyard/sync/verify.hpp"
#include "switchyard/sync/worker.hpp"
#include "sync_support.hpp"

using namespace switchyard;
namespace sy = switchyard::sync;

namespace {

constexpr const char* kPgDogs =
    "CREATE TABLE dogs (id bigint PRIMARY KEY, name text NOT NULL, age int, active boolean NOT "
    "NULL DEFAULT true, weight double precision, born timestamptz, price numeric(10,2), tags "
    "jsonb)";

struct PgFixture {
  std::string db;
  DatabaseConfig primary, replica, second;
  sy::TableSync spec;

  explicit PgFixture(std::string name, bool with_replica = true) : db(std::move(name)) {
    test::fresh_pg_database(db);
    primary = test::pg_config("animals", test::pg_primary(), db);
    replica = test::pg_config("animals_replica", test::pg_replica(), db, true);
    second = test::pg_config("target", test::pg_second(), db);
    test::pg_exec(test::pg_primary(), db, kPgDogs);
    test::pg_exec(test::pg_second(), db, kPgDogs);
    auto c = test::connect(primary);
    sy::install_outbox(*c);
    spec.table = "dogs";
    spec.source = primary;
    if (with_replica) spec.source_replica = replica;
    spec.target = second;
  }

  std::filesystem::path config_file() const {
    return test::write_config(db + ".json",
                              {{"animals", test::pg_settings(test::pg_primary(), db)},
                               {"animals_replica", test::pg_settings(test::pg_replica(), db, true)},
                               {"target", test::pg_settings(test::pg_second(), db)}});
  }

  std::vector<std::string> tool_args(const std::string& command,
                                     std::vector<std::string> extra = {}) const {
    std::vector<std::string> a{command,  "--config", config_file().string(), "--env", "test",
                               "--table", "dogs",    "--from", "animals", "--to", "target"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  std::int64_t source_count(const std::string& sql) {
    return std::atoll(test::pg_scalar(test::pg_primary(), db, sql).c_str());
  }
  std::int64_t target_count(const std::string& sql) {
    return std::atoll(test::pg_scalar(test::pg_second(), db, sql).c_str());
  }
};

// A random write through the outbox, as the Syncable mixin does (same transaction).
void random_write(Connection& c, std::mt19937& rng, int keys, bool enqueue) {
  std::uniform_int_distribution<int> key(1, keys), op(0, 9), n(0, 1000);
  const std::int64_t k = key(rng);
  c.begin_transaction();
  if (op(rng) < 2) {
    c.execute("DELETE FROM dogs WHERE id = $1", {Value{k}});
  } else {
    c.execute(
        "INSERT INTO dogs (id, name, age, active, weight, born, price, tags) VALUES ($1, $2, $3, "
        "$4, $5, now(), $6, $7) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, age = "
        "EXCLUDED.age, active = EXCLUDED.active, weight = EXCLUDED.weight, born = EXCLUDED.born, "
        "price = EXCLUDED.price, tags = EXCLUDED.tags",
        {Value{k}, Value{"dog " + std::to_string(n(rng))}, Value{std::int64_t{n(rng) % 20}},
         Value{n(rng) % 2 == 0}, Value{n(rng) / 7.0}, Value{std::to_string(n(rng)) + ".25"},
         Value{std::string("{\"n\": ") + std::to_string(n(rng)) + "}"}});
  }
  if (enqueue) sy::enqueue(c, "dogs", std::to_string(k));
  c.commit_transaction();
}

sy::WorkerOptions fast() {
  sy::WorkerOptions o;
  o.poll_interval = std::chrono::milliseconds(10);
  o.batch_size = 200;
  return o;
}

}  // namespace

TEST_CASE("pg sync: writes under load from several threads end equal on both sides" * SY_PG) {
  PgFixture f("sy_sync_load");
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  sy::Worker w1(f.spec, fast()), w2(f.spec, fast());
  w1.start();
  w2.start();
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t)
    writers.emplace_back([&, t] {
      auto c = test::connect(f.primary);
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1);
      while (!stop) {
        random_write(*c, rng, 500, true);
        ++writes;
        sy::wake_workers();
      }
    });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  stop = true;
  for (auto& t : writers) t.join();
  w1.stop();
  w2.stop();
  sy::Worker(f.spec, fast()).drain();
  MESSAGE(writes.load() << " writes; worker 1 " << w1.stats().outbox_rows_done << " rows, worker 2 "
                        << w2.stats().outbox_rows_done << " rows");
  CHECK(writes > 100);
  CHECK(f.source_count("SELECT count(*) FROM switchyard_sync_outbox") == 0);
  CHECK(f.source_count("SELECT count(*) FROM switchyard_sync_dead") == 0);
  auto stats1 = w1.stats(), stats2 = w2.stats();
  CHECK(stats1.outbox_rows_done + stats2.outbox_rows_done > 0);
  CHECK(stats1.replica_reads + stats1.primary_reads + stats2.replica_reads + stats2.primary_reads >
        0);
  auto report = sy::verify(f.spec, {.range_size = 100});
  CHECK(report.server_side);
  CHECK(report.equal());
  CHECK(report.source_rows > 0);
  // The same answer with checksums computed here instead of by the servers.
  auto client = sy::verify(f.spec, {.range_size = 100, .server_checksums = false});
  CHECK_FALSE(client.server_side);
  CHECK(client.equal());
}

TEST_CASE("pg sync: a worker killed with SIGKILL 20 times still ends equal" * SY_PG) {
  PgFixture f("sy_sync_kill");
  {
    auto c = test::connect(f.primary);
    sy::install_capture_trigger(*c, "dogs", "id");  // the writer does not enqueue by hand
  }
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    auto c = test::connect(f.primary);
    std::mt19937 rng(42);
    while (!stop) {
      random_write(*c, rng, 300, false);
      ++writes;
    }
  });
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> ms(0, 1000);
  auto log = test::temp_dir() / "kill-worker.log";
  // Outbox rows the workers have deleted (only they do): the server's statistics, flushed at a
  // worker's first commit and when its backend ends.
  auto done = [&] {
    return f.source_count(
        "SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = 'switchyard_sync_outbox'");
  };
  for (int i = 0; i < 20; ++i) {
    const auto before = done();
    pid_t pid = test::spawn_tool(
        f.tool_args("sync:work", {"--batch", "25", "--poll-ms", "5", "--quiet"}), log);
    // Kill at a random moment after the worker has started working: its startup time varies
    // with the machine's load (and several-fold under sanitizers).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (done() == before && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK_MESSAGE(done() > before, "worker ", i, " did no work within 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(ms(rng)));
    test::kill_hard(pid);
  }
  stop = true;
  writer.join();
  const auto left = f.source_count("SELECT count(*) FROM switchyard_sync_outbox");
  const auto enqueued = f.source_count("SELECT last_value FROM switchyard_sync_outbox_id_seq");
  std::string out;
  REQUIRE(test::run_tool(f.tool_args("sync:work", {"--once", "--quiet"}), &out) == 0);
  MESSAGE(writes.load() << " writes, " << enqueued << " intents; " << left
                        << " left after the 20 killed workers; final drain: " << out);
  CHECK(left < enqueued);  // the killed workers did work between kills
  CHECK(f.source_count("SELECT count(*) FROM switchyard_sync_outbox") == 0);
  CHECK(f.source_count("SELECT count(*) FROM switchyard_sync_dead") == 0);
  CHECK(f.source_count("SELECT count(*) FROM dogs") == f.target_count("SELECT count(*) FROM dogs"));
  REQUIRE(test::run_tool(f.tool_args("sync:verify"), &out) == 0);
  CHECK(out.find("0 differing key(s)") != std::string::npos);
}

TEST_CASE("pg sync: a backfill killed mid-way resumes from its checkpoint and completes" * SY_PG) {
  PgFixture f("sy_sync_backfill");
  test::pg_exec(test::pg_primary(), f.db,
                "INSERT INTO dogs (id, name, age, weight, born, price, tags) SELECT i, 'dog ' || "
                "i, i % 20, i / 3.0, now(), i % 1000 + 0.5, jsonb_build_object('i', i) FROM "
                "generate_series(1, 60000) i");
  test::pg_wait_catchup(f.db);
  for (bool copy : {true, false}) {
    CAPTURE(copy);
    test::pg_exec(test::pg_second(), f.db, "TRUNCATE dogs");
    test::pg_exec(test::pg_primary(), f.db, "DELETE FROM switchyard_sync_checkpoints");
    std::vector<std::string> extra{"--batch", "1000", "--rate", "20000", "--quiet"};
    if (!copy) extra.push_back("--no-copy");
    auto log = test::temp_dir() / "kill-backfill.log";
    pid_t pid = test::spawn_tool(f.tool_args("sync:backfill", extra), log);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (f.source_count("SELECT coalesce(max(rows_done), 0) FROM switchyard_sync_checkpoints") <
               5000 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    test::kill_hard(pid);
    const auto done = f.source_count("SELECT rows_done FROM switchyard_sync_checkpoints");
    CHECK(done >= 5000);
    CHECK(done < 60000);
    CHECK(f.source_count("SELECT count(*) FROM switchyard_sync_checkpoints WHERE finished_at IS "
                         "NULL") == 1);
    std::string out;
    extra = {"--batch", "5000", "--quiet"};
    if (!copy) extra.push_back("--no-copy");
    REQUIRE(test::run_tool(f.tool_args("sync:backfill", extra), &out) == 0);
    CHECK(out.find("resumed") != std::string::npos);
    CHECK(out.find(", finished") != std::string::npos);
    CHECK((out.find("via COPY") != std::string::npos) == copy);
    CHECK(f.target_count("SELECT count(*) FROM dogs") == 60000);
    REQUIRE(test::run_tool(f.tool_args("sync:verify"), &out) == 0);
  }
}

TEST_CASE("pg sync: backfill counts each row once and keeps the rows the live sync wrote" * SY_PG) {
  PgFixture f("sy_sync_backfill_counts");
  test::pg_exec(test::pg_primary(), f.db,
                "INSERT INTO dogs (id, name, age) SELECT i, 'dog ' || i, i % 20 FROM "
                "generate_series(1, 10000) i");
  test::pg_wait_catchup(f.db);
  for (bool copy : {true, false}) {
    CAPTURE(copy);
    // Rows the live sync already wrote, in the middle and near the end: the batches that meet
    // them go through the staging table (COPY path), the others straight into the table.
    test::pg_exec(test::pg_second(), f.db,
                  "TRUNCATE dogs; INSERT INTO dogs (id, name) SELECT i, 'live' FROM "
                  "generate_series(4001, 4100) i UNION ALL SELECT i, 'live' FROM "
                  "generate_series(9001, 9050) i");
    int upserts = 0;
    instrument::Subscription sub([&](const instrument::SqlEvent& e) {
      if (e.name == "SYNC Backfill Upsert") ++upserts;
    });
    auto r = sy::backfill(f.spec, {.batch_size = 1500, .restart = true, .use_copy = copy});
    CHECK(r.used_copy == copy);
    if (copy) {
      // Batches 3 and 7 meet live rows (a direct COPY fails, the stage merges them) and batch 4
      // follows one that did; the other four go straight into the table.
      CHECK(upserts == 3);
    }
    CHECK(r.finished);
    CHECK(r.batches == 7);  // 6 full batches and a short one: no key read twice
    CHECK(r.rows_copied == 10000);
    CHECK(r.rows_total == 10000);
    CHECK(r.rows_inserted == 10000 - 150);
    CHECK(r.requeued == 0);
    CHECK(r.last_key == "10000");
    CHECK(f.target_count("SELECT count(*) FROM dogs") == 10000);
    CHECK(f.target_count("SELECT count(*) FROM dogs WHERE name = 'live'") == 150);
    CHECK(f.source_count("SELECT rows_done FROM switchyard_sync_checkpoints") == 10000);
  }
}

TEST_CASE("pg sync: backfill of text keys that COPY escapes (tab, newline, backslash)" * SY_PG) {
  PgFixture f("sy_sync_backfill_text");
  const char* ddl = "CREATE TABLE tags (k text PRIMARY KEY, v int NOT NULL)";
  test::pg_exec(test::pg_primary(), f.db, ddl);
  test::pg_exec(test::pg_second(), f.db, ddl);
  test::pg_exec(test::pg_primary(), f.db,
                "INSERT INTO tags SELECT 'k' || i, i FROM generate_series(1, 40) i; "
                "INSERT INTO tags VALUES (E'k1\\t2', 101), (E'k2\\n', 102), (E'k3\\\\x', 103), "
                "(E'k3\\\\', 104), (E'k4\\r\\\\t', 105), ('k5 é', 106), (E'k6\\b\\f\\013', 107)");
  test::pg_wait_catchup(f.db);
  f.spec.table = "tags";
  f.spec.key = "k";
  // Batches of 3: every batch boundary resumes after a decoded key.
  auto r = sy::backfill(f.spec, {.batch_size = 3});
  CHECK(r.used_copy);
  CHECK(r.rows_copied == 47);
  CHECK(r.rows_inserted == 47);
  CHECK(r.requeued == 0);  // each decoded key matched its source row
  const std::string digest =
      "SELECT md5(string_agg(k || ':' || v, ',' ORDER BY k COLLATE \"C\")) FROM tags";
  CHECK(test::pg_scalar(test::pg_second(), f.db, digest) ==
        test::pg_scalar(test::pg_primary(), f.db, digest));
}

TEST_CASE("pg sync: backfill re-checks inserted keys on the source primary" * SY_PG) {
  // The reader is a stale copy of the table (a replica that has not replayed two deletes yet):
  // the rows it still shows are copied, then found missing on the primary and enqueued.
  PgFixture f("sy_sync_backfill_recheck");
  const std::string stale = f.db + "_stale";
  test::fresh_pg_database(stale);
  test::pg_exec(test::pg_primary(), stale, kPgDogs);
  for (const std::string& db : {f.db, stale})
    test::pg_exec(test::pg_primary(), db,
                  "INSERT INTO dogs (id, name) SELECT i, 'dog ' || i FROM generate_series(1, 3000) "
                  "i");
  test::pg_exec(test::pg_primary(), f.db, "DELETE FROM dogs WHERE id IN (2, 2500)");
  f.spec.source_replica = test::pg_config("animals_replica", test::pg_primary(), stale, true);
  for (bool copy : {true, false}) {
    CAPTURE(copy);
    test::pg_exec(test::pg_second(), f.db, "TRUNCATE dogs");
    test::pg_exec(test::pg_primary(), f.db, "DELETE FROM switchyard_sync_outbox");
    auto r = sy::backfill(f.spec, {.batch_size = 1000, .restart = true, .use_copy = copy});
    CHECK(r.rows_copied == 3000);
    CHECK(r.requeued == 2);
    CHECK(f.source_count("SELECT count(*) FROM switchyard_sync_outbox WHERE record_key IN ('2', "
                         "'2500') AND origin = 'backfill'") == 2);
  }
}

TEST_CASE("pg sync: verify finds a row changed behind the sync's back; --repair fixes it" * SY_PG) {
  PgFixture f("sy_sync_verify");
  test::pg_exec(test::pg_primary(), f.db,
                "INSERT INTO dogs (id, name, age, born, price, tags) SELECT i, 'dog ' || i, i % "
                "20, now(), 1.5, '[1, 2]' FROM generate_series(1, 20000) i");
  test::pg_wait_catchup(f.db);
  auto b = sy::backfill(f.spec, {.batch_size = 3000});
  CHECK(b.used_copy);
  CHECK(b.rows_inserted == 20000);
  CHECK(b.rows_copied == 20000);  // each key read once: batches advance in key order
  CHECK(b.batches == 7);
  std::string out;
  REQUIRE(test::run_tool(f.tool_args("sync:verify"), &out) == 0);
  test::pg_exec(test::pg_second(), f.db, "UPDATE dogs SET age = 77 WHERE id = 12345");
  test::pg_exec(test::pg_second(), f.db, "DELETE FROM dogs WHERE id = 3");
  CHECK(test::run_tool(f.tool_args("sync:verify", {"--range-size", "4000"}), &out) == 1);
  CHECK(out.find("12345: different") != std::string::npos);
  CHECK(out.find("3: missing on target") != std::string::npos);
  CHECK(out.find("2 differing key(s)") != std::string::npos);
  CHECK(test::run_tool(f.tool_args("sync:verify", {"--repair"}), &out) == 1);
  CHECK(out.find("2 key(s) enqueued for repair") != std::string::npos);
  REQUIRE(test::run_tool(f.tool_args("sync:work", {"--once", "--quiet"}), &out) == 0);
  CHECK(test::run_tool(f.tool_args("sync:verify"), &out) == 0);
}

TEST_CASE("pg sync: a two-way sync during cut-over does not loop" * SY_PG) {
  PgFixture f("sy_sync_twoway", false);
  {
    auto c = test::connect(f.primary);
    sy::install_capture_trigger(*c, "dogs", "id");
    auto t = test::connect(f.second);
    sy::install_outbox(*t);
    sy::install_capture_trigger(*t, "dogs", "id");
  }
  sy::TableSync back;
  back.table = "dogs";
  back.source = f.second;
  back.target = f.primary;
  sy::Worker forward(f.spec, fast()), backward(back, fast());
  test::pg_exec(test::pg_primary(), f.db,
                "INSERT INTO dogs (id, name) SELECT i, 'old side ' || i FROM generate_series(1, "
                "100) i");
  CHECK(forward.drain() == 100);
  CHECK(f.target_count("SELECT count(*) FROM switchyard_sync_outbox") == 0);  // not echoed
  // Writes have moved to the new side: they flow back, and not forward again.
  test::pg_exec(test::pg_second(), f.db, "UPDATE dogs SET name = 'new side' WHERE id <= 10");
  test::pg_exec(test::pg_second(), f.db, "DELETE FROM dogs WHERE id > 90");
  CHECK(backward.drain() == 20);
  CHECK(f.source_count("SELECT count(*) FROM switchyard_sync_outbox") == 0);
  CHECK(f.source_count("SELECT count(*) FROM dogs WHERE name = 'new side'") == 10);
  CHECK(f.source_count("SELECT count(*) FROM dogs") == 90);
  CHECK(forward.drain() == 0);
  CHECK(backward.drain() == 0);
  CHECK(sy::verify(f.spec).equal());
}

TEST_CASE("pg sync: PostgreSQL -> SQLite and SQLite -> PostgreSQL" * SY_PG) {
  PgFixture f("sy_sync_cross", false);
  auto file = test::temp_dir() / "cross.sqlite3";
  std::filesystem::remove(file);
  auto lite = test::sqlite_config("lite", file);
  auto l = test::connect(lite);
  l->execute(
      "CREATE TABLE dogs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, active "
      "BOOLEAN NOT NULL DEFAULT 1, weight REAL, born TEXT, price NUMERIC, tags TEXT)");
  auto p = test::connect(f.primary);
  sy::install_capture_trigger(*p, "dogs", "id");
  p->execute(
      "INSERT INTO dogs (id, name, age, active, weight, born, price, tags) SELECT i, 'dog ' || i, "
      "CASE WHEN i % 7 = 0 THEN NULL ELSE i % 20 END, i % 2 = 0, i / 4.0, "
      "'2024-01-02 03:04:05+00'::timestamptz + i * interval '1 minute', i + 0.5, "
      "jsonb_build_object('i', i) FROM generate_series(1, 500) i");

  SUBCASE("PostgreSQL -> SQLite: worker, then verify across dialects") {
    sy::TableSync to_lite = f.spec;
    to_lite.target = lite;
    CHECK(sy::Worker(to_lite, fast()).drain() == 500);
    CHECK(test::count(*l, "SELECT count(*) FROM dogs") == 500);
    CHECK(test::count(*l, "SELECT count(*) FROM dogs WHERE active = 1") == 250);
    auto r = sy::verify(to_lite, {.range_size = 64});
    CHECK_FALSE(r.server_side);
    CHECK(r.equal());
    l->execute("UPDATE dogs SET weight = 0.1 WHERE id = 99");
    r = sy::verify(to_lite, {.range_size = 64, .leaf_size = 8});
    REQUIRE(r.differing.size() == 1);
    CHECK(r.differing[0].key == "99");
  }
  SUBCASE("SQLite -> PostgreSQL: backfill and worker") {
    // Fill the SQLite side from PostgreSQL first, then run the other way into an empty table.
    sy::TableSync to_lite = f.spec;
    to_lite.target = lite;
    sy::backfill(to_lite);
    p->execute("DELETE FROM switchyard_sync_outbox");
    test::pg_exec(test::pg_second(), f.db, "TRUNCATE dogs");
    sy::TableSync from_lite;
    from_lite.table = "dogs";
    from_lite.source = lite;
    from_lite.target = f.second;
    auto b = sy::backfill(from_lite);
    CHECK_FALSE(b.used_copy);
    CHECK(b.rows_inserted == 500);
    CHECK(f.target_count("SELECT count(*) FROM dogs WHERE active") == 250);
    CHECK(f.target_count("SELECT count(*) FROM dogs WHERE born = '2024-01-02 03:05:05+00'") == 1);
    CHECK(sy::verify(from_lite).equal());
    sy::install_outbox(*l);
    sy::install_capture_trigger(*l, "dogs", "id");
    l->execute("UPDATE dogs SET name = 'from sqlite' WHERE id <= 5");
    l->execute("DELETE FROM dogs WHERE id = 500");
    CHECK(sy::Worker(from_lite, fast()).drain() == 6);
    CHECK(f.target_count("SELECT count(*) FROM dogs WHERE name = 'from sqlite'") == 5);
    CHECK(sy::verify(from_lite).equal());
  }
}

// Sync between two SQLite files: everything that needs no server.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "switchyard/errors.hpp"
#include "switchyard/instrument/notifications.hpp"
#include "switchyard/sync/backfill.hpp"
#include "switchyard/sync/commands.hpp"
#include "switchyard/sync/outbox.hpp"
#include "switchyard/sync/verify.hpp"
#include "switchyard/sync/worker.hpp"
#include "sync_support.hpp"

using namespace switchyard;
namespace sy = switchyard::sync;

namespace {

constexpr const char* kDogs =
    "CREATE TABLE dogs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, active "
    "BOOLEAN NOT NULL DEFAULT 1, weight REAL)";

struct Pair {
  std::filesystem::path a_file, b_file;
  DatabaseConfig a, b;
  std::unique_ptr<Connection> src, tgt;
  sy::TableSync spec;

  explicit Pair(const std::string& name, const char* target_ddl = kDogs) {
    a_file = test::temp_dir() / (name + "_a.sqlite3");
    b_file = test::temp_dir() / (name + "_b.sqlite3");
    std::filesystem::remove(a_file);
    std::filesystem::remove(b_file);
    a = test::sqlite_config("animals", a_file);
    b = test::sqlite_config("archive", b_file);
    src = test::connect(a);
    tgt = test::connect(b);
    src->execute("PRAGMA journal_mode = wal");
    tgt->execute("PRAGMA journal_mode = wal");
    src->execute(kDogs);
    tgt->execute(target_ddl);
    sy::install_outbox(*src);
    spec.table = "dogs";
    spec.source = a;
    spec.target = b;
  }

  // A write and its sync intent in one transaction, as the Syncable mixin does.
  void write(const std::string& sql, std::int64_t key, std::vector<Value> binds = {}) {
    src->begin_transaction();
    src->execute(sql, binds);
    sy::enqueue(*src, "dogs", std::to_string(key));
    src->commit_transaction();
  }
  std::int64_t outbox() { return test::count(*src, "SELECT count(*) FROM switchyard_sync_outbox"); }
};

sy::WorkerOptions fast() {
  sy::WorkerOptions o;
  o.poll_interval = std::chrono::milliseconds(10);
  o.retry_base = std::chrono::milliseconds(1);
  o.retry_max = std::chrono::milliseconds(5);
  return o;
}

}  // namespace

TEST_CASE("sqlite sync: outbox install is idempotent and creates the four tables") {
  Pair p("install");
  sy::install_outbox(*p.src);
  sy::install_outbox(*p.src);
  CHECK(sy::outbox_installed(*p.src));
  for (const char* t : {"switchyard_sync_outbox", "switchyard_sync_dead",
                        "switchyard_sync_checkpoints", "switchyard_sync_state"})
    CHECK(test::count(*p.src, std::string("SELECT count(*) FROM sqlite_master WHERE name = '") +
                                  t + "'") == 1);
}

TEST_CASE("sqlite sync: the worker upserts and deletes, and coalesces many changes of a key") {
  Pair p("basic");
  p.write("INSERT INTO dogs (id, name, age, weight) VALUES (1, 'Rex', 3, 12.5)", 1);
  p.write("INSERT INTO dogs (id, name, age) VALUES (2, 'Fido', NULL)", 2);
  for (int i = 0; i < 50; ++i)
    p.write("UPDATE dogs SET age = " + std::to_string(i) + " WHERE id = 1", 1);
  CHECK(p.outbox() == 52);
  std::uint64_t upserts = 0;
  sy::Worker w(p.spec, fast());
  CHECK(w.drain() == 52);
  upserts = w.stats().records_upserted;
  CHECK(upserts == 2);  // 51 changes of key 1 became one write
  CHECK(p.outbox() == 0);
  CHECK(test::count(*p.tgt, "SELECT age FROM dogs WHERE id = 1") == 49);
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs WHERE id = 2 AND age IS NULL") == 1);
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs WHERE weight = 12.5") == 1);

  p.write("DELETE FROM dogs WHERE id = 2", 2);
  CHECK(w.drain() == 1);
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs") == 1);
  // Replaying an intent is harmless: the worker copies current state.
  sy::enqueue(*p.src, "dogs", "1");
  sy::enqueue(*p.src, "dogs", "2");
  CHECK(w.drain() == 2);
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs") == 1);
  CHECK(sy::verify(p.spec).equal());
}

TEST_CASE("sqlite sync: a rolled-back write leaves no intent") {
  Pair p("rollback");
  p.src->begin_transaction();
  p.src->execute("INSERT INTO dogs (id, name) VALUES (7, 'Ghost')");
  sy::enqueue(*p.src, "dogs", "7");
  p.src->rollback_transaction();
  CHECK(p.outbox() == 0);
}

TEST_CASE("sqlite sync: filter, column subset, rename and transform") {
  Pair p("mapping",
         "CREATE TABLE pups (id INTEGER PRIMARY KEY, title TEXT NOT NULL, age INTEGER)");
  p.spec.target_table = "pups";
  p.spec.columns = {"name", "age"};
  p.spec.rename = {{"name", "title"}};
  p.spec.filter = "active";
  p.spec.transform = [](sy::SyncRecord& r) {
    auto& t = r["title"];
    t = "Sir " + std::get<std::string>(t);
    return std::get<std::string>(r["title"]) != "Sir Skip";
  };
  p.write("INSERT INTO dogs (id, name, age, active) VALUES (1, 'Rex', 3, 1)", 1);
  p.write("INSERT INTO dogs (id, name, age, active) VALUES (2, 'Old', 9, 0)", 2);
  p.write("INSERT INTO dogs (id, name, age, active) VALUES (3, 'Skip', 1, 1)", 3);
  sy::Worker w(p.spec, fast());
  w.drain();
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM pups") == 1);
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM pups WHERE title = 'Sir Rex'") == 1);
  // Leaving the filter removes the row from the target.
  p.write("UPDATE dogs SET active = 0 WHERE id = 1", 1);
  w.drain();
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM pups") == 0);
  p.write("UPDATE dogs SET active = 1 WHERE id = 1", 1);
  w.drain();
  auto report = sy::verify(p.spec);
  CHECK(report.equal());
  CHECK(report.source_rows == 1);

  sy::TableSync bad = p.spec;
  bad.columns = {"name", "weight"};
  CHECK_THROWS_AS(sy::Worker(bad, fast()).run_once(), ArgumentError);
}

TEST_CASE("sqlite sync: rejected rows retry with backoff, then become dead letters") {
  Pair p("dead",
         "CREATE TABLE dogs (id INTEGER PRIMARY KEY, name TEXT NOT NULL CHECK (name <> 'Bad'), "
         "age INTEGER, active BOOLEAN, weight REAL)");
  p.write("INSERT INTO dogs (id, name) VALUES (1, 'Good')", 1);
  p.write("INSERT INTO dogs (id, name) VALUES (2, 'Bad')", 2);
  auto o = fast();
  o.max_attempts = 3;
  std::vector<std::string> events;
  std::mutex m;
  instrument::Subscription sub(instrument::EventSubscriber([&](const instrument::Event& e) {
    std::lock_guard lock(m);
    events.push_back(e.name);
  }));
  sy::Worker w(p.spec, o);
  w.drain();
  for (int i = 0; i < 20 && test::count(*p.src, "SELECT count(*) FROM switchyard_sync_dead") == 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    w.drain();
  }
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs") == 1);  // the good row is not held up
  CHECK(test::count(*p.src, "SELECT count(*) FROM switchyard_sync_dead") == 1);
  CHECK(test::count(*p.src, "SELECT attempts FROM switchyard_sync_dead") == 3);
  CHECK(p.outbox() == 0);
  CHECK(w.stats().dead_letters == 1);
  auto st = sy::status(*p.src, "dogs");
  REQUIRE(st.size() == 1);
  CHECK(st[0].dead == 1);
  REQUIRE(st[0].last_error);
  CHECK(st[0].last_error->find("CHECK") != std::string::npos);
  {
    std::lock_guard lock(m);
    CHECK(std::count(events.begin(), events.end(), "sync.dead_letter") == 1);
    CHECK(std::count(events.begin(), events.end(), "sync.retry") == 2);
  }
  // Fix the data, retry the dead letter.
  p.src->execute("UPDATE dogs SET name = 'Fixed' WHERE id = 2");
  CHECK(sy::retry_dead(*p.src, "dogs") == 1);
  w.drain();
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs") == 2);
  CHECK(sy::status(*p.src, "dogs")[0].dead == 0);
}

TEST_CASE("sqlite sync: pause, resume, flush and status") {
  Pair p("control");
  for (int i = 1; i <= 5; ++i)
    p.write("INSERT INTO dogs (id, name) VALUES (" + std::to_string(i) + ", 'd')", i);
  sy::pause(*p.src, "dogs");
  CHECK(sy::paused(*p.src, "dogs"));
  sy::Worker w(p.spec, fast());
  CHECK(w.run_once() == 0);
  auto st = sy::status(*p.src, "dogs");
  REQUIRE(st.size() == 1);
  CHECK(st[0].paused);
  CHECK(st[0].backlog == 5);
  CHECK(st[0].ready == 5);
  REQUIRE(st[0].oldest_age_seconds);
  CHECK(*st[0].oldest_age_seconds >= 0);
  sy::resume(*p.src, "dogs");
  CHECK(w.drain() == 5);
  p.write("INSERT INTO dogs (id, name) VALUES (6, 'd')", 6);
  CHECK(sy::flush(*p.src, "dogs") == 1);
  CHECK(p.outbox() == 0);
  // What a flush dropped, verify finds and repair restores.
  auto r = sy::verify(p.spec, {.repair = true});
  CHECK(r.differences == 1);
  CHECK(r.repaired == 1);
  w.drain();
  CHECK(sy::verify(p.spec).equal());
}

TEST_CASE("sqlite sync: the worker thread wakes on wake_workers and stops cleanly") {
  Pair p("thread");
  auto o = fast();
  o.poll_interval = std::chrono::seconds(30);  // only a wake-up can make it quick
  sy::Worker w(p.spec, o);
  w.start();
  CHECK(w.running());
  p.write("INSERT INTO dogs (id, name) VALUES (1, 'Rex')", 1);
  sy::wake_workers();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (test::count(*p.tgt, "SELECT count(*) FROM dogs") == 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs") == 1);
  w.stop();
  CHECK_FALSE(w.running());
}

TEST_CASE("sqlite sync: capture triggers catch bulk writes; a two-way sync does not loop") {
  Pair p("twoway");
  sy::install_capture_trigger(*p.src, "dogs", "id");
  CHECK(sy::capture_trigger_installed(*p.src, "dogs"));
  // Reverse direction: the target has its own outbox and capture trigger.
  sy::install_outbox(*p.tgt);
  sy::install_capture_trigger(*p.tgt, "dogs", "id");
  sy::TableSync back;
  back.table = "dogs";
  back.source = p.b;
  back.target = p.a;

  p.src->execute("INSERT INTO dogs (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  p.src->execute("UPDATE dogs SET age = 5");  // update_all
  CHECK(p.outbox() == 6);
  sy::Worker forward(p.spec, fast()), backward(back, fast());
  CHECK(forward.drain() == 6);
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs WHERE age = 5") == 3);
  // The worker's writes were not captured on the target: nothing to send back.
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM switchyard_sync_outbox") == 0);
  // A write on the new side goes back to the old one, and not forward again.
  p.tgt->execute("UPDATE dogs SET name = 'B' WHERE id = 2");
  p.tgt->execute("DELETE FROM dogs WHERE id = 3");
  CHECK(backward.drain() == 2);
  CHECK(test::count(*p.src, "SELECT count(*) FROM dogs WHERE name = 'B'") == 1);
  CHECK(test::count(*p.src, "SELECT count(*) FROM dogs") == 2);
  CHECK(p.outbox() == 0);
  CHECK(forward.drain() == 0);
  CHECK(sy::verify(p.spec).equal());
  // Key changes enqueue the old key's delete too.
  p.src->execute("UPDATE dogs SET id = 10 WHERE id = 1");
  forward.drain();
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs WHERE id IN (1, 10)") == 1);
  sy::remove_capture_trigger(*p.src, "dogs");
  CHECK_FALSE(sy::capture_trigger_installed(*p.src, "dogs"));
}

TEST_CASE("sqlite sync: backfill in batches, resumable from its checkpoint") {
  Pair p("backfill");
  p.src->execute(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
      "INSERT INTO dogs (id, name, age) SELECT i, 'dog ' || i, i % 17 FROM n");
  sy::BackfillOptions o;
  o.batch_size = 100;
  o.max_batches = 3;
  auto first = sy::backfill(p.spec, o);
  CHECK(first.rows_copied == 300);
  CHECK_FALSE(first.finished);
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs") == 300);
  CHECK(test::count(*p.src, "SELECT last_key FROM switchyard_sync_checkpoints") == 300);
  o.max_batches = 0;
  std::ostringstream progress;
  o.progress = &progress;
  auto rest = sy::backfill(p.spec, o);
  CHECK(rest.resumed);
  CHECK(rest.finished);
  CHECK(rest.rows_copied == 700);
  CHECK(rest.rows_total == 1000);
  CHECK(progress.str().find("rows/s") != std::string::npos);
  CHECK(progress.str().find("ETA") != std::string::npos);
  CHECK(sy::verify(p.spec, {.range_size = 128}).equal());
  // A backfill never overwrites what the live sync wrote (DO NOTHING) unless asked to.
  p.tgt->execute("UPDATE dogs SET name = 'newer' WHERE id = 5");
  auto again = sy::backfill(p.spec, o);
  CHECK(again.rows_inserted == 0);
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs WHERE name = 'newer'") == 1);
  o.overwrite = true;
  sy::backfill(p.spec, o);
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs WHERE name = 'newer'") == 0);
}

TEST_CASE("sqlite sync: verify narrows down to the differing keys and repair fixes them") {
  Pair p("verify");
  p.src->execute(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
      "INSERT INTO dogs (id, name, age, weight) SELECT i, 'dog ' || i, i % 17, i * 0.25 FROM n");
  sy::backfill(p.spec);
  CHECK(sy::verify(p.spec, {.range_size = 1000, .leaf_size = 16}).equal());
  p.tgt->execute("UPDATE dogs SET age = 99 WHERE id = 1234");
  p.tgt->execute("DELETE FROM dogs WHERE id = 4000");
  p.tgt->execute("INSERT INTO dogs (id, name) VALUES (9999, 'stray')");
  p.tgt->execute("UPDATE dogs SET weight = NULL WHERE id = 17");
  auto r = sy::verify(p.spec, {.range_size = 1000, .leaf_size = 16, .repair = true});
  CHECK_FALSE(r.equal());
  CHECK(r.differences == 4);
  CHECK(r.source_rows == 5000);
  CHECK(r.target_rows == 5000);
  std::map<std::string, sy::KeyDifference::Kind> got;
  for (const auto& d : r.differing) got[d.key] = d.kind;
  CHECK(got["1234"] == sy::KeyDifference::Kind::different);
  CHECK(got["4000"] == sy::KeyDifference::Kind::missing_on_target);
  CHECK(got["9999"] == sy::KeyDifference::Kind::extra_on_target);
  CHECK(got["17"] == sy::KeyDifference::Kind::different);
  CHECK(r.ranges_checked > r.ranges);  // it bisected
  CHECK(r.repaired == 4);
  sy::Worker(p.spec, fast()).drain();
  CHECK(sy::verify(p.spec, {.range_size = 1000}).equal());
}

TEST_CASE("sqlite sync: verify normalises values across representations") {
  CHECK(sy::normalized_text(Value{true}) == sy::normalized_text(Value{std::int64_t{1}}));
  CHECK(sy::normalized_text(Value{2.0}) == "2");
  CHECK(sy::normalized_text(Value{std::string("3.50")}) == sy::normalized_text(Value{3.5}));
  CHECK(sy::normalized_text(Value{nullptr}) != sy::normalized_text(Value{std::string("")}));
  CHECK(sy::normalized_text(Value{std::string("abc")}) == "abc");
}

TEST_CASE("sqlite sync: inline mode copies now and never throws") {
  Pair p("inline");
  p.src->execute("INSERT INTO dogs (id, name) VALUES (1, 'Rex')");
  CHECK(sy::sync_now(p.spec, {"1"}));
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs") == 1);
  std::atomic<int> errors{0};
  instrument::Subscription sub(instrument::EventSubscriber([&](const instrument::Event& e) {
    if (e.name == "sync.inline_error") ++errors;
  }));
  sy::TableSync broken = p.spec;
  broken.target_table = "no_such_table";
  CHECK_FALSE(sy::sync_now(broken, {"1"}));
  CHECK(errors == 1);
}

TEST_CASE("sqlite sync: the CLI commands") {
  Pair p("cli");
  auto config = test::write_config(
      "cli.json", {{"animals", test::sqlite_settings(p.a_file)},
                   {"archive", test::sqlite_settings(p.b_file)}});
  auto run = [&](std::vector<std::string> args, std::string* out_text = nullptr) {
    args.push_back("--config");
    args.push_back(config.string());
    args.push_back("--env");
    args.push_back("test");
    std::ostringstream out, err;
    int rc = sy::sync_main(args, out, err);
    if (out_text) *out_text = out.str() + err.str();
    return rc;
  };
  const std::vector<std::string> t = {"--table", "dogs", "--from", "animals", "--to", "archive"};
  auto with = [&](std::string cmd, std::vector<std::string> extra = {}) {
    std::vector<std::string> a{std::move(cmd)};
    a.insert(a.end(), t.begin(), t.end());
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  std::string text;
  CHECK(run({"sync:install", "--from", "animals", "--table", "dogs", "--capture"}) == 0);
  p.src->execute("INSERT INTO dogs (id, name) VALUES (1, 'a'), (2, 'b')");
  CHECK(run({"sync:status", "--from", "animals"}, &text) == 0);
  CHECK(text.find("dogs") != std::string::npos);
  CHECK(run(with("sync:verify"), &text) == 1);  // not synced yet
  CHECK(text.find("missing on target") != std::string::npos);
  CHECK(run(with("sync:work", {"--once", "--quiet"}), &text) == 0);
  CHECK(text.find("2 outbox row(s) done") != std::string::npos);
  CHECK(run(with("sync:verify"), &text) == 0);
  CHECK(run({"sync:pause", "--from", "animals", "--table", "dogs"}) == 0);
  CHECK(run({"sync:status", "--from", "animals", "--table", "dogs"}, &text) == 0);
  CHECK(text.find("paused") != std::string::npos);
  CHECK(run({"sync:resume", "--from", "animals", "--table", "dogs"}) == 0);
  p.src->execute("INSERT INTO dogs (id, name) VALUES (3, 'c')");
  CHECK(run({"sync:flush", "--from", "animals", "--table", "dogs"}, &text) == 1);  // needs --yes
  CHECK(text.find("--yes") != std::string::npos);
  CHECK(p.outbox() == 1);
  CHECK(run({"sync:flush", "--from", "animals", "--table", "dogs", "--yes"}) == 0);
  CHECK(p.outbox() == 0);
  CHECK(run(with("sync:backfill", {"--batch", "1", "--quiet"}), &text) == 0);
  CHECK(text.find("finished") != std::string::npos);
  CHECK(run(with("sync:verify")) == 0);
  CHECK(run({"sync:retry-dead", "--from", "animals", "--table", "dogs"}) == 0);
  CHECK(run({"sync:work", "--bogus"}) == 2);
  CHECK(run(with("sync:work", {"--batch", "x"})) == 2);
  CHECK(run({"sync:help"}) == 0);
}

TEST_CASE("sqlite sync: the stock switchyard binary runs the sync commands for any table") {
  Pair p("stock");
  auto config = test::write_config(
      "stock.json", {{"animals", test::sqlite_settings(p.a_file)},
                     {"archive", test::sqlite_settings(p.b_file)}});
  p.src->execute("INSERT INTO dogs (id, name) VALUES (1, 'a'), (2, 'b')");
  const std::string base = std::string(SY_SWITCHYARD) + " --config '" + config.string() +
                           "' --env test ";
  const std::string table = " --table dogs --from animals --to archive";
  auto sh = [](const std::string& cmd) {
    int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  };
  CHECK(sh(base + "sync:capture --from animals --table dogs") == 0);
  CHECK(sh(base + "sync:verify" + table) == 1);
  CHECK(sh(base + "sync:backfill" + table + " --quiet") == 0);
  p.src->execute("UPDATE dogs SET name = 'c' WHERE id = 2");
  CHECK(sh(base + "sync:work" + table + " --once --quiet") == 0);
  CHECK(sh(base + "sync:verify" + table) == 0);
  CHECK(sh(base + "sync:status --from animals") == 0);
  CHECK(test::count(*p.tgt, "SELECT count(*) FROM dogs WHERE name = 'c'") == 1);
}

// Sync demo: moves a live SQLite table to a second SQLite database with switchyard alone —
// the seed's playbook in miniature. Live writes are captured in the same transaction as the data
// (outbox + capture trigger), existing rows are backfilled, a worker drains the outbox, and verify
// proves both sides equal (then catches, and repairs, a row changed behind the sync's back).
//
//   sync_demo [DIR]     (default: a fresh directory under /tmp); exit status 0 when verified
#include <filesystem>
#include <iostream>
#include <unistd.h>

#include "switchyard/config/database_config.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/sync/backfill.hpp"
#include "switchyard/sync/outbox.hpp"
#include "switchyard/sync/verify.hpp"
#include "switchyard/sync/worker.hpp"

namespace sy = switchyard;

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const fs::path dir = argc > 1 ? fs::path(argv[1])
                                : fs::temp_directory_path() /
                                      ("switchyard-sync-demo-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto sqlite = [&](const std::string& name) {
    const auto file = dir / (name + ".sqlite3");
    fs::remove(file);
    return sy::DatabaseConfig("demo", name,
                              {{"adapter", "sqlite3"}, {"database", file.string()},
                               {"journal_mode", "wal"}},
                              "sync_demo");
  };
  try {
    const auto animals = sqlite("animals"), archive = sqlite("archive");
    auto src = sy::open_connection(animals, {"demo"});
    auto tgt = sy::open_connection(archive, {"demo"});
    const char* ddl =
        "CREATE TABLE dogs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, active "
        "BOOLEAN NOT NULL DEFAULT 1)";
    src->execute(ddl);
    tgt->execute(ddl);  // the new database gets the table by its own migration
    src->execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
        "INSERT INTO dogs (id, name, age) SELECT i, 'dog ' || i, i % 15 FROM n");

    sy::sync::TableSync spec;
    spec.table = "dogs";
    spec.source = animals;
    spec.target = archive;

    // 1. Capture live writes (every INSERT/UPDATE/DELETE, bulk ones too).
    sy::sync::install_outbox(*src);
    sy::sync::install_capture_trigger(*src, "dogs", "id");
    src->execute("UPDATE dogs SET age = age + 1 WHERE id <= 100");  // live traffic meanwhile
    src->execute("DELETE FROM dogs WHERE id > 1990");
    // 3. Backfill the existing rows (resumable; never overwrites what the live sync wrote).
    auto b = sy::sync::backfill(spec, {.batch_size = 500});
    std::cout << "backfill: " << b.rows_copied << " rows in " << b.batches << " batches\n";
    // The worker drains the outbox (a thread in the app, or `switchyard sync:work`).
    sy::sync::Worker worker(spec);
    std::cout << "worker: " << worker.drain() << " outbox rows synced\n";
    // 4. Confirm.
    auto r = sy::sync::verify(spec, {.range_size = 256});
    std::cout << "verify: " << r.source_rows << " source rows, " << r.target_rows
              << " target rows, " << r.differences << " differences\n";
    if (!r.equal()) return 1;

    // A change behind the sync's back is found, and repaired through the outbox.
    tgt->execute("UPDATE dogs SET name = 'tampered' WHERE id = 42");
    r = sy::sync::verify(spec, {.range_size = 256, .leaf_size = 16, .repair = true});
    std::cout << "verify after tampering: " << r.differences << " difference(s)";
    for (const auto& d : r.differing) std::cout << " [key " << d.key << ": " << to_string(d.kind) << "]";
    std::cout << "\n";
    worker.drain();
    r = sy::sync::verify(spec);
    std::cout << "verify after repair: " << (r.equal() ? "equal" : "DIFFERENT") << "\n";
    return r.equal() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "sync_demo: " << e.what() << "\n";
    return 1;
  }
}

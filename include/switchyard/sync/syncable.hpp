// Syncable<T>: double-writes a model's records to a second database (the seed's
// PlanetScaleSyncable, made durable).
//
//   struct Dog : sy::Model<Dog, AnimalsRecord>, sy::Syncable<Dog> {
//     static constexpr auto table = "dogs";
//     static constexpr auto sync_to = "planetscale";          // the target database config
//     // optional:
//     static void sync_options(sy::sync::SyncOptions& o) {
//       o.filter = "active";                                 // "just the active rows"
//       o.rename = {{"name", "title"}};                      // column mapping
//       o.transform = [](sy::sync::SyncRecord& r) { ...; return true; };
//       o.mode = sy::sync::SyncMode::inline_copy;            // the weaker choice, see below
//     }
//     ...fields...
//   };
//
// Every create, update and destroy of a Dog writes an outbox row IN THE SAME TRANSACTION as the
// record (through the model layer's on_persist hook), so the intent commits or rolls back with the
// record and a crash loses nothing; after the commit it only wakes the in-process workers. A
// worker (a thread: `Dog::sync_worker()->start()`, or `switchyard sync:work --table dogs ...`)
// copies the record's current state to the target.
//
// Not synced by the mixin: update_all, delete_all and raw SQL (they run no per-record hook) and
// primary-key changes (the old key is not removed on the target). Install the capture trigger
// (`sy::sync::install_capture_trigger` / `switchyard sync:capture`, PostgreSQL and SQLite) to
// capture those too; then give the model `static constexpr bool sync_by_trigger = true;` so the
// mixin does not enqueue a second intent per write.
//
// Inline mode copies the record in after_commit on the writing thread, as the seed does: errors
// are reported as instrument events ("sync.inline_error") and never thrown into the caller, but a
// crash or target outage between commit and copy loses that change until the next
// backfill/verify --repair, and the copy's latency is on the request path.
//
// Writes made inside a sync::SuppressCapture scope are not enqueued (reverse sync: loop
// prevention).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/config/database_configurations.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/connection/connection_pool.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/notifications.hpp"
#include "switchyard/model/persist.hpp"
#include "switchyard/sync/outbox.hpp"
#include "switchyard/sync/table_sync.hpp"
#include "switchyard/sync/worker.hpp"

namespace switchyard {
namespace sync {

enum class SyncMode { outbox, inline_copy };

struct SyncOptions {
  SyncMode mode = SyncMode::outbox;
  std::string target_table{};                   // default: the model's table
  std::vector<std::string> columns{};           // default: every column
  std::map<std::string, std::string> rename{};  // source column -> target column
  std::string filter{};                         // SQL over the source row
  Transform transform{};
  std::optional<std::string> source_replica{};  // config name: read records there when caught up
};

// The configurations Syncable models resolve `sync_to` (and a replica) against. Call it once at
// start-up with the set you pass to establish().
void use_configurations(const DatabaseConfigurations& configs);
std::shared_ptr<const DatabaseConfigurations> configurations();

}  // namespace sync

template <typename T>
struct Syncable {
  static sync::SyncOptions sync_options_of() {
    sync::SyncOptions o;
    if constexpr (requires(sync::SyncOptions& opts) { T::sync_options(opts); }) T::sync_options(o);
    return o;
  }

  // The model layer's hook, inside the write's transaction.
  static void on_persist(T& record, const PersistContext& context) {
    if constexpr (requires { T::sync_by_trigger; }) {
      if (T::sync_by_trigger) return;
    }
    if (sync::SuppressCapture::active()) return;
    const auto& info = T::model_info();
    const std::string key = sync::key_text(record.primary_key_value());
    static const sync::SyncOptions options = sync_options_of();
    if (options.mode == sync::SyncMode::outbox) {
      sync::enqueue(context.connection, info.table, key,
                    context.kind == Persist::destroy ? sync::Operation::remove
                                                     : sync::Operation::upsert,
                    "app");
      context.connection.add_transaction_callbacks([] { sync::wake_workers(); }, nullptr);
      return;
    }
    // Inline: copy after the commit; never throw into the caller.
    std::shared_ptr<sync::TableSync> spec;
    try {
      spec = std::make_shared<sync::TableSync>(table_sync(context.connection.config()));
    } catch (const std::exception& e) {
      instrument::emit(instrument::Event{
          "sync.inline_error", {{"table", info.table}, {"error", e.what()}}});
      return;
    }
    context.connection.add_transaction_callbacks([spec, key] { sync::sync_now(*spec, {key}); },
                                                 nullptr);
  }

  // What to sync, with `source` as the source database (default: the database the model writes
  // to now) and T::sync_to resolved through sync::use_configurations.
  static sync::TableSync table_sync(std::optional<DatabaseConfig> source = std::nullopt) {
    static_assert(requires { T::sync_to; },
                  "a Syncable model names its target: static constexpr auto sync_to = \"db\";");
    auto configs = sync::configurations();
    if (!configs)
      throw ConfigurationError(
          "Syncable: call switchyard::sync::use_configurations(configs) at start-up so that "
          "sync_to = \"" + std::string(T::sync_to) + "\" can be resolved");
    const auto options = sync_options_of();
    sync::TableSync spec;
    spec.table = T::model_info().table;
    spec.key = T::model_info().primary_key;
    spec.target_table = options.target_table;
    spec.columns = options.columns;
    spec.rename = options.rename;
    spec.filter = options.filter;
    spec.transform = options.transform;
    if (source) {
      spec.source = *source;
    } else {
      Lease lease = T::lease_connection();
      spec.source = lease->config();
    }
    spec.target = configs->resolve(std::string(T::sync_to));
    if (options.source_replica) spec.source_replica = configs->resolve(*options.source_replica);
    return spec;
  }

  // A worker for this model's outbox (start() it for a background thread).
  static std::unique_ptr<sync::Worker> sync_worker(sync::WorkerOptions options = {}) {
    return std::make_unique<sync::Worker>(table_sync(), std::move(options));
  }
};

}  // namespace switchyard

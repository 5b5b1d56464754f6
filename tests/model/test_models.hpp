// The models of the model test suite, and the backend fixture that runs the same cases against
// SQLite files and against the PostgreSQL servers.
//
// Three families:
//  - sy::Record (the primary database): Owner, ArchivedDog, Outbox, Audited (on_persist hook);
//  - AnimalsRecord (writing "animals", reading "animals_replica"): Dog, Toy;
//  - ShardRecord (shards shard_one / shard_two): Order. On PostgreSQL shard_one is on pg_primary
//    (reading on its standby) and shard_two on the independent pg_second.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "databases.hpp"
#include "switchyard/switchyard.hpp"

namespace sy = switchyard;

namespace model_test {

// What callbacks did, in order.
std::vector<std::string>& events();

struct AnimalsRecord : sy::Base<AnimalsRecord> {
  static inline const auto connection =
      sy::connects_to({.writing = "animals", .reading = "animals_replica"});
};

struct ShardRecord : sy::Base<ShardRecord> {
  static constexpr auto class_name = "ShardRecord";
  static inline const auto connection = sy::connects_to_shards({
      {"shard_one", {.writing = "shard_one", .reading = "shard_one_replica"}},
      {"shard_two", {.writing = "shard_two"}},
  });
};

using Clock = std::chrono::system_clock;

struct Owner : sy::Model<Owner> {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::string> email{};
  bool active = true;
  double score = 0;
  nlohmann::json prefs = nlohmann::json::object();
  Clock::time_point created_at{};
  Clock::time_point updated_at{};
  static constexpr auto fields =
      sy::fields(&Owner::id, "id", &Owner::name, "name", &Owner::email, "email", &Owner::active,
                 "active", &Owner::score, "score", &Owner::prefs, "prefs", &Owner::created_at,
                 "created_at", &Owner::updated_at, "updated_at");
};

struct Dog : sy::Model<Dog, AnimalsRecord> {
  static constexpr auto table = "dogs";
  std::int64_t id = 0;
  std::string name;
  std::optional<int> age{};
  bool good = true;
  std::optional<Clock::time_point> born_at{};
  nlohmann::json tags = nlohmann::json::array();
  std::optional<Clock::time_point> created_at{};
  std::optional<Clock::time_point> updated_at{};
  static constexpr auto fields =
      sy::fields(&Dog::id, "id", &Dog::name, "name", &Dog::age, "age", &Dog::good, "good",
                 &Dog::born_at, "born_at", &Dog::tags, "tags", &Dog::created_at, "created_at",
                 &Dog::updated_at, "updated_at");

  static void validations(sy::Validations<Dog>& v) {
    v.presence(&Dog::name);
    v.length(&Dog::name, {.maximum = 20});
    v.numericality(&Dog::age, {.greater_than_or_equal_to = 0, .less_than = 40, .allow_nil = true});
    v.validate([](const Dog& d, sy::Errors& e) {
      if (d.name == "Cat") e.add("name", "is not a dog");
    });
  }

  // Toggled by tests.
  static inline bool halt_save = false;
  static inline bool throw_in_after_commit = false;

  void log(const char* what) { events().push_back(std::string(what) + ":" + name); }
  bool check_halt() {
    log("before_save");
    return !halt_save;
  }

  static void callbacks(sy::Callbacks<Dog>& on) {
    on.before_validation([](Dog& d) { d.log("before_validation"); });
    on.after_validation([](Dog& d) { d.log("after_validation"); });
    on.before_save(&Dog::check_halt);
    on.before_create([](Dog& d) { d.log("before_create"); });
    on.after_create([](Dog& d) { d.log("after_create"); });
    on.before_update([](Dog& d) { d.log("before_update"); });
    on.after_update([](Dog& d) { d.log("after_update"); });
    on.after_save([](Dog& d) { d.log("after_save"); });
    on.before_destroy([](Dog& d) { d.log("before_destroy"); });
    on.after_destroy([](Dog& d) { d.log("after_destroy"); });
    on.after_commit([](Dog& d) {
      d.log("after_commit");
      if (throw_in_after_commit) throw std::runtime_error("after_commit failed");
    });
    on.after_commit([](Dog& d) { d.log("after_commit_2"); });
    on.after_create_commit([](Dog& d) { d.log("after_create_commit"); });
    on.after_rollback([](Dog& d) { d.log("after_rollback"); });
  }
};

// No callbacks or validations: writes run as single statements, no implicit transaction.
struct Toy : sy::Model<Toy, AnimalsRecord> {
  std::int64_t id = 0;
  std::int32_t dog_id = 0;
  std::string label;
  static constexpr auto fields = sy::fields(&Toy::id, "id", &Toy::dog_id, "dog_id", &Toy::label, "label");
};

// The same columns as Dog, on the primary database: the target of attribute copies.
struct ArchivedDog : sy::Model<ArchivedDog> {
  static constexpr auto table = "archived_dogs";
  std::int64_t id = 0;
  std::string name;
  std::optional<int> age{};
  bool good = true;
  std::optional<Clock::time_point> born_at{};
  nlohmann::json tags = nlohmann::json::array();
  std::optional<Clock::time_point> created_at{};
  std::optional<Clock::time_point> updated_at{};
  static constexpr auto fields =
      sy::fields(&ArchivedDog::id, "id", &ArchivedDog::name, "name", &ArchivedDog::age, "age",
                 &ArchivedDog::good, "good", &ArchivedDog::born_at, "born_at", &ArchivedDog::tags,
                 "tags", &ArchivedDog::created_at, "created_at", &ArchivedDog::updated_at,
                 "updated_at");
};

struct Outbox : sy::Model<Outbox> {
  static constexpr auto table = "outbox";
  std::int64_t id = 0;
  std::string kind;
  std::string payload;
  static constexpr auto fields =
      sy::fields(&Outbox::id, "id", &Outbox::kind, "kind", &Outbox::payload, "payload");
};

// A mixin in the shape the Syncable concern takes: it hooks every write of Audited inside the
// write's transaction (an outbox row) and after its commit.
template <typename T>
struct OutboxConcern {
  static inline int committed = 0;
  static void on_persist(T& record, const sy::PersistContext& context) {
    const char* kind = context.kind == sy::Persist::create   ? "create"
                       : context.kind == sy::Persist::update ? "update"
                                                             : "destroy";
    nlohmann::json payload = record.attributes();
    payload["columns"] = std::vector<std::string>(context.columns.begin(), context.columns.end());
    payload["depth"] = context.connection.transaction_depth();
    Outbox::create({.kind = kind, .payload = payload.dump()});
    context.connection.add_transaction_callbacks([] { ++committed; }, nullptr);
  }
};

struct Audited : sy::Model<Audited>, OutboxConcern<Audited> {
  static constexpr auto table = "audited";
  std::int64_t id = 0;
  std::string title;
  static constexpr auto fields = sy::fields(&Audited::id, "id", &Audited::title, "title");
};

struct Order : sy::Model<Order, ShardRecord> {
  std::int64_t id = 0;
  std::string sku;
  std::int32_t qty = 1;
  static constexpr auto fields = sy::fields(&Order::id, "id", &Order::sku, "sku", &Order::qty, "qty");
};

// ---- Backends ----------------------------------------------------------------------------

enum class Kind { sqlite, postgresql };

struct Backend {
  Kind kind;
  bool pg() const { return kind == Kind::postgresql; }
  const char* label() const { return pg() ? "postgresql" : "sqlite"; }
  // Deletes every row of every table (all databases and shards) and clears events().
  void reset();
  // PostgreSQL: waits until the standby has replayed everything (no-op on SQLite).
  void catch_up();
};

// Establishes `kind` (once schemas exist, only re-establishes) and resets it.
Backend& use_backend(Kind kind);

}  // namespace model_test

// One case body run twice: against SQLite and against PostgreSQL (skipped without servers).
#define SY_MODEL_CASE_IMPL(name, body)                                                      \
  static void body(model_test::Backend& db);                                                \
  TEST_CASE("sqlite: " name) { body(model_test::use_backend(model_test::Kind::sqlite)); }   \
  TEST_CASE("postgresql: " name * SY_PG) {                                                  \
    body(model_test::use_backend(model_test::Kind::postgresql));                            \
  }                                                                                         \
  static void body([[maybe_unused]] model_test::Backend& db)
#define MODEL_CASE(name) SY_MODEL_CASE_IMPL(name, DOCTEST_ANONYMOUS(model_case_))

// switchyard demo: models on two databases, role switching, transactions and callbacks.
//
//   build/examples/demo [config/database.json]
//
// Uses SQLite files in $SWITCHYARD_DEMO_DIR (default: a fresh directory under /tmp). Every
// statement is printed by the log subscriber with its [database role] prefix.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <switchyard/switchyard.hpp>

namespace sy = switchyard;

// ---- Connection classes -------------------------------------------------------------------

// Writes go to "animals"; inside connected_to({.role = reading}) reads go to "animals_replica".
struct AnimalsRecord : sy::Base<AnimalsRecord> {
  static constexpr auto class_name = "AnimalsRecord";
  static inline const auto connection =
      sy::connects_to({.writing = "animals", .reading = "animals_replica"});
};

// Proxy mode: each statement is routed by itself (reads to the replica, the rest to the primary,
// reads stick to the primary for proxy_delay after a write).
struct ProxiedRecord : sy::Base<ProxiedRecord> {
  static constexpr auto class_name = "ProxiedRecord";
  static inline const auto connection =
      sy::connects_to({.writing = "animals_proxy", .reading = "animals_replica"});
};

// ---- Models -------------------------------------------------------------------------------

// On the primary database (sy::Record is the default parent).
struct Person : sy::Model<Person> {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::string> email{};
  std::chrono::system_clock::time_point created_at{};
  std::chrono::system_clock::time_point updated_at{};
  static constexpr auto fields = sy::fields(&Person::id, "id", &Person::name, "name", &Person::email,
                                            "email", &Person::created_at, "created_at",
                                            &Person::updated_at, "updated_at");
  static void validations(sy::Validations<Person>& v) { v.presence(&Person::name); }
};

struct Dog : sy::Model<Dog, AnimalsRecord> {
  static constexpr auto table = "dogs";
  std::int64_t id = 0;
  std::string name;
  std::optional<int> age{};
  std::int64_t owner_id = 0;
  static constexpr auto fields = sy::fields(&Dog::id, "id", &Dog::name, "name", &Dog::age, "age",
                                            &Dog::owner_id, "owner_id");

  static void validations(sy::Validations<Dog>& v) {
    v.presence(&Dog::name);
    v.numericality(&Dog::age, {.greater_than_or_equal_to = 0, .allow_nil = true});
  }
  static void callbacks(sy::Callbacks<Dog>& on) {
    on.after_commit([](Dog& d) { std::cout << "  -> after_commit: " << d.name << " (committed)\n"; });
    on.after_rollback([](Dog& d) { std::cout << "  -> after_rollback: " << d.name << " (rolled back)\n"; });
  }
};

void section(const char* title) { std::cout << "\n== " << title << " ==\n"; }

int main(int argc, char** argv) {
  std::string config = argc > 1 ? argv[1] : SWITCHYARD_DEMO_CONFIG;
  if (!std::getenv("SWITCHYARD_DEMO_DIR")) {
    auto dir = std::filesystem::temp_directory_path() / ("switchyard-demo-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    ::setenv("SWITCHYARD_DEMO_DIR", dir.c_str(), 1);
  }
  std::cout << "databases in " << std::getenv("SWITCHYARD_DEMO_DIR") << "\n";

  try {
    const auto configs = sy::DatabaseConfigurations::load_file(config, "development");

    section("Migrate both databases (db:migrate: pending versions in global order)");
    const auto examples_dir = std::filesystem::absolute(config).parent_path().parent_path();
    sy::migrate::DatabaseTasks tasks(configs, {.root = examples_dir, .out = &std::cout});
    tasks.migrate();

    sy::establish(configs, "development");
    sy::routing::install(configs, "development");
    sy::instrument::LogSubscriber log(std::cout);

    section("Create on two databases");
    auto ada = Person::create({.name = "Ada", .email = "ada@example.com"});
    auto rex = Dog::create({.name = "Rex", .age = 3, .owner_id = ada.id});
    Dog::create({.name = "Fido", .age = 5, .owner_id = ada.id});
    Dog::create({.name = "Puppy", .age = 0, .owner_id = ada.id});

    section("Validation");
    Dog nameless{.age = -1};
    if (!nameless.save())
      for (const auto& m : nameless.errors().full_messages()) std::cout << "  invalid: " << m << "\n";

    section("Read from the replica (reading role)");
    auto old = AnimalsRecord::connected_to({.role = sy::reading}, [] {
      try {
        Dog::create({.name = "Sneaky"});
      } catch (const sy::ReadOnlyError& e) {
        std::cout << "  refused: " << e.what() << "\n";
      }
      return Dog::where("age > ?", 2).order("name").all();
    });
    for (const auto& d : old) std::cout << "  " << d.name << " (" << *d.age << ")\n";
    const auto owned = Dog::where(&Dog::owner_id, ada.id).count();  // writing role again
    std::cout << "  dogs of " << ada.name << ": " << owned << "\n";

    section("Update only what changed");
    rex.age = 4;
    rex.save();
    rex.save();  // nothing changed: no statement

    section("A transaction on animals, rolled back by sy::Rollback");
    Dog::transaction([] {
      Dog::create({.name = "Ghost", .owner_id = 0});
      throw sy::Rollback{};
    });
    const bool ghost = Dog::where(&Dog::name, "Ghost").exists();
    std::cout << "  Ghost exists? " << std::boolalpha << ghost << "\n";

    section("Two databases, two independent transactions");
    Person::transaction([&] {
      auto bob = Person::create({.name = "Bob"});
      Dog::transaction([&] { Dog::create({.name = "Bobby", .age = 1, .owner_id = bob.id}); });
    });

    section("Attributes as JSON");
    const nlohmann::json attributes = Dog::find(rex.id);
    std::cout << "  " << attributes.dump() << "\n";

    section("Destroy");
    rex.destroy();
    try {
      Dog::find(rex.id);
    } catch (const sy::RecordNotFound& e) {
      std::cout << "  " << e.what() << "\n";
    }
    const auto names = Dog::order("name").pluck(&Dog::name);
    std::cout << "  remaining:";
    for (const auto& name : names) std::cout << " " << name;
    std::cout << "\n";

    section("Proxy mode: every statement routed by itself, with its reason");
    auto count = [] { return ProxiedRecord::execute("SELECT count(*) FROM dogs"); };
    count();                                                          // a read: the replica
    ProxiedRecord::execute("SELECT * FROM dogs ORDER BY id LIMIT 1");  // a read: the replica
    ProxiedRecord::execute("UPDATE dogs SET age = age + 1 WHERE name = 'Fido'");  // the primary
    count();  // within proxy_delay of the write: sticks to the primary
    ProxiedRecord::execute("SELECT last_insert_rowid()");  // session-bound: the primary
    std::cout << "  (`switchyard route explain` shows the same decisions without a database)\n";
  } catch (const std::exception& e) {
    std::cerr << "demo failed: " << e.what() << "\n";
    return 1;
  }
}

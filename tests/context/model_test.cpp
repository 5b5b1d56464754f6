// Model-level role switching: sy::Base / sy::Model classes inside scopes, a Relation built outside
// a scope and loaded inside it, a model query carried to another thread.
#include <doctest/doctest.h>

#include <thread>

#include "fixtures.hpp"
#include "switchyard/context/context_snapshot.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/test_helpers.hpp"
#include "switchyard/model.hpp"

using namespace ctx_test;
namespace sy = switchyard;

namespace {

struct ZooRecord : sy::Base<ZooRecord> {
  static constexpr auto class_name = "ZooRecord";
  static inline const auto connection = sy::connects_to({.writing = "animals", .reading = "animals_replica"});
};

struct Pet : sy::Model<Pet, ZooRecord> {
  static constexpr auto class_name = "Pet";
  static constexpr auto table = "pets";
  std::int64_t id = 0;
  std::string name;
  std::optional<int> age{};
  static constexpr auto fields = sy::fields(&Pet::id, "id", &Pet::name, "name", &Pet::age, "age");
};

struct Fixture {
  Fixture() {
    (void)ZooRecord::connection_class();
    establish_sqlite();
    ZooRecord::execute("DROP TABLE IF EXISTS pets");
    ZooRecord::execute("CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER)");
    Pet::create({.name = "Rex", .age = 3});
    Pet::create({.name = "Fido", .age = 1});
  }
  ~Fixture() { sy::clear_connected_to_stack(); }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "models: a reading scope on the connection class reads the replica and refuses writes") {
  CHECK_TOUCHED_EXACTLY({{"animals_replica", "reading"}}, [] {
    auto old = ZooRecord::connected_to({.role = sy::reading}, [] { return Pet::where("age > ?", 2).all(); });
    REQUIRE(old.size() == 1);
    CHECK(old[0].name == "Rex");
  });
  sy::test::QueryRecorder recorder;
  ZooRecord::connected_to({.role = sy::reading}, [] {
    CHECK(Pet::current_role() == "reading");
    CHECK_THROWS_AS(Pet::create({.name = "Ghost"}), sy::ReadOnlyError);
  });
  CHECK_FALSE(recorder.sent_containing("INSERT"));
  CHECK(Pet::where("name = ?", "Ghost").count() == 0);
}

TEST_CASE_FIXTURE(Fixture, "models: a Relation built outside a scope runs where it is loaded") {
  auto young = Pet::where("age < ?", 2);
  CHECK_TOUCHED_EXACTLY({{"animals_replica", "reading"}}, [&] {
    sy::connected_to({.role = sy::reading}, [&] { CHECK(young.all().size() == 1); });
  });
  CHECK_TOUCHED_EXACTLY({{"animals", "writing"}}, [&] { CHECK(young.count() == 1); });
}

TEST_CASE_FIXTURE(Fixture, "models: a model query carried to a worker thread keeps its scope") {
  auto job = ZooRecord::connected_to({.role = sy::reading}, [] {
    return sy::bind_context([] { return std::make_pair(Pet::current_role(), Pet::query().count()); });
  });
  std::pair<std::string, std::int64_t> result;
  std::thread([&] { result = job(); }).join();
  CHECK(result.first == "reading");
  CHECK(result.second == 2);
}

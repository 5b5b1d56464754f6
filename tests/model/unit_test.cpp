// Model-layer units that need no database: field conversions, timestamps, names, metadata,
// attributes as JSON, validations and their messages, callback registries, misuse errors.
#include <doctest/doctest.h>

#include "test_models.hpp"

using namespace switchyard;
using model_test::Clock;
using model_test::Dog;
using model_test::Owner;

TEST_CASE("field traits: integers, bools, doubles, strings, optionals") {
  CHECK(field_traits<int>::from_value(Value{std::int64_t{42}}) == 42);
  CHECK(field_traits<int>::from_value(Value{std::string("17")}) == 17);  // numeric as text
  CHECK(field_traits<int>::from_value(Value{3.0}) == 3);
  CHECK_THROWS_AS(field_traits<int>::from_value(Value{std::int64_t{1} << 40}), TypeMismatch);
  CHECK_THROWS_AS(field_traits<int>::from_value(Value{3.5}), TypeMismatch);
  CHECK_THROWS_AS(field_traits<int>::from_value(Value{std::string("x")}), TypeMismatch);
  CHECK_THROWS_AS(field_traits<std::uint8_t>::from_value(Value{std::int64_t{-1}}), TypeMismatch);
  CHECK(field_traits<std::int64_t>::from_value(Value{std::int64_t{9007199254740993}}) == 9007199254740993);
  CHECK(field_traits<bool>::from_value(Value{std::int64_t{1}}) == true);   // SQLite
  CHECK(field_traits<bool>::from_value(Value{false}) == false);            // PostgreSQL
  CHECK(field_traits<bool>::from_value(Value{std::string("t")}) == true);
  CHECK_THROWS_AS(field_traits<bool>::from_value(Value{std::int64_t{2}}), TypeMismatch);
  CHECK(field_traits<double>::from_value(Value{std::int64_t{2}}) == 2.0);
  CHECK(field_traits<double>::from_value(Value{std::string("2.5")}) == 2.5);
  CHECK(field_traits<std::string>::from_value(Value{std::int64_t{5}}) == "5");
  CHECK_THROWS_AS(field_traits<std::string>::from_value(Value{nullptr}), TypeMismatch);
  CHECK(field_traits<std::optional<int>>::from_value(Value{nullptr}) == std::nullopt);
  CHECK(field_traits<std::optional<int>>::to_value(std::nullopt) == Value{nullptr});
  CHECK(field_traits<std::optional<int>>::to_value(7) == Value{std::int64_t{7}});
  try {
    field_traits<int>::from_value(Value{std::string("abc")});
  } catch (const TypeMismatch& e) {
    CHECK(std::string(e.what()) == "cannot convert text \"abc\" to a 32-bit integer");
  }
}

TEST_CASE("field traits: json") {
  auto j = field_traits<nlohmann::json>::from_value(Value{std::string(R"({"a": [1, 2]})")});
  CHECK(j["a"][1] == 2);
  CHECK(field_traits<nlohmann::json>::to_value(j) == Value{std::string(R"({"a":[1,2]})")});
  CHECK_THROWS_AS(field_traits<nlohmann::json>::from_value(Value{std::string("{oops")}), TypeMismatch);
}

TEST_CASE("timestamps: format and parse every form the databases return") {
  using namespace std::chrono;
  const Timestamp t = sys_days{2024y / 5 / 6} + 7h + 8min + 9s + 123456us;
  CHECK(format_timestamp(t) == "2024-05-06 07:08:09.123456");
  CHECK(parse_timestamp("2024-05-06 07:08:09.123456") == t);           // SQLite / PG timestamp
  CHECK(parse_timestamp("2024-05-06 07:08:09.123456+00") == t);        // PG timestamptz, UTC
  CHECK(parse_timestamp("2024-05-06 09:08:09.123456+02") == t);        // PG in another TimeZone
  CHECK(parse_timestamp("2024-05-06 01:38:09.123456-05:30") == t);
  CHECK(parse_timestamp("2024-05-06T07:08:09.123456Z") == t);          // ISO-8601
  CHECK(parse_timestamp("2024-05-06T07:08:09.123456789Z") == t);       // extra digits dropped
  CHECK(parse_timestamp("2024-05-06 07:08:09") == sys_days{2024y / 5 / 6} + 7h + 8min + 9s);
  CHECK(parse_timestamp("2024-05-06 07:08:09.5") ==
        Timestamp{sys_days{2024y / 5 / 6} + 7h + 8min + 9s + 500ms});
  CHECK(parse_timestamp("2024-05-06 07:08") == sys_days{2024y / 5 / 6} + 7h + 8min);
  CHECK(parse_timestamp("2024-05-06") == sys_days{2024y / 5 / 6});
  CHECK(parse_timestamp("1969-12-31 23:59:59.999999") == Timestamp{} - 1us);
  CHECK_FALSE(parse_timestamp("2024-02-30 00:00:00"));
  CHECK_FALSE(parse_timestamp("2024-05-06 25:00:00"));
  CHECK_FALSE(parse_timestamp("yesterday"));
  CHECK_FALSE(parse_timestamp("2024-05-06 07:08:09 junk"));
  // Nanosecond time points are stored at microsecond precision.
  const Clock::time_point ns = Clock::time_point(t) + 789ns;
  CHECK(field_traits<Clock::time_point>::to_value(ns) == Value{std::string("2024-05-06 07:08:09.123456")});
  CHECK(field_traits<Clock::time_point>::from_value(Value{std::string("2024-05-06T07:08:09.123456Z")}) ==
        Clock::time_point(t));
}

TEST_CASE("names: class names, tables, humanized attributes") {
  CHECK(detail::type_name<Dog>() == "model_test::Dog");
  CHECK(detail::unqualified_name("a::b::Dog") == "Dog");
  CHECK(detail::unqualified_name("ns::Box<ns::Dog>") == "Box<ns::Dog>");
  CHECK(detail::tableize("Dog") == "dogs");
  CHECK(detail::tableize("DogToy") == "dog_toys");
  CHECK(detail::tableize("Category") == "categories");
  CHECK(detail::tableize("Key") == "keys");
  CHECK(detail::tableize("Box") == "boxes");
  CHECK(detail::tableize("Person") == "people");
  CHECK(detail::tableize("HTTPRequest") == "http_requests");
  CHECK(detail::humanize("created_at") == "Created at");
  CHECK(detail::humanize("owner_id") == "Owner");
}

TEST_CASE("model metadata") {
  const auto& dog = Dog::model_info();
  CHECK(dog.name == "Dog");
  CHECK(dog.table == "dogs");
  CHECK(dog.primary_key == "id");
  CHECK(dog.primary_key_integral);
  CHECK(dog.columns.size() == 8);
  CHECK(dog.created_at == std::optional<std::size_t>(6));
  CHECK(dog.updated_at == std::optional<std::size_t>(7));
  CHECK(dog.load_event == "Dog Load");
  CHECK(Owner::table_name() == "owners");  // tableized
  CHECK(model_test::Toy::table_name() == "toys");
  CHECK(Dog::connection_class().name() == "model_test::AnimalsRecord");
  CHECK(Dog::connection_class().abstract());
  CHECK(model_test::AnimalsRecord::connection_class().connects_to()->shards.front().second.reading ==
        "animals_replica");
  CHECK(Owner::connection_class().is_base());
  CHECK(model_test::Order::connection_class().name() == "ShardRecord");
  CHECK(model_test::Order::connection_class().default_shard() == "shard_one");
}

TEST_CASE("attributes as JSON, assignment, ADL to_json / from_json") {
  Dog d{.name = "Rex", .age = 3, .tags = {"a"}};
  d.born_at = Clock::time_point(*parse_timestamp("2020-01-02 03:04:05.000006"));
  auto a = d.attributes();
  CHECK(a["name"] == "Rex");
  CHECK(a["age"] == 3);
  CHECK(a["good"] == true);
  CHECK(a["born_at"] == "2020-01-02 03:04:05.000006");
  CHECK(a["created_at"].is_null());
  CHECK(a["tags"] == nlohmann::json::array({"a"}));

  model_test::ArchivedDog copy;
  copy.assign_attributes(a);
  CHECK(copy.name == "Rex");
  CHECK(copy.age == 3);
  CHECK(copy.born_at == d.born_at);
  CHECK(copy.tags == d.tags);

  nlohmann::json j = d;  // ADL to_json
  CHECK(j == a);
  auto back = j.get<Dog>();  // ADL from_json
  CHECK(back.name == "Rex");
  CHECK(back.new_record());

  CHECK_THROWS_WITH_AS(d.assign_attributes({{"colour", "brown"}}), "unknown attribute 'colour' for Dog.",
                       UnknownAttributeError);
  CHECK_THROWS_WITH_AS(d.assign_attributes({{"age", "old"}}),
                       "Dog.age: cannot convert JSON string \"old\" to a 32-bit integer", TypeMismatch);
  auto built = Dog::from_attributes({{"name", "Fido"}, {"age", nullptr}});
  CHECK(built.name == "Fido");
  CHECK_FALSE(built.age);
}

TEST_CASE("validations: Rails' messages") {
  Dog d{.name = "  ", .age = -1};
  CHECK_FALSE(d.valid());
  CHECK(d.errors().on("name") == std::vector<std::string>{"can't be blank"});
  CHECK(d.errors().on("age") == std::vector<std::string>{"must be greater than or equal to 0"});
  CHECK(d.errors().full_messages() ==
        std::vector<std::string>{"Name can't be blank", "Age must be greater than or equal to 0"});
  d.name = std::string(21, 'x');
  d.age = 40;
  CHECK_FALSE(d.valid());
  CHECK(d.errors().full_messages() ==
        std::vector<std::string>{"Name is too long (maximum is 20 characters)", "Age must be less than 40"});
  d.name = "Cat";
  d.age = std::nullopt;  // allow_nil
  CHECK_FALSE(d.valid());
  CHECK(d.errors().full_messages() == std::vector<std::string>{"Name is not a dog"});
  d.name = "Rëx";  // counted in characters, not bytes
  CHECK(d.valid());
  CHECK(d.errors().empty());

  Errors e;
  detail::check_length(e, "code", 1, {.minimum = 2, .is = 3});
  CHECK(e.full_messages() == std::vector<std::string>{"Code is the wrong length (should be 3 characters)",
                                                      "Code is too short (minimum is 2 characters)"});
  Errors n;
  detail::check_number(n, "ratio", 2.5, false, {.greater_than = 3, .only_integer = false});
  detail::check_number(n, "count", 2.5, false, {.only_integer = true});
  CHECK(n.full_messages() == std::vector<std::string>{"Ratio must be greater than 3", "Count must be an integer"});
  n.add("base", "Something is off");
  CHECK(n.full_messages().back() == "Something is off");
}

TEST_CASE("validation callbacks run in order and can halt") {
  model_test::events().clear();
  Dog d{.name = "Rex"};
  CHECK(d.valid());
  CHECK(model_test::events() == std::vector<std::string>{"before_validation:Rex", "after_validation:Rex"});
}

namespace {
// An abstract class under AnimalsRecord that declares no connects_to of its own.
struct Nested : Base<Nested, model_test::AnimalsRecord> {
  static constexpr auto class_name = "NestedAbstract";
};
}  // namespace

TEST_CASE("misuse: connected_to and connects_to follow Rails' errors at run time") {
  // The compile-time checks (connects_to / connected_to on a model) are in tests/model/compile_fail.
  CHECK_THROWS_WITH_AS(model_test::AnimalsRecord::connected_to({}, [] {}),
                       "must provide a `shard` and/or `role`.", ArgumentError);
  CHECK(Nested::connection_class().connection_specification_name() == "model_test::AnimalsRecord");
  CHECK_THROWS_WITH_AS(Nested::connected_to({.role = reading}, [] {}),
                       "calling `connected_to` is only allowed on the abstract class that established the connection.",
                       NotImplementedError);
}

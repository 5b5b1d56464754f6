// Shared declarations of the compile-failure cases.
#pragma once

#include <switchyard/switchyard.hpp>
namespace sy = switchyard;

struct AnimalsRecord : sy::Base<AnimalsRecord> {
  static inline const auto connection = sy::connects_to({.writing = "animals"});
};

struct Dog : sy::Model<Dog, AnimalsRecord> {
  std::int64_t id = 0;
  std::string name;
  std::optional<int> age{};
  static constexpr auto fields = sy::fields(&Dog::id, "id", &Dog::name, "name", &Dog::age, "age");
};

struct Cat : sy::Model<Cat> {
  std::int64_t id = 0;
  std::string name;
  static constexpr auto fields = sy::fields(&Cat::id, "id", &Cat::name, "name");
};

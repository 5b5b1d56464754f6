// expect: `connects_to` can only be called on ActiveRecord::Base or abstract classes
#include "common.hpp"

struct Bird : sy::Model<Bird, AnimalsRecord> {
  static inline const auto connection = sy::connects_to({.writing = "birds"});
  std::int64_t id = 0;
  static constexpr auto fields = sy::fields(&Bird::id, "id");
};

int main() { return static_cast<int>(Bird::count()); }

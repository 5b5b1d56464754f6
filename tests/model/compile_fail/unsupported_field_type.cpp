// expect: no switchyard::field_traits for this member's type
#include "common.hpp"

struct Kennel : sy::Model<Kennel> {
  std::int64_t id = 0;
  std::vector<int> sizes;
  static constexpr auto fields = sy::fields(&Kennel::id, "id", &Kennel::sizes, "sizes");
};

int main() { return static_cast<int>(Kennel::count()); }

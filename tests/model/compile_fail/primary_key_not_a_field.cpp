// expect: the primary key (T::primary_key, default "id") must be one of T::fields
#include "common.hpp"

struct Tag : sy::Model<Tag> {
  static constexpr auto primary_key = "uuid";
  std::string label;
  static constexpr auto fields = sy::fields(&Tag::label, "label");
};

int main() { return static_cast<int>(Tag::count()); }

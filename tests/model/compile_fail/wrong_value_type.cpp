// expect: query value type does not match the field's type
#include "common.hpp"

int main() { return static_cast<int>(Dog::where(&Dog::age, "three").count()); }

// expect: a member of another class
#include "common.hpp"

int main() { return static_cast<int>(Dog::where(&Cat::name, "Tom").count()); }

// expect: NULL compared with a field that is not std::optional
#include "common.hpp"

int main() { return static_cast<int>(Dog::where(&Dog::name, std::nullopt).count()); }

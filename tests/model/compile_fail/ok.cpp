// The control case: the same shapes, used correctly, compile (so the failures below fail for
// their own reason, not for the harness).
#include "common.hpp"

int main() {
  auto a = Dog::where(&Dog::age, 3).where(&Dog::name, "Rex").where(&Dog::age, std::nullopt);
  auto b = AnimalsRecord::connected_to({.role = sy::reading}, [] { return Dog::count(); });
  (void)a;
  (void)b;
  return static_cast<int>(Dog::model_info().columns.size());
}

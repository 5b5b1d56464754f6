#include "fixtures.hpp"

#include "switchyard/errors.hpp"

namespace ctx_test {

void establish_sqlite() {
  register_classes();
  sy::clear_connected_to_stack();
  sy::establish(sqlite_configs(), "test");
  for (auto* k : {&base(), &animals(), &meow(), &writer_only()})
    sy::execute(*k, "CREATE TABLE IF NOT EXISTS t (v text)", {});
  for (const char* shard : {"shard_one", "shard_two"})
    sy::connected_to(sharded(), {.shard = shard},
                     [] { sy::execute(sharded(), "CREATE TABLE IF NOT EXISTS t (v text)", {}); });
}

}  // namespace ctx_test

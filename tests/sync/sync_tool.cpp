// Test helper: the sync commands as a standalone process (what `switchyard sync:*` runs), so tests
// can kill a worker or a backfill with SIGKILL at any point.
#include <iostream>
#include <string>
#include <vector>

#include "switchyard/sync/commands.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return switchyard::sync::sync_main(args, std::cout, std::cerr);
}

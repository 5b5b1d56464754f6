// The stock `switchyard` command. Applications build their own with their models linked in by
// calling switchyard::cli::run from their main (see docs/cli.md).
#include <iostream>

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  std::cout << "switchyard 0.1.0\n";
  return 0;
}

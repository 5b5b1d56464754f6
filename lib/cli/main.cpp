// The stock `switchyard` command. Applications build their own with their models, C++
// migrations, seeds and commands linked in by calling switchyard::cli::run from their main (see
// docs/cli.md).
#include "switchyard/cli/cli.hpp"

int main(int argc, char** argv) { return switchyard::cli::run(argc, argv); }

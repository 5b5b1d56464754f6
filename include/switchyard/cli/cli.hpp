// The `switchyard` command as a library, so an application can build its own binary with its
// models, C++ migrations, seeds and commands linked in (what bin/rails is to a Rails app):
//
//   #include <switchyard/cli/cli.hpp>
//   int main(int argc, char** argv) { return switchyard::cli::run(argc, argv); }
//
// Exit status: 0 ok, 1 failed, 2 usage error. Errors go to stderr as "switchyard: error: ...";
// passwords never reach the output (configurations print redacted). See docs/cli.md.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace switchyard::cli {

int run(int argc, char** argv);
// The same with explicit arguments (without the program name) and streams: for tests and for
// applications embedding the command.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const std::string& program = "switchyard");

}  // namespace switchyard::cli

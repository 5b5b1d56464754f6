// Running the built `switchyard` binary from tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "app_fixture.hpp"

namespace sytest {

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `switchyard ARGS` (ARGS already shell-quoted where needed) in `cwd`.
inline CliRun sy_cli(const fs::path& cwd, const std::string& args, const std::string& env = "") {
  const char* bin = std::getenv("SWITCHYARD_BIN");
  REQUIRE_MESSAGE(bin, "SWITCHYARD_BIN is not set (run through meson test)");
  static int n = 0;
  auto out = switchyard::test::temp_dir() / ("cli-out-" + std::to_string(++n));
  auto err = switchyard::test::temp_dir() / ("cli-err-" + std::to_string(n));
  std::string cmd = "cd " + shell_quote(cwd.string()) + " && env -u SWITCHYARD_ENV -u DISABLE_DATABASE_ENVIRONMENT_CHECK " +
                    env + " " + shell_quote(bin) + " " + args + " >" + shell_quote(out.string()) + " 2>" +
                    shell_quote(err.string());
  int rc = std::system(cmd.c_str());
  CliRun r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace sytest

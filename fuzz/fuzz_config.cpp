// libFuzzer: a malformed database config gives a switchyard::ConfigurationError with a message,
// never a crash, a hang or a foreign exception (an escaping exception aborts the run). Every
// environment of a config that parses is resolved too, since other environments' errors are
// deferred until asked for. FUZZ_YAML selects the parser at build time (json or yaml).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "switchyard/config/database_configurations.hpp"
#include "switchyard/errors.hpp"

namespace {

// The error contract: our type, and a message saying what is wrong.
void expect_clear(const switchyard::ConfigurationError& e) {
  if (std::string_view(e.what()).empty()) {
    std::fprintf(stderr, "fuzz_config: ConfigurationError without a message\n");
    std::abort();
  }
}

void use_every_environment(const switchyard::DatabaseConfigurations& configs) {
  for (const auto& env : configs.environments()) {
    try {
      for (const auto& c : configs.configs_for(env, true)) (void)c.redacted();
      (void)configs.primary(env);
    } catch (const switchyard::ConfigurationError& e) {
      expect_clear(e);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
#if FUZZ_YAML
    auto configs = switchyard::DatabaseConfigurations::parse_yaml(text, "fuzz.yml", "development");
#else
    auto configs = switchyard::DatabaseConfigurations::parse_json(text, "fuzz.json", "development");
#endif
    use_every_environment(configs);
  } catch (const switchyard::ConfigurationError& e) {
    expect_clear(e);
  }
  return 0;
}

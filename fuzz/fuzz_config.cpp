// libFuzzer: a malformed database config gives a switchyard::ConfigurationError, never a crash or
// a foreign exception. FUZZ_FORMAT selects the parser at build time (json or yaml).
#include <cstdint>
#include <string_view>

#include "switchyard/config/database_configurations.hpp"
#include "switchyard/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
#if FUZZ_YAML
    auto configs = switchyard::DatabaseConfigurations::parse_yaml(text, "fuzz.yml", "development");
#else
    auto configs = switchyard::DatabaseConfigurations::parse_json(text, "fuzz.json", "development");
#endif
    for (const auto& c : configs.configs_for("development", true)) (void)c.redacted();
  } catch (const switchyard::Error&) {
    // A clear, typed error is the expected outcome for bad input.
  }
  return 0;
}

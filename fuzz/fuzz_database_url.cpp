// libFuzzer: URL parsing and redaction never crash; a bad URL is a ConfigurationError.
#include <cstdint>
#include <string_view>

#include "switchyard/config/database_url.hpp"
#include "switchyard/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view url(reinterpret_cast<const char*>(data), size);
  (void)switchyard::redact_database_url(url);
  (void)switchyard::looks_like_database_url(url);
  try {
    (void)switchyard::parse_database_url(url);
  } catch (const switchyard::Error&) {
  }
  return 0;
}

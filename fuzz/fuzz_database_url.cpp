// libFuzzer: URL parsing and redaction never crash; a bad URL is a ConfigurationError with a
// message that does not quote a URL holding userinfo; a password the parser finds is gone from
// the redacted URL (unless the same text is also another part of the URL, such as the host: the
// check covers passwords in the userinfo).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "switchyard/config/database_url.hpp"
#include "switchyard/errors.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view url, std::string_view detail) {
  std::fprintf(stderr, "fuzz_database_url: %s\n  url: [%.*s]\n  detail: [%.*s]\n", what,
               static_cast<int>(url.size()), url.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

// True when `needle` is part of anything the redacted URL legitimately shows.
bool shown_elsewhere(const std::string& needle, const nlohmann::json& settings,
                     std::string_view url) {
  // The marker itself, or a password spelled with it, shows in any redacted URL.
  if (std::string_view("[FILTERED]").find(needle) != std::string_view::npos ||
      needle.find("[FILTERED]") != std::string::npos) {
    return true;
  }
  if (url.substr(0, url.find(':')).find(needle) != std::string_view::npos) return true;  // scheme
  // '@', host, path and query are shown as written (also values a repeated query key overrode);
  // a password may end in what follows it (`u:@[::@[::]:5432` has the password `@[::`).
  const auto at = url.rfind('@');
  if (url.substr(at == std::string_view::npos ? 0 : at).find(needle) !=
      std::string_view::npos) {
    return true;
  }
  for (const auto& [key, value] : settings.items()) {
    if (key == "password") continue;
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (key.find(needle) != std::string::npos || text.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// `secret` within one stretch of `redacted` between markers: text that runs into a marker is
// the neighbours' (`user:[FILTERED]`), not the password, and what precedes the first marker is
// `scheme://user:`, shown by design.
bool leaked(const std::string& redacted, const std::string& secret) {
  const std::string_view marker = "[FILTERED]";
  std::size_t start = 0;
  for (bool first = true;; first = false) {
    const std::size_t end = redacted.find(marker, start);
    const std::string_view piece = std::string_view(redacted).substr(
        start, end == std::string::npos ? std::string::npos : end - start);
    const bool by_design = first && end != std::string::npos;
    if (!by_design && piece.find(secret) != std::string_view::npos) return true;
    if (end == std::string::npos) return false;
    start = end + marker.size();
  }
}

void check_redaction(std::string_view url, const std::string& redacted,
                     const nlohmann::json& settings) {
  const auto password = settings.find("password");
  if (password == settings.end() || !password->is_string()) return;
  const auto& secret = password->get_ref<const std::string&>();
  if (secret.size() < 4 || shown_elsewhere(secret, settings, url)) return;
  if (leaked(redacted, secret)) fail("password left after redaction", url, redacted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view url(reinterpret_cast<const char*>(data), size);
  (void)switchyard::looks_like_database_url(url);
  const std::string redacted = switchyard::redact_database_url(url);  // safe on any input
  try {
    check_redaction(url, redacted, switchyard::parse_database_url(url));
  } catch (const switchyard::ConfigurationError& e) {
    const std::string_view message = e.what();
    if (message.empty()) fail("ConfigurationError without a message", url, message);
    if (url.find('@') != std::string_view::npos && message.find(url) != std::string_view::npos) {
      fail("error message quotes the URL", url, message);
    }
  }
  return 0;
}

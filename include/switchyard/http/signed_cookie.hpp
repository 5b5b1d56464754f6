// HMAC-SHA256-signed cookie values: "<base64url payload>.<base64url mac>", the MAC computed over
// the cookie's name and the payload, so a value cannot be replayed under another cookie name.
// Verification is constant-time and accepts the current secret or any previous one (rotation).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::http {

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// The raw 32-byte HMAC-SHA256 of `data` under `secret`.
std::string hmac_sha256(std::string_view secret, std::string_view data);

std::string sign_cookie_value(std::string_view cookie_name, std::string_view payload,
                              std::string_view secret);
// The payload when the value is well formed and signed by `secret` or one of `previous`.
std::optional<std::string> verify_cookie_value(std::string_view cookie_name, std::string_view value,
                                               std::string_view secret,
                                               const std::vector<std::string>& previous = {});

}  // namespace switchyard::http

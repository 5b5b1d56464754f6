#include "switchyard/http/signed_cookie.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace switchyard::http {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decode_char(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string signed_data(std::string_view name, std::string_view payload) {
  std::string data;
  data.reserve(name.size() + 1 + payload.size());
  data.append(name).append(1, '=').append(payload);
  return data;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = decode_char(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  // Unused trailing bits must be zero: one canonical encoding per value.
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string hmac_sha256(std::string_view secret, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length);
  return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

std::string sign_cookie_value(std::string_view cookie_name, std::string_view payload,
                              std::string_view secret) {
  const std::string encoded = base64url_encode(payload);
  return encoded + "." + base64url_encode(hmac_sha256(secret, signed_data(cookie_name, encoded)));
}

std::optional<std::string> verify_cookie_value(std::string_view cookie_name, std::string_view value,
                                               std::string_view secret,
                                               const std::vector<std::string>& previous) {
  const auto dot = value.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view encoded = value.substr(0, dot);
  const auto mac = base64url_decode(value.substr(dot + 1));
  if (!mac || mac->size() != 32) return std::nullopt;
  const std::string data = signed_data(cookie_name, encoded);
  bool ok = false;
  auto check = [&](std::string_view key) {
    if (key.empty()) return;
    const std::string expected = hmac_sha256(key, data);
    ok |= CRYPTO_memcmp(expected.data(), mac->data(), 32) == 0;
  };
  check(secret);
  for (const auto& p : previous) check(p);
  if (!ok) return std::nullopt;
  return base64url_decode(encoded);
}

}  // namespace switchyard::http

#include "switchyard/routing/lsn.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <cstdio>

namespace switchyard::routing {
namespace {

std::optional<std::uint64_t> parse_hex(std::string_view s) {
  if (s.empty() || s.size() > 8) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

template <typename Int>
std::optional<Int> parse_dec(std::string_view s) {
  Int v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Database names are config keys; escape the separators anyway.
std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == ';' || c == '=' || c == ':' || c == '.' ||
        static_cast<unsigned char>(c) < 0x20) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    auto v = parse_hex(s.substr(i + 1, 2));
    if (!v) return std::nullopt;
    out += static_cast<char>(*v);
    i += 2;
  }
  return out;
}

std::string hmac_hex(std::string_view secret, std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), md, &len);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < len && i < 16; ++i) {  // 128 bits are plenty for a cookie
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    out += buf;
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

std::optional<Lsn> parse_lsn(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto hi = parse_hex(text.substr(0, slash));
  auto lo = parse_hex(text.substr(slash + 1));
  if (!hi || !lo) return std::nullopt;
  return (*hi << 32) | *lo;
}

std::string format_lsn(Lsn lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xffffffffu));
  return buf;
}

void WalToken::merge(const WalToken& other) {
  const bool other_cluster = other.system_identifier && system_identifier &&
                             (other.system_identifier != system_identifier ||
                              other.timeline != timeline);
  if (other_cluster) {
    // Positions of different timelines do not compare: keep the newer write's.
    if (other.written_at_ms >= written_at_ms) *this = other;
    return;
  }
  if (!system_identifier) system_identifier = other.system_identifier;
  if (!timeline) timeline = other.timeline;
  if (other.lsn > lsn) lsn = other.lsn;
  if (other.written_at_ms > written_at_ms) written_at_ms = other.written_at_ms;
}

std::string serialize_tokens(const TokenSet& tokens, std::string_view secret) {
  std::string body = "sy1";
  for (const auto& [db, t] : tokens) {
    if (t.empty()) continue;
    body += ';';
    body += escape(db);
    body += '=';
    body += std::to_string(t.system_identifier) + ":" + std::to_string(t.timeline) + ":" +
            format_lsn(t.lsn) + ":" + std::to_string(t.written_at_ms);
  }
  if (body == "sy1") return {};
  if (!secret.empty()) body += "." + hmac_hex(secret, body);
  return body;
}

std::optional<TokenSet> parse_tokens(std::string_view text, std::string_view secret) {
  std::string_view body = text;
  if (!secret.empty()) {
    auto dot = text.rfind('.');
    if (dot == std::string_view::npos) return std::nullopt;
    body = text.substr(0, dot);
    if (!constant_time_equal(text.substr(dot + 1), hmac_hex(secret, body))) return std::nullopt;
  }
  if (body.substr(0, 3) != "sy1") return std::nullopt;
  TokenSet out;
  std::size_t pos = 3;
  while (pos < body.size()) {
    if (body[pos] != ';') return std::nullopt;
    auto next = body.find(';', pos + 1);
    std::string_view entry = body.substr(pos + 1, next == std::string_view::npos
                                                      ? std::string_view::npos
                                                      : next - pos - 1);
    pos = next == std::string_view::npos ? body.size() : next;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    auto db = unescape(entry.substr(0, eq));
    if (!db || db->empty()) return std::nullopt;
    std::string_view rest = entry.substr(eq + 1);
    std::string_view parts[4];
    for (int i = 0; i < 4; ++i) {
      auto colon = rest.find(':');
      if (i < 3 && colon == std::string_view::npos) return std::nullopt;
      parts[i] = i < 3 ? rest.substr(0, colon) : rest;
      if (i < 3) rest = rest.substr(colon + 1);
    }
    auto sysid = parse_dec<std::uint64_t>(parts[0]);
    auto tli = parse_dec<std::uint32_t>(parts[1]);
    auto lsn = parse_lsn(parts[2]);
    auto at = parse_dec<std::int64_t>(parts[3]);
    if (!sysid || !tli || !lsn || !at) return std::nullopt;
    WalToken t{*sysid, *tli, *lsn, *at};
    auto it = out.find(*db);
    if (it == out.end())
      out.emplace(*db, t);
    else
      it->second.merge(t);
  }
  return out;
}

}  // namespace switchyard::routing

#include "switchyard/config/database_url.hpp"

#include "switchyard/config/database_config.hpp"
#include "switchyard/config/known_settings.hpp"
#include "switchyard/errors.hpp"
#include "lexical.hpp"
#include "validate.hpp"

#include <cctype>


namespace switchyard {
namespace {

using ordered_json = nlohmann::ordered_json;

// Errors describe the part at fault, never quote the URL: it may hold a password.
[[noreturn]] void bad_url(const std::string& where, const std::string& problem) {
  throw ConfigurationError(where + ": invalid database URL: " + problem);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view text, const char* part, const std::string& where,
                   bool plus_is_space = false) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      int lo = hi >= 0 ? hex_value(text[i + 2]) : -1;
      if (lo < 0) bad_url(where, std::string("invalid percent-encoding in the ") + part);
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

std::string adapter_for(const std::string& scheme, const std::string& where) {
  if (scheme == "postgresql" || scheme == "postgres") return "postgresql";
  if (scheme == "postgresql_proxy") return "postgresql_proxy";
  if (scheme == "sqlite3" || scheme == "sqlite") return "sqlite3";
  bad_url(where, "unsupported scheme '" + scheme +
                     "' (use postgresql://, postgres://, postgresql_proxy:// or sqlite3:)");
}

// Query values are strings; known settings get their declared type (pool=10 → 10).
ordered_json typed(const std::string& key, const std::string& value) {
  if (const auto* spec = find_setting(key))
    if (auto v = detail::coerce(*spec, value)) return *v;
  return value;
}

void parse_query(std::string_view query, ordered_json& out, const std::string& where) {
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    auto item = query.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? query.size() + 1 : end + 1;
    if (item.empty()) continue;
    auto eq = item.find('=');
    auto key = decode(item.substr(0, eq), "query parameter name", where, true);
    if (!detail::is_identifier(key)) bad_url(where, "a query parameter name is not a setting name");
    if (eq == std::string_view::npos) bad_url(where, "query parameter '" + key + "' has no value");
    out[key] = typed(key, decode(item.substr(eq + 1), "query parameter value", where, true));
  }
}

void parse_host_port(std::string_view hostport, ordered_json& out, const std::string& where) {
  std::string_view host = hostport, port;
  if (!hostport.empty() && hostport[0] == '[') {  // IPv6 literal: [::1]:5432
    auto close = hostport.find(']');
    if (close == std::string_view::npos) bad_url(where, "unterminated '[' in the IPv6 host");
    host = hostport.substr(1, close - 1);
    auto rest = hostport.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') bad_url(where, "unexpected text after the IPv6 host");
    if (!rest.empty()) port = rest.substr(1);
  } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  if (!host.empty()) out["host"] = decode(host, "host", where);
  if (port.empty()) return;
  auto value = detail::coerce(*find_setting("port"), std::string(port));
  if (!value) bad_url(where, "invalid port (expected a number from 1 to 65535)");
  out["port"] = *value;
}

void parse_userinfo(std::string_view userinfo, ordered_json& out, const std::string& where) {
  auto colon = userinfo.find(':');
  auto user = decode(userinfo.substr(0, colon), "user name", where);
  if (!user.empty()) out["username"] = user;
  if (colon == std::string_view::npos) return;
  auto password = decode(userinfo.substr(colon + 1), "password", where);
  if (!password.empty()) out["password"] = password;
}

// `//authority/path`: userinfo, host and port, then the database from the path.
void parse_hierarchical(std::string_view rest, const std::string& adapter, ordered_json& out,
                        const std::string& where) {
  auto slash = rest.find('/', 2);
  auto authority = rest.substr(2, slash == std::string_view::npos ? std::string_view::npos : slash - 2);
  auto path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (adapter == "sqlite3") {
    if (!authority.empty())
      bad_url(where, "sqlite3 URLs have no host: write sqlite3:relative/path or sqlite3:///absolute/path");
    if (!path.empty()) out["database"] = decode(path, "path", where);
    return;
  }
  if (path.find('@') != std::string_view::npos)
    bad_url(where, "'@' after the host: percent-encode '/', '?', '#' and '@' in the user name "
                   "and password (%2F, %3F, %23, %40)");
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) parse_userinfo(authority.substr(0, at), out, where);
  parse_host_port(at == std::string_view::npos ? authority : authority.substr(at + 1), out, where);
  if (path.size() > 1) out["database"] = decode(path.substr(1), "database name", where);
}

}  // namespace

bool looks_like_database_url(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(text[0])))
    return false;
  return detail::is_identifier(text.substr(0, colon), "+.-");
}

nlohmann::json parse_database_url(std::string_view url, const std::string& where) {
  if (!looks_like_database_url(url))
    bad_url(where, "expected adapter://... (for example postgresql://host/dbname or sqlite3:path)");
  auto colon = url.find(':');
  const std::string adapter = adapter_for(std::string(url.substr(0, colon)), where);
  std::string_view rest = url.substr(colon + 1);
  if (rest.find('#') != std::string_view::npos)
    bad_url(where, "'#' is not allowed (percent-encode it as %23)");
  auto question = rest.find('?');
  // sqlite3::memory:?timeout=... keeps its colons; only '?' starts the query.
  std::string_view query = question == std::string_view::npos ? "" : rest.substr(question + 1);
  rest = rest.substr(0, question);
  if (query.find('@') != std::string_view::npos && rest.find('@') == std::string_view::npos)
    bad_url(where, "'@' after the host: percent-encode '/', '?', '#' and '@' in the user name "
                   "and password (%2F, %3F, %23, %40)");

  ordered_json out = ordered_json::object();
  parse_query(query, out, where);
  out["adapter"] = adapter;  // URL parts win over query parameters of the same name
  if (rest.substr(0, 2) == "//") {
    parse_hierarchical(rest, adapter, out, where);
  } else if (adapter == "sqlite3") {
    if (rest.empty()) bad_url(where, "sqlite3: needs a path (sqlite3:db/app.sqlite3 or sqlite3::memory:)");
    out["database"] = decode(rest, "path", where);
  } else {
    bad_url(where, "expected " + adapter + "://[user[:password]@]host[:port]/dbname");
  }
  return nlohmann::json(out);
}

std::string redact_database_url(std::string_view url) {
  std::string out(url);
  // Everything between "user:" and the last '@' may be password: over-redact rather than leak.
  auto scheme = out.find("://");
  auto at = out.rfind('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    auto colon = out.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at)
      out.replace(colon + 1, at - colon - 1, "[FILTERED]");
  }
  auto question = out.find('?');
  if (question == std::string::npos) return out;
  for (std::size_t start = question + 1; start < out.size();) {
    auto end = out.find('&', start);
    if (end == std::string::npos) end = out.size();
    auto eq = out.find('=', start);
    if (eq != std::string::npos && eq < end &&
        DatabaseConfig::is_secret_key(out.substr(start, eq - start))) {
      out.replace(eq + 1, end - eq - 1, "[FILTERED]");
      end = eq + 1 + std::string("[FILTERED]").size();
    }
    start = end + 1;
  }
  return out;
}

}  // namespace switchyard

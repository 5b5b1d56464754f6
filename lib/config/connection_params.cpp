// Interim version; the config layer's own replaces it.
#include "switchyard/config/connection_params.hpp"

namespace switchyard {
namespace {
std::string quote(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}
std::string render(const DatabaseConfig& c, bool redact) {
  std::string out;
  auto add = [&](const char* key, const char* setting) {
    if (auto v = c.string(setting)) out += std::string(out.empty() ? "" : " ") + key + "=" + quote(*v);
  };
  add("host", "host");
  add("port", "port");
  add("dbname", "database");
  add("user", "username");
  if (c.string("password")) out += redact ? " password=[FILTERED]" : " password=" + quote(*c.string("password"));
  add("connect_timeout", "connect_timeout");
  add("sslmode", "sslmode");
  add("application_name", "application_name");
  return out;
}
}  // namespace
std::string pg_conninfo(const DatabaseConfig& c) { return render(c, false); }
std::string pg_conninfo_redacted(const DatabaseConfig& c) { return render(c, true); }
std::string sqlite_path(const DatabaseConfig& c) { return c.string("database").value_or(""); }
std::string sqlite_soci_connect_string(const DatabaseConfig& c, bool read_only) {
  std::string s = "db=\"" + sqlite_path(c) + "\" timeout=5";
  if (read_only) s += " readonly=1";
  return s;
}
}  // namespace switchyard

#include "switchyard/sql/dialect.hpp"

#include "switchyard/errors.hpp"

namespace switchyard::sql {

std::string_view to_string(Dialect dialect) noexcept {
  return dialect == Dialect::postgresql ? "postgresql" : "sqlite3";
}

Dialect dialect_for_adapter(std::string_view adapter) {
  if (adapter == "postgresql" || adapter == "postgresql_proxy") return Dialect::postgresql;
  if (adapter == "sqlite3" || adapter == "sqlite3_proxy") return Dialect::sqlite3;
  throw ConfigurationError("unknown adapter '" + std::string(adapter) +
                           "'; available: postgresql, postgresql_proxy, sqlite3");
}

std::string quote_identifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string quote_qualified(std::string_view dotted_name) {
  std::string out;
  std::size_t start = 0;
  for (;;) {
    auto dot = dotted_name.find('.', start);
    out += quote_identifier(dotted_name.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    out += '.';
    start = dot + 1;
  }
  return out;
}

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string placeholder(int n) {
  std::string out = "$";  // not "$" + to_string(n): GCC 12 -Wrestrict false positive in release
  out += std::to_string(n);
  return out;
}

}  // namespace switchyard::sql

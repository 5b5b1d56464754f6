#include "switchyard/value.hpp"

#include <charconv>
#include <cmath>

namespace switchyard {

std::string to_text(const Value& v) {
  struct Visitor {
    std::string operator()(std::nullptr_t) const { return "NULL"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      return std::string(buf, r.ptr);
    }
    std::string operator()(const std::string& s) const { return s; }
  };
  return std::visit(Visitor{}, v);
}

std::string to_display(const Value& v) {
  if (!std::holds_alternative<std::string>(v)) return to_text(v);
  const auto& s = std::get<std::string>(v);
  constexpr std::size_t kMax = 200;
  std::string shown = s.size() > kMax ? s.substr(0, kMax) + "..." : s;
  return "\"" + shown + "\"";
}

}  // namespace switchyard

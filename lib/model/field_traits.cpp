// Conversion failures and the timestamp text format of field_traits.
#include <charconv>
#include <cstdio>

#include "switchyard/model/field_traits.hpp"

namespace switchyard {
namespace detail {

std::string describe(const Value& v) {
  return std::visit(
      [&](const auto& x) -> std::string {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, std::nullptr_t>) return "NULL";
        else if constexpr (std::is_same_v<X, bool>) return std::string("boolean ") + (x ? "true" : "false");
        else if constexpr (std::is_same_v<X, std::int64_t>) return "integer " + std::to_string(x);
        else if constexpr (std::is_same_v<X, double>) return "number " + to_text(v);
        else return "text " + to_display(v);
      },
      v);
}

void type_mismatch(const Value& v, std::string_view wanted) {
  throw TypeMismatch("cannot convert " + describe(v) + " to " + std::string(wanted));
}

void json_mismatch(const nlohmann::json& j, std::string_view wanted) {
  std::string shown = j.dump();
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  throw TypeMismatch("cannot convert JSON " + std::string(j.type_name()) + " " + shown + " to " +
                     std::string(wanted));
}

}  // namespace detail

namespace {

// Reads exactly `n` digits at `p` into `out`.
bool digits(std::string_view s, std::size_t& p, std::size_t n, int& out) {
  if (p + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[p + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  p += n;
  return true;
}

bool expect(std::string_view s, std::size_t& p, char c) {
  if (p < s.size() && s[p] == c) {
    ++p;
    return true;
  }
  return false;
}

}  // namespace

std::string format_timestamp(Timestamp t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const auto tod = t - day;
  const auto h = duration_cast<hours>(tod);
  const auto m = duration_cast<minutes>(tod - h);
  const auto s = duration_cast<seconds>(tod - h - m);
  const auto us = duration_cast<microseconds>(tod - h - m - s);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d.%06lld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(h.count()), static_cast<int>(m.count()),
                static_cast<int>(s.count()), static_cast<long long>(us.count()));
  return buf;
}

std::optional<Timestamp> parse_timestamp(std::string_view s) {
  using namespace std::chrono;
  std::size_t p = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, p, 4, y) || !expect(s, p, '-') || !digits(s, p, 2, mo) || !expect(s, p, '-') ||
      !digits(s, p, 2, d))
    return std::nullopt;
  if (p < s.size()) {
    if (s[p] != ' ' && s[p] != 'T' && s[p] != 't') return std::nullopt;
    ++p;
    if (!digits(s, p, 2, h) || !expect(s, p, ':') || !digits(s, p, 2, mi)) return std::nullopt;
    if (expect(s, p, ':') && !digits(s, p, 2, sec)) return std::nullopt;
  }
  long long micros = 0;
  if (expect(s, p, '.')) {
    int n = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (n < 6) micros = micros * 10 + (s[p] - '0');
      ++n;
      ++p;
    }
    if (n == 0) return std::nullopt;
    for (; n < 6; ++n) micros *= 10;
  }
  int offset_minutes = 0;
  if (p < s.size()) {
    if (s[p] == ' ') ++p;  // "2024-01-02 03:04:05 +00:00"
    if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
      ++p;
    } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
      const int sign = s[p] == '-' ? -1 : 1;
      ++p;
      int oh = 0, om = 0;
      if (!digits(s, p, 2, oh)) return std::nullopt;
      if (expect(s, p, ':')) {
        if (!digits(s, p, 2, om)) return std::nullopt;
      } else if (p + 2 <= s.size()) {
        if (!digits(s, p, 2, om)) return std::nullopt;
      }
      offset_minutes = sign * (oh * 60 + om);
    }
  }
  if (p != s.size()) return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  Timestamp t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + microseconds{micros};
  return t - minutes{offset_minutes};
}

}  // namespace switchyard

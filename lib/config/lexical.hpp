// Internal: the few lexical checks the config layer needs (numbers, identifiers), written out
// rather than with std::regex, which is slow to build and to run for such small patterns.
#pragma once

#include <cctype>
#include <charconv>
#include <optional>
#include <string_view>

namespace switchyard::detail {

inline bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Consumes digits from `s` at `i`; returns how many.
inline std::size_t skip_digits(std::string_view s, std::size_t& i) {
  std::size_t start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  return i - start;
}

inline void skip_sign(std::string_view s, std::size_t& i) {
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
}

// [-+]?[0-9]+
inline bool is_decimal_integer(std::string_view s) {
  std::size_t i = 0;
  skip_sign(s, i);
  return skip_digits(s, i) > 0 && i == s.size();
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
inline bool is_decimal_number(std::string_view s) {
  std::size_t i = 0;
  skip_sign(s, i);
  std::size_t digits = skip_digits(s, i);
  if (i < s.size() && s[i] == '.') {
    ++i;
    digits += skip_digits(s, i);
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    skip_sign(s, i);
    if (skip_digits(s, i) == 0) return false;
  }
  return i == s.size();
}

// The value of a decimal number (is_decimal_number); nullopt when it is not one or when it does
// not fit a double (1e999, 1e-999), which std::stod would throw as a foreign exception.
inline std::optional<double> parse_decimal(std::string_view s) {
  if (!is_decimal_number(s)) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);  // from_chars takes no '+'
  double out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return out;
}

// A letter or '_' first, then letters, digits, '_' and any of `extra`.
inline bool is_identifier(std::string_view s, std::string_view extra = "") {
  if (s.empty() || is_digit(s[0])) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && extra.find(c) == std::string_view::npos)
      return false;
  return extra.find(s[0]) == std::string_view::npos;
}

}  // namespace switchyard::detail

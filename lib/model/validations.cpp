// The errors collection and the messages of the built-in validations (Rails' texts).
#include <cmath>
#include <cstdio>

#include "switchyard/model/type_name.hpp"
#include "switchyard/model/validations.hpp"

namespace switchyard {

void Errors::add(std::string attribute, std::string message) {
  entries_.push_back(Entry{std::move(attribute), std::move(message)});
}

bool Errors::include(std::string_view attribute) const {
  for (const auto& e : entries_)
    if (e.attribute == attribute) return true;
  return false;
}

std::vector<std::string> Errors::on(std::string_view attribute) const {
  std::vector<std::string> out;
  for (const auto& e : entries_)
    if (e.attribute == attribute) out.push_back(e.message);
  return out;
}

std::string Errors::full_message(const Entry& entry) const {
  if (entry.attribute == "base" || entry.attribute.empty()) return entry.message;
  return detail::humanize(entry.attribute) + " " + entry.message;
}

std::vector<std::string> Errors::full_messages() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(full_message(e));
  return out;
}

namespace detail {

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string format_count(double d) {
  if (std::trunc(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

bool blank_string(std::string_view s) {
  for (unsigned char c : s)
    if (!std::isspace(c)) return false;
  return true;
}

namespace {
std::string characters(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " character" : " characters");
}
}  // namespace

void check_length(Errors& errors, const std::string& column, std::size_t length,
                  const LengthOptions& o) {
  if (o.is && length != *o.is)
    errors.add(column, "is the wrong length (should be " + characters(*o.is) + ")");
  if (o.minimum && length < *o.minimum)
    errors.add(column, "is too short (minimum is " + characters(*o.minimum) + ")");
  if (o.maximum && length > *o.maximum)
    errors.add(column, "is too long (maximum is " + characters(*o.maximum) + ")");
}

void check_number(Errors& errors, const std::string& column, double v, bool integral,
                  const NumericalityOptions& o) {
  if (o.only_integer && !integral && std::trunc(v) != v) {
    errors.add(column, "must be an integer");
    return;
  }
  if (o.greater_than && !(v > *o.greater_than))
    errors.add(column, "must be greater than " + format_count(*o.greater_than));
  if (o.greater_than_or_equal_to && !(v >= *o.greater_than_or_equal_to))
    errors.add(column, "must be greater than or equal to " + format_count(*o.greater_than_or_equal_to));
  if (o.equal_to && !(v == *o.equal_to))
    errors.add(column, "must be equal to " + format_count(*o.equal_to));
  if (o.less_than && !(v < *o.less_than))
    errors.add(column, "must be less than " + format_count(*o.less_than));
  if (o.less_than_or_equal_to && !(v <= *o.less_than_or_equal_to))
    errors.add(column, "must be less than or equal to " + format_count(*o.less_than_or_equal_to));
  if (o.other_than && v == *o.other_than)
    errors.add(column, "must be other than " + format_count(*o.other_than));
}

}  // namespace detail
}  // namespace switchyard

// field_traits for std::chrono::system_clock time points (timestamps, always UTC).
//
// Written as "YYYY-MM-DD HH:MM:SS.ffffff" (microseconds, like PostgreSQL's timestamp precision and
// Rails' SQLite format; such text sorts chronologically in SQLite and is accepted by PostgreSQL
// for timestamp and timestamptz). Read from that, from ISO-8601 with 'T', with or without
// fractional seconds, with a "Z" / "+HH" / "+HH:MM" / "+HHMM" offset (PostgreSQL timestamptz in
// any session TimeZone) or none (taken as UTC), and from integer Unix seconds.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "switchyard/model/field_traits.hpp"

namespace switchyard {

using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

// "2024-05-06 07:08:09.123456"
std::string format_timestamp(Timestamp t);
// nullopt when `text` is not a timestamp in one of the forms above.
std::optional<Timestamp> parse_timestamp(std::string_view text);

template <typename Duration>
struct field_traits<std::chrono::time_point<std::chrono::system_clock, Duration>> {
  using T = std::chrono::time_point<std::chrono::system_clock, Duration>;
  static Value to_value(const T& t) {
    return format_timestamp(std::chrono::floor<std::chrono::microseconds>(t));
  }
  static T from_value(const Value& v) {
    if (auto* s = std::get_if<std::string>(&v)) {
      if (auto t = parse_timestamp(*s)) return std::chrono::time_point_cast<Duration>(*t);
    } else if (auto* i = std::get_if<std::int64_t>(&v)) {
      return std::chrono::time_point_cast<Duration>(
          std::chrono::sys_seconds{std::chrono::seconds{*i}});
    }
    detail::type_mismatch(v, "a timestamp");
  }
  static nlohmann::json to_json(const T& t) { return std::get<std::string>(to_value(t)); }
  static T from_json(const nlohmann::json& j) {
    if (j.is_string()) {
      if (auto t = parse_timestamp(j.get_ref<const std::string&>()))
        return std::chrono::time_point_cast<Duration>(*t);
    } else if (j.is_number_integer()) {
      return std::chrono::time_point_cast<Duration>(
          std::chrono::sys_seconds{std::chrono::seconds{j.get<std::int64_t>()}});
    }
    detail::json_mismatch(j, "a timestamp");
  }
};

}  // namespace switchyard

// A database value as switchyard moves it between models and drivers: NULL, bool, 64-bit
// integer, double or text. Timestamps travel as ISO-8601 text and JSON as its serialisation; the
// model layer converts to and from the C++ field types.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace switchyard {

using Value = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string>;

inline bool is_null(const Value& v) noexcept { return std::holds_alternative<std::nullptr_t>(v); }

// Text as a database would print it: NULL, true/false, digits, shortest round-trip double.
std::string to_text(const Value& v);
// For logs: strings quoted and long values shortened.
std::string to_display(const Value& v);

}  // namespace switchyard

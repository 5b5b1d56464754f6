#include "interpolation.hpp"

#include <cctype>
#include <cstdlib>

namespace switchyard::detail {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// The value of one `${...}` body: "VAR" or "VAR:-default".
std::string expand(std::string_view body, const Location& where) {
  auto sep = body.find(":-");
  std::string_view name = body.substr(0, sep);
  // The body may be part of a secret: describe a bad name without repeating it.
  if (!valid_name(name))
    fail(where, "invalid variable name in '${...}' (letters, digits and _; write '$${' for a literal '${')");
  const char* value = std::getenv(std::string(name).c_str());
  if (sep != std::string_view::npos) {
    if (value && *value) return value;
    return std::string(body.substr(sep + 2));
  }
  if (!value)
    fail(where, "environment variable '" + std::string(name) + "' is not set (write ${" +
                    std::string(name) + ":-default} to give a default)");
  return value;
}

}  // namespace

std::string interpolate(std::string_view text, const Location& where) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
    } else if (text.compare(i, 2, "${") == 0) {
      auto close = text.find('}', i + 2);
      if (close == std::string_view::npos)
        fail(where, "unterminated '${' (write '$${' for a literal '${')");
      out += expand(text.substr(i + 2, close - i - 2), where);
      i = close + 1;
    } else {
      out += text[i++];
    }
  }
  return out;
}

void interpolate_all(nlohmann::ordered_json& value, const Location& where) {
  if (value.is_string()) {
    value = interpolate(value.get_ref<const std::string&>(), where);
  } else if (value.is_object()) {
    for (auto& [key, item] : value.items()) {
      Location inner = where;
      inner.key += "." + key;
      interpolate_all(item, inner);
    }
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      Location inner = where;
      inner.key += "[" + std::to_string(i) + "]";
      interpolate_all(value[i], inner);
    }
  }
}

}  // namespace switchyard::detail

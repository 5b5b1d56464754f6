// Rails-style names: unqualified class names, table names, humanized attribute names.
#include <cctype>

#include "switchyard/model/type_name.hpp"

namespace switchyard::detail {

std::string unqualified_name(std::string_view qualified) {
  // The last "::" outside template brackets.
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < qualified.size(); ++i) {
    const char c = qualified[i];
    if (c == '<') ++depth;
    else if (c == '>') --depth;
    else if (depth == 0 && c == ':' && i + 1 < qualified.size() && qualified[i + 1] == ':')
      start = i + 2;
  }
  return std::string(qualified.substr(start));
}

std::string tableize(std::string_view class_name) {
  std::string snake;
  for (std::size_t i = 0; i < class_name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(class_name[i]);
    if (!std::isalnum(c)) {
      if (!snake.empty() && snake.back() != '_') snake += '_';
      continue;
    }
    if (std::isupper(c) && i > 0 && !snake.empty() && snake.back() != '_' &&
        (std::islower(static_cast<unsigned char>(class_name[i - 1])) ||
         std::isdigit(static_cast<unsigned char>(class_name[i - 1])) ||
         (i + 1 < class_name.size() && std::islower(static_cast<unsigned char>(class_name[i + 1])))))
      snake += '_';
    snake += static_cast<char>(std::tolower(c));
  }
  while (!snake.empty() && snake.back() == '_') snake.pop_back();
  auto ends_with = [&](std::string_view s) {
    return snake.size() >= s.size() && snake.compare(snake.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with("person")) return snake.substr(0, snake.size() - 6) + "people";
  if (ends_with("y") && snake.size() > 1 &&
      std::string_view("aeiou").find(snake[snake.size() - 2]) == std::string_view::npos)
    return snake.substr(0, snake.size() - 1) + "ies";
  if (ends_with("s") || ends_with("x") || ends_with("z") || ends_with("ch") || ends_with("sh"))
    return snake + "es";
  return snake + "s";
}

std::string humanize(std::string_view column) {
  std::string out(column);
  if (out.size() > 3 && out.compare(out.size() - 3, 3, "_id") == 0) out.resize(out.size() - 3);
  for (auto& c : out)
    if (c == '_') c = ' ';
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace switchyard::detail

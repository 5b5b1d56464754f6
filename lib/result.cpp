#include "switchyard/result.hpp"

#include "switchyard/errors.hpp"

namespace switchyard {

std::size_t Result::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  std::string known;
  for (const auto& c : columns) known += (known.empty() ? "" : ", ") + c;
  throw Error("no column '" + std::string(name) + "' in result; columns: " + known);
}

const Value& Result::at(std::size_t row, std::string_view column) const {
  return rows.at(row).at(column_index(column));
}

Value Result::scalar() const {
  if (rows.empty() || rows.front().empty()) return nullptr;
  return rows.front().front();
}

}  // namespace switchyard

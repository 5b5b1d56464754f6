// The rows a statement returned, already converted to Values, and how many rows it changed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/value.hpp"

namespace switchyard {

class Result {
 public:
  using Row = std::vector<Value>;

  std::vector<std::string> columns;
  std::vector<Row> rows;
  std::int64_t affected_rows = 0;  // INSERT/UPDATE/DELETE count; rows.size() for queries

  bool empty() const noexcept { return rows.empty(); }
  std::size_t size() const noexcept { return rows.size(); }
  // Index of a column by name; throws Error naming the column and the ones that exist.
  std::size_t column_index(std::string_view name) const;
  const Value& at(std::size_t row, std::string_view column) const;
  // The first column of the first row, or NULL when there is none.
  Value scalar() const;
};

}  // namespace switchyard

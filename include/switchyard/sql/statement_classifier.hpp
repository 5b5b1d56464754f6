// Interim: replaced by the sql layer's classifier.
#pragma once
#include <string>
#include <string_view>
#include "switchyard/sql/dialect.hpp"
namespace switchyard::sql {
enum class StatementKind { read, write, session_state, transaction_control };
struct Classification {
  StatementKind kind;
  std::string reason;
  bool is_write() const noexcept { return kind == StatementKind::write; }
};
Classification classify(Dialect dialect, std::string_view sql);
}  // namespace switchyard::sql

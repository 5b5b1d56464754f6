// Interim: replaced by the sql layer's classifier.
#include "switchyard/sql/statement_classifier.hpp"
namespace switchyard::sql {
Classification classify(Dialect, std::string_view sql) {
  auto p = sql.find_first_not_of(" \n\t(");
  auto w = p == std::string_view::npos ? std::string_view{} : sql.substr(p, 6);
  bool read = w.size() == 6 && (w[0] == 'S' || w[0] == 's') && (w[1] == 'E' || w[1] == 'e') && (w[2]=='L'||w[2]=='l');
  return {read ? StatementKind::read : StatementKind::write, read ? "SELECT" : "WRITE"};
}
}  // namespace switchyard::sql

// The non-template parts of Model / Relation / Base: execution, messages, transactions.
#include "switchyard/model/model.hpp"

#include "switchyard/instrument/notifications.hpp"
#include "switchyard/sql/lexer.hpp"

namespace switchyard::detail {

void unknown_member(std::string_view model) {
  throw ArgumentError("a member pointer that is not one of " + std::string(model) +
                      "::fields (declare it in sy::fields to query or validate it)");
}

void mismatch_in(std::string_view model, std::string_view column, const std::exception& e) {
  throw TypeMismatch(std::string(model) + "." + std::string(column) + ": " + e.what());
}

sql::Dialect current_dialect(const ConnectionClass& klass) {
  auto pool = connection_handler().retrieve_connection_pool_strict(current_pool_key(klass));
  return sql::dialect_for_adapter(pool->db_config().adapter());
}

Result run(const ConnectionClass& klass, const sql::Statement& statement, std::string_view name,
           bool prepare) {
  return switchyard::execute(klass, statement.sql, statement.binds,
                             ExecOptions{.name = name,
                                         .bind_names = statement.bind_names,
                                         .route_reason = {},
                                         .prepare = prepare,
                                         .single_statement = true});
}

void not_found(const ModelInfo& info, const Value& id) {
  const std::string shown = to_text(id);
  throw RecordNotFound("Couldn't find " + info.name + " with '" + info.primary_key + "'=" + shown,
                       info.name, info.primary_key, shown);
}

void not_found(const ModelInfo& info) {
  throw RecordNotFound("Couldn't find " + info.name, info.name, info.primary_key);
}

void unknown_attribute(const ModelInfo& info, std::string_view column) {
  throw UnknownAttributeError("unknown attribute '" + std::string(column) + "' for " + info.name +
                              ".");
}

std::string number_raw_placeholders(std::string_view sql, std::size_t binds) {
  int found = 0;
  std::string out = sql::rewrite_question_placeholders(sql, 1, found);
  if (found == 0) return std::string(sql);  // $N placeholders, or none
  if (static_cast<std::size_t>(found) != binds)
    throw ArgumentError("wrong number of bind variables (" + std::to_string(binds) + " for " +
                        std::to_string(found) + ") in: " + std::string(sql));
  return out;
}

void rollback_quietly(Connection& connection) noexcept {
  try {
    if (connection.transaction_depth() > 0) connection.rollback_transaction();
  } catch (const std::exception& e) {
    instrument::emit(instrument::Event{
        "transaction.rollback_failed",
        {{"database", connection.identity().database}, {"error", e.what()}}});
  } catch (...) {
  }
}

std::string validation_failed_message(const Errors& errors) {
  std::string out = "Validation failed: ";
  bool first = true;
  for (const auto& m : errors.full_messages()) {
    if (!first) out += ", ";
    first = false;
    out += m;
  }
  return out;
}

Timestamp now_timestamp() {
  return std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
}

}  // namespace switchyard::detail

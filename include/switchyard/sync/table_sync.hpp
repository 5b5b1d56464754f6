// What to sync: one source table, keyed by one column, copied to a table of a second database.
//
// A TableSync is everything the table-level machinery (worker, backfill, verify) needs; it needs
// no model class, so the stock `switchyard` binary can sync any table. The Syncable<T> mixin
// builds one from the model's declarations.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/config/database_config.hpp"
#include "switchyard/value.hpp"

namespace switchyard::sync {

// One row on its way to the target, in target column names, for a transform to edit.
class SyncRecord {
 public:
  SyncRecord(const std::vector<std::string>& columns, std::vector<Value> values)
      : columns_(&columns), values_(std::move(values)) {}
  const std::vector<std::string>& columns() const noexcept { return *columns_; }
  std::vector<Value>& values() noexcept { return values_; }
  const std::vector<Value>& values() const noexcept { return values_; }
  bool has(std::string_view column) const;
  // Throws ArgumentError naming the column and the ones that exist.
  Value& operator[](std::string_view column);
  const Value& operator[](std::string_view column) const;

 private:
  const std::vector<std::string>* columns_;
  std::vector<Value> values_;
};

// Edits a record before it is written; returning false means "this row does not belong on the
// target" (it is deleted there, like a row the filter excludes). The key must not change.
using Transform = std::function<bool(SyncRecord&)>;

struct TableSync {
  std::string table{};                 // source table (also the outbox queue name)
  std::string key = "id";              // key column (unique on both sides)
  std::string target_table{};          // default: `table`
  // Source columns to copy (the key is always included); empty: every column of the source
  // table. Every copied column must exist on the target (after `rename`).
  std::vector<std::string> columns{};
  std::map<std::string, std::string> rename{};  // source column -> target column
  // SQL boolean expression over the source row ("active AND deleted_at IS NULL"): rows that do
  // not match are not written to the target and are deleted there. Trusted text (configuration,
  // never user input): it is pasted into the SELECT.
  std::string filter{};
  Transform transform{};

  DatabaseConfig source{};                       // the source's primary (holds the outbox)
  std::optional<DatabaseConfig> source_replica{};  // read records here once it has replayed
  DatabaseConfig target{};

  const std::string& target_name() const { return target_table.empty() ? table : target_table; }
  // "dogs -> planetscale.dogs" for messages and checkpoints.
  std::string describe() const;
};

// A key as the outbox stores it: integers as digits, text as is (booleans 1/0).
std::string key_text(const Value& key);

}  // namespace switchyard::sync

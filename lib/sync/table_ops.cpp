#include "table_ops.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "switchyard/config/connection_params.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/notifications.hpp"
#include "switchyard/sql/dialect.hpp"
#include "switchyard/sync/outbox.hpp"

namespace switchyard::sync {

bool SyncRecord::has(std::string_view column) const {
  return std::find(columns_->begin(), columns_->end(), column) != columns_->end();
}

Value& SyncRecord::operator[](std::string_view column) {
  auto it = std::find(columns_->begin(), columns_->end(), column);
  if (it == columns_->end()) {
    std::string known;
    for (const auto& c : *columns_) known += (known.empty() ? "" : ", ") + c;
    throw ArgumentError("sync record has no column '" + std::string(column) + "' (columns: " +
                        known + ")");
  }
  return values_[static_cast<std::size_t>(it - columns_->begin())];
}

const Value& SyncRecord::operator[](std::string_view column) const {
  return const_cast<SyncRecord&>(*this)[column];
}

std::string key_text(const Value& v) {
  if (auto* b = std::get_if<bool>(&v)) return *b ? "1" : "0";
  return to_text(v);
}

std::string TableSync::describe() const {
  return table + " -> " + target.name() + "." + target_name();
}

namespace detail {

namespace {

// Parameters per statement, below SQLite's 32766 and PostgreSQL's 65535.
constexpr std::size_t kMaxParams = 30000;
constexpr std::size_t kKeysPerRead = 1000;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string now_ms_sql(sql::Dialect dialect) {
  if (dialect == sql::Dialect::postgresql)
    return "(extract(epoch from clock_timestamp()) * 1000)::bigint";
  return "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
}

std::int64_t now_ms_local() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<ColumnInfo> table_columns(Connection& conn, const std::string& table) {
  Result r;
  const std::vector<Value> binds{Value{table}};
  if (conn.dialect() == sql::Dialect::postgresql) {
    // pg_attribute rather than information_schema: the same answer, ten times faster.
    r = conn.execute(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum",
        {Value{sql::quote_qualified(table)}}, {.name = "SYNC SCHEMA"});
  } else {
    r = conn.execute("SELECT name, type FROM pragma_table_info($1) ORDER BY cid", binds,
                     {.name = "SYNC SCHEMA"});
  }
  std::vector<ColumnInfo> out;
  for (const auto& row : r.rows) out.push_back({to_text(row[0]), lower(to_text(row[1]))});
  return out;
}

bool table_exists(Connection& conn, const std::string& table) {
  return !table_columns(conn, table).empty();
}

Plan make_plan(const TableSync& spec, Connection& source, Connection& target) {
  if (spec.table.empty()) throw ArgumentError("sync: no table given");
  if (spec.key.empty()) throw ArgumentError("sync " + spec.table + ": no key column given");
  auto src_cols = table_columns(source, spec.table);
  if (src_cols.empty())
    throw ArgumentError("sync: table '" + spec.table + "' does not exist in " +
                        spec.source.name());
  auto tgt_cols = table_columns(target, spec.target_name());
  if (tgt_cols.empty())
    throw ArgumentError("sync: table '" + spec.target_name() + "' does not exist in " +
                        spec.target.name() + " (create it with a migration first)");
  auto find = [](const std::vector<ColumnInfo>& cols, const std::string& name) {
    return std::find_if(cols.begin(), cols.end(),
                        [&](const ColumnInfo& c) { return c.name == name; });
  };
  auto mapped = [&](const std::string& c) {
    auto it = spec.rename.find(c);
    return it == spec.rename.end() ? c : it->second;
  };

  Plan plan;
  std::vector<std::string> wanted;
  if (spec.columns.empty()) {
    for (const auto& c : src_cols) wanted.push_back(c.name);
  } else {
    wanted = spec.columns;
    if (std::find(wanted.begin(), wanted.end(), spec.key) == wanted.end())
      wanted.insert(wanted.begin(), spec.key);
  }
  std::vector<std::string> missing;
  for (const auto& c : wanted) {
    if (find(src_cols, c) == src_cols.end())
      throw ArgumentError("sync " + spec.table + ": column '" + c + "' does not exist in " +
                          spec.source.name() + "." + spec.table);
    if (find(tgt_cols, mapped(c)) == tgt_cols.end()) {
      missing.push_back(mapped(c));
      continue;
    }
    plan.source_columns.push_back(c);
    plan.target_columns.push_back(mapped(c));
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw ArgumentError("sync " + spec.describe() + ": the target table lacks column(s) " + list +
                        " (add them, or choose columns with --columns / rename with --map)");
  }
  auto key_it = std::find(plan.source_columns.begin(), plan.source_columns.end(), spec.key);
  if (key_it == plan.source_columns.end())
    throw ArgumentError("sync " + spec.table + ": key column '" + spec.key + "' does not exist");
  plan.key_index = static_cast<std::size_t>(key_it - plan.source_columns.begin());
  plan.source_key = spec.key;
  plan.target_key = plan.target_columns[plan.key_index];
  const std::string type = find(src_cols, spec.key)->type;
  plan.integer_key = source.dialect() == sql::Dialect::postgresql
                         ? (type == "bigint" || type == "integer" || type == "smallint")
                         : type.find("int") != std::string::npos;  // SQLite's affinity rule
  plan.text_key = type == "text" || type.find("char") != std::string::npos;
  return plan;
}

std::string key_text(const Value& v) { return sync::key_text(v); }

Value key_bind(const Plan& plan, const std::string& key) {
  if (plan.integer_key) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), n);
    if (ec == std::errc() && p == key.data() + key.size()) return n;
  }
  return key;
}

std::string placeholders(std::size_t n, int first) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += sql::placeholder(first + static_cast<int>(i));
  }
  return out;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += sql::quote_identifier(names[i]);
  }
  return out;
}

std::string ordered_key(sql::Dialect dialect, const Plan& plan, const std::string& quoted_key) {
  if (dialect == sql::Dialect::postgresql && plan.text_key) return quoted_key + " COLLATE \"C\"";
  return quoted_key;
}

void apply_transform(const TableSync& spec, const Plan& plan, std::vector<std::vector<Value>>& rows,
                     std::vector<std::string>* dropped) {
  if (!spec.transform) return;
  std::vector<std::vector<Value>> kept;
  kept.reserve(rows.size());
  for (auto& row : rows) {
    SyncRecord record(plan.target_columns, std::move(row));
    const std::string key = key_text(record.values()[plan.key_index]);
    if (spec.transform(record)) {
      kept.push_back(std::move(record.values()));
    } else if (dropped) {
      dropped->push_back(key);
    }
  }
  rows = std::move(kept);
}

ReadResult read_records(Connection& source, const TableSync& spec, const Plan& plan,
                        const std::vector<std::string>& keys) {
  ReadResult out;
  std::unordered_set<std::string> found;
  const std::string cols = quoted_list(plan.source_columns);
  for (std::size_t start = 0; start < keys.size(); start += kKeysPerRead) {
    const std::size_t n = std::min(kKeysPerRead, keys.size() - start);
    std::vector<Value> binds;
    binds.reserve(n);
    for (std::size_t i = 0; i < n; ++i) binds.push_back(key_bind(plan, keys[start + i]));
    std::string sql = "SELECT " + cols + " FROM " + sql::quote_qualified(spec.table) + " WHERE " +
                      sql::quote_identifier(plan.source_key) + " IN (" + placeholders(n) + ")";
    if (!spec.filter.empty()) sql += " AND (" + spec.filter + ")";
    auto r = source.execute(sql, binds, {.name = "SYNC Load"});
    for (auto& row : r.rows) out.rows.push_back(std::move(row));
  }
  apply_transform(spec, plan, out.rows, nullptr);
  for (const auto& row : out.rows) found.insert(key_text(row[plan.key_index]));
  for (const auto& k : keys)
    if (!found.count(k)) out.gone.push_back(k);
  return out;
}

void write_records(Connection& target, const Plan& plan, const std::string& target_table,
                   const std::vector<std::vector<Value>>& rows,
                   const std::vector<std::string>& deletes, bool overwrite,
                   std::vector<std::string>* inserted) {
  const std::string table = sql::quote_qualified(target_table);
  const std::string key = sql::quote_identifier(plan.target_key);
  for (std::size_t start = 0; start < deletes.size(); start += kKeysPerRead) {
    const std::size_t n = std::min(kKeysPerRead, deletes.size() - start);
    std::vector<Value> binds;
    for (std::size_t i = 0; i < n; ++i) binds.push_back(key_bind(plan, deletes[start + i]));
    target.execute("DELETE FROM " + table + " WHERE " + key + " IN (" + placeholders(n) + ")",
                   binds, {.name = "SYNC Delete"});
  }
  if (rows.empty()) return;
  const std::size_t width = plan.target_columns.size();
  const std::size_t per = std::max<std::size_t>(1, kMaxParams / width);
  std::string conflict = " ON CONFLICT (" + key + ") DO ";
  if (overwrite && width > 1) {
    conflict += "UPDATE SET ";
    bool first = true;
    for (std::size_t c = 0; c < width; ++c) {
      if (c == plan.key_index) continue;
      if (!first) conflict += ", ";
      first = false;
      const auto q = sql::quote_identifier(plan.target_columns[c]);
      conflict += q + " = EXCLUDED." + q;
    }
  } else {
    conflict += "NOTHING";
  }
  if (inserted && !overwrite) conflict += " RETURNING " + key;
  const std::string head = "INSERT INTO " + table + " (" + quoted_list(plan.target_columns) +
                           ") VALUES ";
  for (std::size_t start = 0; start < rows.size(); start += per) {
    const std::size_t n = std::min(per, rows.size() - start);
    std::string sql = head;
    std::vector<Value> binds;
    binds.reserve(n * width);
    for (std::size_t i = 0; i < n; ++i) {
      sql += (i ? ", (" : "(") + placeholders(width, static_cast<int>(i * width + 1)) + ")";
      for (const auto& v : rows[start + i]) binds.push_back(v);
    }
    sql += conflict;
    auto r = target.execute(sql, binds, {.name = "SYNC Upsert"});
    if (inserted) {
      if (overwrite) {
        for (std::size_t i = 0; i < n; ++i)
          inserted->push_back(key_text(rows[start + i][plan.key_index]));
      } else {
        for (const auto& row : r.rows) inserted->push_back(key_text(row[0]));
      }
    }
  }
}

void mark_sync_origin(Connection& target, const std::string& origin, bool sqlite_state_table) {
  if (target.dialect() == sql::Dialect::postgresql) {
    target.execute("SELECT set_config('switchyard.sync_origin', $1, true)", {Value{origin}},
                   {.name = "SYNC Origin"});
  } else if (sqlite_state_table) {
    target.execute(std::string("INSERT OR REPLACE INTO ") + kStateTable +
                       " (name, value) VALUES ('suppress_capture', $1)",
                   {Value{origin}}, {.name = "SYNC Origin"});
  }
}

void clear_sync_origin(Connection& target, bool sqlite_state_table) {
  if (target.dialect() == sql::Dialect::sqlite3 && sqlite_state_table)
    target.execute(std::string("DELETE FROM ") + kStateTable + " WHERE name = 'suppress_capture'",
                   std::span<const Value>{}, {.name = "SYNC Origin"});
}

std::unique_ptr<Connection> open_sync_connection(const DatabaseConfig& config,
                                                 const std::string& role) {
  ConnectionIdentity identity;
  identity.connection_name = "switchyard_sync";
  identity.role = role;
  auto conn = open_connection(config, identity);
  if (conn->dialect() == sql::Dialect::sqlite3 && !config.replica())
    for (const auto& pragma : sqlite_pragmas(config))
      conn->execute(pragma, std::span<const Value>{}, {.name = "SYNC Setup"});
  return conn;
}

bool is_unavailable(const std::exception& e) {
  if (dynamic_cast<const ConnectionFailed*>(&e)) return true;
  if (dynamic_cast<const ConnectionNotEstablished*>(&e)) return true;
  if (auto* s = dynamic_cast<const StatementInvalid*>(&e)) {
    const auto& state = s->sqlstate();
    // Too many connections, shutting down, read-only standby promoted away, SQLite busy.
    return state == "53300" || state == "57P01" || state == "57P03" || state == "25006" ||
           state == "SQLITE_BUSY" || state == "SQLITE_LOCKED" || state == "40001" ||
           state == "40P01";
  }
  return false;
}

void report(const std::string& name, const TableSync& spec, const std::string& message) {
  instrument::emit(instrument::Event{
      name,
      {{"table", spec.table}, {"target", spec.target.name()}, {"error", message}}});
}

}  // namespace detail
}  // namespace switchyard::sync

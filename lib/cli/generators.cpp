#include "switchyard/cli/generators.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <set>

#include "switchyard/cli/command.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/migrate/migration.hpp"

namespace switchyard::cli::generators {
namespace {

using sql::Dialect;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool contains(const std::string& haystack, const char* needle) { return haystack.find(needle) != std::string::npos; }

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool valid_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

struct TypeInfo {
  const char* pg;
  const char* sqlite;
  const char* cpp;
};

const std::map<std::string, TypeInfo>& types() {
  static const std::map<std::string, TypeInfo> t = {
      {"string", {"character varying", "varchar", "std::string"}},
      {"text", {"text", "text", "std::string"}},
      {"integer", {"integer", "integer", "int"}},
      {"bigint", {"bigint", "bigint", "std::int64_t"}},
      {"float", {"double precision", "float", "double"}},
      {"double", {"double precision", "double", "double"}},
      {"decimal", {"numeric", "decimal", "double"}},
      {"numeric", {"numeric", "decimal", "double"}},
      {"boolean", {"boolean", "boolean", "bool"}},
      {"date", {"date", "date", "std::string"}},
      {"datetime", {"timestamp(6) without time zone", "datetime(6)", "switchyard::Timestamp"}},
      {"timestamp", {"timestamp(6) without time zone", "datetime(6)", "switchyard::Timestamp"}},
      {"json", {"json", "json", "nlohmann::json"}},
      {"jsonb", {"jsonb", "jsonb", "nlohmann::json"}},
      {"uuid", {"uuid", "varchar(36)", "std::string"}},
      {"references", {"bigint", "bigint", "std::int64_t"}},
      {"belongs_to", {"bigint", "bigint", "std::int64_t"}},
  };
  return t;
}

bool is_reference(const Attribute& a) { return a.type == "references" || a.type == "belongs_to"; }

std::string column_name(const Attribute& a) { return is_reference(a) ? a.name + "_id" : a.name; }

std::string q(const std::string& name) { return sql::quote_identifier(name); }

std::string index_sql(const std::string& table, const Attribute& a) {
  auto col = column_name(a);
  return std::string(a.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ") + q("index_" + table + "_on_" + col) +
         " ON " + q(table) + " (" + q(col) + ");\n";
}

std::string drop_index_sql(const std::string& table, const Attribute& a) {
  return "DROP INDEX " + q("index_" + table + "_on_" + column_name(a)) + ";\n";
}

// "add_breed_and_age_to_dogs" -> {"breed_and_age", "dogs"} for the separator "_to_".
std::optional<std::pair<std::string, std::string>> split_on(const std::string& rest, const std::string& sep) {
  auto pos = rest.rfind(sep);
  if (pos == std::string::npos || pos == 0 || pos + sep.size() >= rest.size()) return std::nullopt;
  return std::make_pair(rest.substr(0, pos), rest.substr(pos + sep.size()));
}

}  // namespace

std::vector<Attribute> parse_attributes(const std::vector<std::string>& specs) {
  std::vector<Attribute> out;
  std::set<std::string> seen;
  for (const auto& spec : specs) {
    Attribute a;
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
      auto colon = spec.find(':', start);
      parts.push_back(spec.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    a.name = parts[0];
    a.type = parts.size() > 1 && !parts[1].empty() ? parts[1] : "string";
    if (!a.type.empty() && a.type.back() == '!') {
      a.not_null = true;
      a.type.pop_back();
    }
    for (std::size_t i = 2; i < parts.size(); ++i) {
      if (parts[i] == "index") a.index = true;
      else if (parts[i] == "uniq" || parts[i] == "unique") a.index = a.unique = true;
      else throw UsageError("'" + spec + "': unknown modifier '" + parts[i] + "' (index, uniq)");
    }
    if (!valid_identifier(a.name)) throw UsageError("'" + spec + "': '" + a.name + "' is not a column name");
    if (a.name == "id" || a.name == "created_at" || a.name == "updated_at")
      throw UsageError("'" + spec + "': " + a.name + " is added by the generator");
    if (!types().count(a.type)) {
      std::string known;
      for (const auto& [k, v] : types()) known += (known.empty() ? "" : ", ") + k;
      throw UsageError("'" + spec + "': unknown type '" + a.type + "' (known: " + known + ")");
    }
    if (is_reference(a)) a.index = true;
    if (!seen.insert(column_name(a)).second) throw UsageError("'" + spec + "': column given twice");
    out.push_back(a);
  }
  return out;
}

std::string column_definition(const Attribute& a, Dialect dialect) {
  const auto& t = types().at(a.type);
  std::string out = q(column_name(a)) + " " + (dialect == Dialect::postgresql ? t.pg : t.sqlite);
  if (a.not_null || is_reference(a)) out += " NOT NULL";
  if (is_reference(a)) out += " REFERENCES " + q(pluralize(a.name)) + " (" + q("id") + ")";
  return out;
}

std::string create_table_sql(const std::string& table, const std::vector<Attribute>& attributes, Dialect dialect) {
  bool pg = dialect == Dialect::postgresql;
  const char* ts = pg ? "timestamp(6) without time zone" : "datetime(6)";
  std::string out = "CREATE TABLE " + q(table) + " (\n";
  out += pg ? "  \"id\" bigserial PRIMARY KEY" : "  \"id\" integer PRIMARY KEY AUTOINCREMENT NOT NULL";
  for (const auto& a : attributes) out += ",\n  " + column_definition(a, dialect);
  out += std::string(",\n  \"created_at\" ") + ts + " NOT NULL";
  out += std::string(",\n  \"updated_at\" ") + ts + " NOT NULL";
  out += "\n);\n";
  for (const auto& a : attributes)
    if (a.index) out += index_sql(table, a);
  return out;
}

MigrationBodies migration_bodies(const std::string& camel_name, const std::vector<Attribute>& attributes,
                                 Dialect dialect) {
  auto snake = migrate::underscore(camel_name);
  MigrationBodies b;
  auto starts = [&](const std::string& p) { return snake.rfind(p, 0) == 0 && snake.size() > p.size(); };
  if (starts("create_")) {
    auto table = snake.substr(7);
    b.up = create_table_sql(table, attributes, dialect);
    b.down = "DROP TABLE " + q(table) + ";\n";
    return b;
  }
  if (starts("drop_")) {
    auto table = snake.substr(5);
    b.up = "DROP TABLE " + q(table) + ";\n";
    b.down = attributes.empty() ? "-- Recreate " + table + " here: the generator was not told its columns.\n"
                                : create_table_sql(table, attributes, dialect);
    return b;
  }
  if (starts("add_")) {
    if (auto parts = split_on(snake.substr(4), "_to_"); parts && !attributes.empty()) {
      const auto& table = parts->second;
      for (const auto& a : attributes) {
        b.up += "ALTER TABLE " + q(table) + " ADD COLUMN " + column_definition(a, dialect) + ";\n";
        if (a.index) b.up += index_sql(table, a);
      }
      for (auto it = attributes.rbegin(); it != attributes.rend(); ++it) {
        if (it->index) b.down += drop_index_sql(table, *it);
        b.down += "ALTER TABLE " + q(table) + " DROP COLUMN " + q(column_name(*it)) + ";\n";
      }
      return b;
    }
  }
  if (starts("remove_")) {
    if (auto parts = split_on(snake.substr(7), "_from_"); parts && !attributes.empty()) {
      const auto& table = parts->second;
      for (const auto& a : attributes) {
        if (a.index) b.up += drop_index_sql(table, a);
        b.up += "ALTER TABLE " + q(table) + " DROP COLUMN " + q(column_name(a)) + ";\n";
      }
      for (auto it = attributes.rbegin(); it != attributes.rend(); ++it) {
        b.down += "ALTER TABLE " + q(table) + " ADD COLUMN " + column_definition(*it, dialect) + ";\n";
        if (it->index) b.down += index_sql(table, *it);
      }
      return b;
    }
  }
  b.up = "-- Write the " + camel_name + " migration here.\n";
  b.down = "-- Undo what the .up.sql file does, or delete this file to make the migration irreversible.\n";
  return b;
}

std::vector<Column> columns_from_attributes(const std::vector<Attribute>& attributes) {
  std::vector<Column> out;
  out.push_back({"id", "std::int64_t", false, true, ""});
  for (const auto& a : attributes)
    out.push_back({column_name(a), types().at(a.type).cpp, !(a.not_null || is_reference(a)), false, ""});
  out.push_back({"created_at", "switchyard::Timestamp", false, false, ""});
  out.push_back({"updated_at", "switchyard::Timestamp", false, false, ""});
  return out;
}

std::string cpp_type_for(const std::string& database_type, Dialect dialect) {
  auto t = lower(database_type);
  if (dialect == Dialect::postgresql) {
    if (t == "bigint") return "std::int64_t";
    if (t == "integer" || t == "smallint") return "int";
    if (t == "boolean") return "bool";
    if (t == "json" || t == "jsonb") return "nlohmann::json";
    if (contains(t, "timestamp")) return "switchyard::Timestamp";
    if (t == "double precision" || t == "real" || t == "numeric") return "double";
    if (t == "text" || contains(t, "character") || t == "uuid" || t == "date" || t == "citext") return "std::string";
    return "";
  }
  // SQLite: the declared type, with SQLite's affinity rules as the fallback.
  if (t == "bigint" || contains(t, "int8")) return "std::int64_t";
  if (contains(t, "bool")) return "bool";
  if (contains(t, "json")) return "nlohmann::json";
  if (contains(t, "datetime") || contains(t, "timestamp")) return "switchyard::Timestamp";
  if (contains(t, "int")) return "int";
  if (contains(t, "char") || contains(t, "clob") || contains(t, "text") || t == "date") return "std::string";
  if (contains(t, "real") || contains(t, "floa") || contains(t, "doub") || contains(t, "dec") || contains(t, "numeric"))
    return "double";
  return "";
}

std::vector<Column> read_columns(Connection& c, const std::string& table) {
  std::vector<Column> out;
  auto text = [](const Value& v) { return is_null(v) ? std::string() : to_text(v); };
  if (c.dialect() == Dialect::postgresql) {
    auto pk = c.execute(
        "SELECT kcu.column_name::text FROM information_schema.table_constraints tc JOIN "
        "information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND "
        "kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name WHERE tc.constraint_type = "
        "'PRIMARY KEY' AND tc.table_schema = current_schema() AND tc.table_name = $1",
        {Value{table}}, {.name = "SCHEMA"});
    std::set<std::string> keys;
    for (const auto& row : pk.rows) keys.insert(text(row[0]));
    auto r = c.execute(
        "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns WHERE "
        "table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        {Value{table}}, {.name = "SCHEMA"});
    for (const auto& row : r.rows) {
      Column col;
      col.name = text(row[0]);
      auto type = text(row[1]);
      col.cpp_type = cpp_type_for(type, Dialect::postgresql);
      if (col.cpp_type.empty()) {
        col.cpp_type = "std::string";
        col.comment = "unmapped database type: " + type;
      }
      col.primary_key = keys.count(col.name) > 0;
      col.nullable = text(row[2]) == "YES" && !col.primary_key;
      out.push_back(col);
    }
  } else {
    auto r = c.execute("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid", {Value{table}},
                       {.name = "SCHEMA"});
    for (const auto& row : r.rows) {
      Column col;
      col.name = text(row[0]);
      auto type = text(row[1]);
      col.primary_key = text(row[3]) != "0";
      col.cpp_type = cpp_type_for(type, Dialect::sqlite3);
      if (col.primary_key && lower(type) == "integer") col.cpp_type = "std::int64_t";  // the rowid
      if (col.cpp_type.empty()) {
        col.cpp_type = "std::string";
        col.comment = "unmapped database type: " + (type.empty() ? std::string("(none)") : type);
      }
      col.nullable = text(row[2]) == "0" && !col.primary_key;
      out.push_back(col);
    }
  }
  if (out.empty()) throw Error("table '" + table + "' does not exist in database '" + c.config().name() + "'");
  return out;
}

std::string render_model(const ModelSpec& spec) {
  std::set<std::string> includes = {"<switchyard/switchyard.hpp>"};
  bool optional = false;
  for (const auto& c : spec.columns) {
    if (c.nullable) optional = true;
    if (c.cpp_type == "std::string") includes.insert("<string>");
    if (c.cpp_type.rfind("std::int", 0) == 0) includes.insert("<cstdint>");
    if (c.cpp_type == "nlohmann::json") includes.insert("<nlohmann/json.hpp>");
  }
  if (optional) includes.insert("<optional>");
  std::string out = "// generated by switchyard: " + spec.command + "\n";
  out += "// Model of table \"" + spec.table + "\" in database \"" + spec.database +
         "\". Yours to edit: the generator never overwrites it without --force.\n";
  out += "#pragma once\n\n";
  for (const auto& inc : includes)
    if (inc != "<switchyard/switchyard.hpp>") out += "#include " + inc + "\n";
  out += "\n#include <switchyard/switchyard.hpp>\n\n";
  out += "#include \"" + spec.connection_header + "\"\n\n";
  out += "struct " + spec.class_name + " : switchyard::Model<" + spec.class_name + ", " + spec.connection_class + "> {\n";
  out += "  static constexpr auto table = \"" + spec.table + "\";\n";
  auto pk = std::find_if(spec.columns.begin(), spec.columns.end(), [](const Column& c) { return c.primary_key; });
  if (pk != spec.columns.end() && pk->name != "id") out += "  static constexpr auto primary_key = \"" + pk->name + "\";\n";
  out += "\n";
  for (const auto& c : spec.columns) {
    auto type = c.nullable ? "std::optional<" + c.cpp_type + ">" : c.cpp_type;
    out += "  " + type + " " + c.name + "{};";
    if (!c.comment.empty()) out += "  // " + c.comment;
    out += "\n";
  }
  out += "\n  static constexpr auto fields = switchyard::fields(";
  for (std::size_t i = 0; i < spec.columns.size(); ++i) {
    const auto& c = spec.columns[i];
    out += (i ? ",\n                                                 " : "") + std::string("&") + spec.class_name +
           "::" + c.name + ", \"" + c.name + "\"";
  }
  out += ");\n};\n";
  return out;
}

std::string render_connection_class(const std::string& class_name, const std::string& writing,
                                    const std::string& reading) {
  std::string out = "// generated by switchyard: the connection class of database \"" + writing + "\".\n";
  out += "// Models of that database derive from switchyard::Model<Model, " + class_name + ">.\n";
  out += "#pragma once\n\n#include <switchyard/switchyard.hpp>\n\n";
  out += "struct " + class_name + " : switchyard::Base<" + class_name + "> {\n";
  out += "  static inline const auto connection =\n      switchyard::connects_to({.writing = \"" + writing + "\"";
  if (!reading.empty()) out += ", .reading = \"" + reading + "\"";
  out += "});\n};\n";
  return out;
}

std::string pluralize(const std::string& w) {
  if (w.empty()) return w;
  if (ends_with(w, "s") || ends_with(w, "x") || ends_with(w, "z") || ends_with(w, "ch") || ends_with(w, "sh"))
    return w + "es";
  if (ends_with(w, "y") && w.size() > 1 && !std::strchr("aeiou", w[w.size() - 2])) return w.substr(0, w.size() - 1) + "ies";
  return w + "s";
}

std::string singularize(const std::string& w) {
  if (ends_with(w, "ies") && w.size() > 3) return w.substr(0, w.size() - 3) + "y";
  for (const char* tail : {"sses", "xes", "zes", "ches", "shes"})
    if (ends_with(w, tail)) return w.substr(0, w.size() - 2);
  if (ends_with(w, "ss")) return w;
  if (ends_with(w, "s") && w.size() > 1) return w.substr(0, w.size() - 1);
  return w;
}

std::string connection_class_name(const std::string& database) {
  return database == "primary" ? "ApplicationRecord" : migrate::camelize(database) + "Record";
}

}  // namespace switchyard::cli::generators

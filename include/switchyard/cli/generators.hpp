// Code generators behind `switchyard generate`: model headers in the model layer's style,
// migration pairs with the DDL the name implies, and models read back from a live table.
// See docs/generators.md.
#pragma once

#include <string>
#include <vector>

#include "switchyard/sql/dialect.hpp"

namespace switchyard {
class Connection;
}

namespace switchyard::cli::generators {

// One `name:type[:index|:uniq]` argument; a `!` after the type makes the column NOT NULL
// (`name:string!`). Types: string text integer bigint float double decimal numeric boolean
// date datetime timestamp json jsonb uuid references (belongs_to).
struct Attribute {
  std::string name{};
  std::string type{};
  bool not_null = false;
  bool index = false;
  bool unique = false;
};

// Throws cli::UsageError for an unknown type or a malformed argument.
std::vector<Attribute> parse_attributes(const std::vector<std::string>& specs);
// The column definition ("\"name\" character varying"); references become NAME_id.
std::string column_definition(const Attribute& a, sql::Dialect dialect);
// CREATE TABLE with id, the attributes, created_at / updated_at; plus CREATE INDEX lines.
std::string create_table_sql(const std::string& table, const std::vector<Attribute>& attributes,
                             sql::Dialect dialect);

struct MigrationBodies {
  std::string up{};
  std::string down{};
};
// From the migration's CamelCase name: CreateX, DropX, AddXToY, RemoveXFromY; anything else gets
// empty bodies with a comment.
MigrationBodies migration_bodies(const std::string& camel_name, const std::vector<Attribute>& attributes,
                                 sql::Dialect dialect);

// A member of a generated model.
struct Column {
  std::string name{};
  std::string cpp_type{};     // without std::optional
  bool nullable = false;      // rendered as std::optional<cpp_type>
  bool primary_key = false;
  std::string comment{};      // e.g. "unmapped database type: bytea"
};

std::vector<Column> columns_from_attributes(const std::vector<Attribute>& attributes);
// The columns of `table` as the database describes them (information_schema on PostgreSQL,
// PRAGMA table_info on SQLite). Throws Error when the table does not exist.
std::vector<Column> read_columns(Connection& connection, const std::string& table);
// The C++ type for a database type name (PostgreSQL data_type or an SQLite declared type).
std::string cpp_type_for(const std::string& database_type, sql::Dialect dialect);

struct ModelSpec {
  std::string class_name{};          // "Dog"
  std::string table{};               // "dogs"
  std::string database{};            // "animals"
  std::string connection_class{};    // "AnimalsRecord"
  std::string connection_header{};   // "animals_record.hpp"
  std::vector<Column> columns{};
  std::string command{};             // the command line, for the header comment
};
std::string render_model(const ModelSpec& spec);
// The abstract connection class of a database (Rails' AnimalsRecord), reading role optional.
std::string render_connection_class(const std::string& class_name, const std::string& writing,
                                    const std::string& reading);

// "dog" -> "dogs", "category" -> "categories", "box" -> "boxes"; and back.
std::string pluralize(const std::string& word);
std::string singularize(const std::string& word);
// "animals" -> "AnimalsRecord"; "primary" -> "ApplicationRecord".
std::string connection_class_name(const std::string& database);

}  // namespace switchyard::cli::generators

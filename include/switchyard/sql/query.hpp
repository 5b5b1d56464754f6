// The query tree the model layer builds, and its rendering per dialect.
//
// A query is plain data (Select, Insert, Update, Delete); `render` turns it into SQL text plus the
// values to bind. Identifiers are always quoted by the dialect and values are always bound as
// `$N`; raw fragments (`Raw`) are the only place SQL text from the caller appears, and their `?`
// placeholders are renumbered to `$N` in rendering order. The tree knows nothing about models or
// connections, so every shape can be tested as a string, for both dialects, without a server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "switchyard/sql/dialect.hpp"
#include "switchyard/value.hpp"

namespace switchyard::sql {

// A fragment of SQL written by the caller, with `?` placeholders for `binds` (in order). Rendered
// as given, wrapped in parentheses when it is a WHERE predicate.
struct Raw {
  std::string sql{};
  std::vector<Value> binds{};
};

// column <op> value. `op` is one of = <> < <= > >= LIKE (anything else throws at render time).
struct Comparison {
  std::string column{};
  std::string op = "=";
  Value value{};
};

// column IN (values...) / NOT IN. An empty list renders as a predicate that is false (true when
// negated), never as the invalid `IN ()`.
struct InList {
  std::string column{};
  std::vector<Value> values{};
  bool negated = false;
};

// column IS NULL / IS NOT NULL.
struct NullCheck {
  std::string column{};
  bool negated = false;
};

using Predicate = std::variant<Comparison, InList, NullCheck, Raw>;

// One item of a SELECT list or GROUP BY: a column (quoted) or a raw expression (as written).
struct Projection {
  std::string text{};
  bool raw = false;
};

struct OrderBy {
  std::string column{};  // a column (quoted), or a raw expression when `raw`
  bool descending = false;
  bool raw = false;
};

struct Select {
  std::string table{};
  std::vector<Projection> columns{};  // empty: *
  bool distinct = false;
  std::vector<Predicate> where{};     // joined with AND
  std::vector<Projection> group{};
  std::vector<OrderBy> order{};
  std::optional<std::int64_t> limit{};
  std::optional<std::int64_t> offset{};
  bool lock = false;  // FOR UPDATE on PostgreSQL; SQLite locks the whole database and has none
};

struct OnConflict {
  std::vector<std::string> columns{};  // the conflict target (usually the primary key)
  std::vector<std::string> update{};   // columns set from EXCLUDED; empty: DO NOTHING
};

struct Insert {
  std::string table{};
  std::vector<std::string> columns{};      // empty: DEFAULT VALUES (one row)
  std::vector<std::vector<Value>> rows{};  // each as long as `columns`
  std::optional<OnConflict> on_conflict{};
  std::vector<std::string> returning{};
};

struct Update {
  std::string table{};
  std::vector<std::pair<std::string, Value>> set{};
  std::vector<Raw> set_raw{};  // "age = age + ?" style assignments, after `set`
  std::vector<Predicate> where{};
  std::vector<std::string> returning{};
};

struct Delete {
  std::string table{};
  std::vector<Predicate> where{};
  std::vector<std::string> returning{};
};

// Rendered SQL: text with $1..$N, the values for them, and the column each value belongs to when
// known (empty otherwise), so logs can filter secrets by column name.
struct Statement {
  std::string sql{};
  std::vector<Value> binds{};
  std::vector<std::string> bind_names{};
};

Statement render(const Select& query, Dialect dialect);
Statement render(const Insert& query, Dialect dialect);
Statement render(const Update& query, Dialect dialect);
Statement render(const Delete& query, Dialect dialect);

// SELECT COUNT(*) for the rows `query` selects (ignoring its ORDER BY). With GROUP BY the result
// has the group columns then the count; with LIMIT/OFFSET/DISTINCT the query is counted as a
// subquery.
Statement render_count(const Select& query, Dialect dialect);
// SELECT 1 AS one ... LIMIT 1: whether `query` selects any row.
Statement render_exists(const Select& query, Dialect dialect);

// Whether `text` is a plain identifier optionally followed by ASC or DESC (case-insensitive), as
// in order("name DESC"); such orders are quoted and reversible. Returns the parsed term.
std::optional<OrderBy> parse_simple_order(std::string_view text);

// Replaces each `?` placeholder with $first, $first+1, ... (the lexer's
// rewrite_question_placeholders: strings, quoted identifiers, comments and dollar quotes are
// skipped); throws ArgumentError (Rails' "wrong number of bind variables (1 for 2) in: ...")
// unless there are exactly `count` of them.
std::string number_placeholders(std::string_view sql, int first, std::size_t count);
std::string number_placeholders(std::string_view sql, int first, std::size_t count, Dialect dialect);

}  // namespace switchyard::sql

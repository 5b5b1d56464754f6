// Rendering of the query tree (include/switchyard/sql/query.hpp) per dialect.
#include <algorithm>
#include <cctype>

#include "switchyard/errors.hpp"
#include "switchyard/sql/lexer.hpp"
#include "switchyard/sql/query.hpp"

namespace switchyard::sql {
namespace {

// Accumulates SQL text and binds, numbering placeholders as they are appended.
class Writer {
 public:
  explicit Writer(Dialect dialect) : dialect_(dialect) {}

  Writer& operator<<(std::string_view text) {
    out_.sql += text;
    return *this;
  }
  void identifier(std::string_view name) { out_.sql += quote_identifier(name); }
  void bind(Value value, std::string_view column) {
    out_.binds.push_back(std::move(value));
    out_.bind_names.emplace_back(column);
    out_.sql += placeholder(static_cast<int>(out_.binds.size()));
  }
  void raw(const Raw& raw) {
    const int first = static_cast<int>(out_.binds.size()) + 1;
    out_.sql += number_placeholders(raw.sql, first, raw.binds.size(), dialect_);
    for (const auto& v : raw.binds) {
      out_.binds.push_back(v);
      out_.bind_names.emplace_back();
    }
  }
  Dialect dialect() const noexcept { return dialect_; }
  Statement take() { return std::move(out_); }

 private:
  Dialect dialect_;
  Statement out_;
};

void check_op(const std::string& op) {
  static constexpr std::string_view ops[] = {"=", "<>", "!=", "<", "<=", ">", ">=", "LIKE", "NOT LIKE"};
  if (std::find(std::begin(ops), std::end(ops), op) == std::end(ops))
    throw ArgumentError("unsupported comparison operator '" + op + "'");
}

void predicate(Writer& w, const Predicate& p) {
  std::visit(
      [&](const auto& node) {
        using N = std::decay_t<decltype(node)>;
        if constexpr (std::is_same_v<N, Comparison>) {
          check_op(node.op);
          if (is_null(node.value)) {
            // `= NULL` is never true; say what was meant.
            if (node.op != "=" && node.op != "<>" && node.op != "!=")
              throw ArgumentError("cannot compare '" + node.column + "' " + node.op + " NULL");
            w.identifier(node.column);
            w << (node.op == "=" ? " IS NULL" : " IS NOT NULL");
            return;
          }
          w.identifier(node.column);
          w << " " << node.op << " ";
          w.bind(node.value, node.column);
        } else if constexpr (std::is_same_v<N, InList>) {
          if (node.values.empty()) {
            w << (node.negated ? "1=1" : "1=0");
            return;
          }
          w.identifier(node.column);
          w << (node.negated ? " NOT IN (" : " IN (");
          for (std::size_t i = 0; i < node.values.size(); ++i) {
            if (i) w << ", ";
            w.bind(node.values[i], node.column);
          }
          w << ")";
        } else if constexpr (std::is_same_v<N, NullCheck>) {
          w.identifier(node.column);
          w << (node.negated ? " IS NOT NULL" : " IS NULL");
        } else {
          w << "(";
          w.raw(node);
          w << ")";
        }
      },
      p);
}

void where_clause(Writer& w, const std::vector<Predicate>& where) {
  for (std::size_t i = 0; i < where.size(); ++i) {
    w << (i == 0 ? " WHERE " : " AND ");
    predicate(w, where[i]);
  }
}

void projection(Writer& w, const Projection& p) {
  if (p.raw)
    w << p.text;
  else
    w.identifier(p.text);
}

void projections(Writer& w, const std::vector<Projection>& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) w << ", ";
    projection(w, list[i]);
  }
}

void returning(Writer& w, const std::vector<std::string>& columns) {
  if (columns.empty()) return;
  w << " RETURNING ";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) w << ", ";
    w.identifier(columns[i]);
  }
}

void limit_offset(Writer& w, const Select& q) {
  if (q.limit) w << " LIMIT " << std::to_string(*q.limit);
  if (q.offset) {
    // SQLite's grammar has OFFSET only as part of LIMIT; -1 means no limit.
    if (!q.limit && w.dialect() == Dialect::sqlite3) w << " LIMIT -1";
    w << " OFFSET " << std::to_string(*q.offset);
  }
}

// FROM ... WHERE ... GROUP BY ... (no ORDER/LIMIT).
void from_where_group(Writer& w, const Select& q) {
  w << " FROM ";
  w.identifier(q.table);
  where_clause(w, q.where);
  if (!q.group.empty()) {
    w << " GROUP BY ";
    projections(w, q.group);
  }
}

void select_body(Writer& w, const Select& q, bool with_order) {
  w << (q.distinct ? "SELECT DISTINCT " : "SELECT ");
  if (q.columns.empty())
    w << "*";
  else
    projections(w, q.columns);
  from_where_group(w, q);
  if (with_order && !q.order.empty()) {
    w << " ORDER BY ";
    for (std::size_t i = 0; i < q.order.size(); ++i) {
      if (i) w << ", ";
      if (q.order[i].raw)
        w << q.order[i].column;
      else
        w.identifier(q.order[i].column);
      if (q.order[i].descending) w << " DESC";
      else if (!q.order[i].raw) w << " ASC";
    }
  }
  limit_offset(w, q);
}

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Statement render(const Select& query, Dialect dialect) {
  Writer w(dialect);
  select_body(w, query, true);
  if (query.lock && dialect == Dialect::postgresql) w << " FOR UPDATE";
  return w.take();
}

Statement render_count(const Select& query, Dialect dialect) {
  Writer w(dialect);
  if (query.limit || query.offset || query.distinct) {
    w << "SELECT COUNT(*) FROM (";
    Select inner = query;
    inner.order.clear();
    if (!inner.distinct) inner.columns = {{"1 AS one", true}};
    select_body(w, inner, false);
    w << ") subquery";
    return w.take();
  }
  w << "SELECT ";
  if (!query.group.empty()) {
    projections(w, query.group);
    w << ", ";
  }
  w << "COUNT(*)";
  from_where_group(w, query);
  return w.take();
}

Statement render_exists(const Select& query, Dialect dialect) {
  Writer w(dialect);
  Select q = query;
  q.columns = {{"1 AS one", true}};
  q.distinct = false;
  q.order.clear();
  q.limit = 1;
  select_body(w, q, false);
  return w.take();
}

Statement render(const Insert& query, Dialect dialect) {
  Writer w(dialect);
  w << "INSERT INTO ";
  w.identifier(query.table);
  if (query.columns.empty()) {
    w << " DEFAULT VALUES";
  } else {
    w << " (";
    for (std::size_t i = 0; i < query.columns.size(); ++i) {
      if (i) w << ", ";
      w.identifier(query.columns[i]);
    }
    w << ") VALUES ";
    if (query.rows.empty()) throw ArgumentError("INSERT into '" + query.table + "' without rows");
    for (std::size_t r = 0; r < query.rows.size(); ++r) {
      const auto& row = query.rows[r];
      if (row.size() != query.columns.size())
        throw ArgumentError("INSERT into '" + query.table + "': row " + std::to_string(r) + " has " +
                            std::to_string(row.size()) + " values for " +
                            std::to_string(query.columns.size()) + " columns");
      w << (r ? ", (" : "(");
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (i) w << ", ";
        w.bind(row[i], query.columns[i]);
      }
      w << ")";
    }
  }
  if (query.on_conflict) {
    w << " ON CONFLICT (";
    for (std::size_t i = 0; i < query.on_conflict->columns.size(); ++i) {
      if (i) w << ", ";
      w.identifier(query.on_conflict->columns[i]);
    }
    w << ")";
    if (query.on_conflict->update.empty()) {
      w << " DO NOTHING";
    } else {
      w << " DO UPDATE SET ";
      for (std::size_t i = 0; i < query.on_conflict->update.size(); ++i) {
        if (i) w << ", ";
        w.identifier(query.on_conflict->update[i]);
        w << " = excluded.";
        w.identifier(query.on_conflict->update[i]);
      }
    }
  }
  returning(w, query.returning);
  return w.take();
}

Statement render(const Update& query, Dialect dialect) {
  if (query.set.empty() && query.set_raw.empty())
    throw ArgumentError("UPDATE of '" + query.table + "' without assignments");
  Writer w(dialect);
  w << "UPDATE ";
  w.identifier(query.table);
  w << " SET ";
  bool first = true;
  for (const auto& [column, value] : query.set) {
    if (!first) w << ", ";
    first = false;
    w.identifier(column);
    w << " = ";
    w.bind(value, column);
  }
  for (const auto& raw : query.set_raw) {
    if (!first) w << ", ";
    first = false;
    w.raw(raw);
  }
  where_clause(w, query.where);
  returning(w, query.returning);
  return w.take();
}

Statement render(const Delete& query, Dialect dialect) {
  Writer w(dialect);
  w << "DELETE FROM ";
  w.identifier(query.table);
  where_clause(w, query.where);
  returning(w, query.returning);
  return w.take();
}

std::optional<OrderBy> parse_simple_order(std::string_view text) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  };
  text = trim(text);
  std::size_t i = 0;
  while (i < text.size() && ident_char(text[i])) ++i;
  if (i == 0 || std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  OrderBy out{std::string(text.substr(0, i)), false, false};
  std::string_view rest = trim(text.substr(i));
  if (rest.empty() || iequals(rest, "ASC")) return out;
  if (iequals(rest, "DESC")) {
    out.descending = true;
    return out;
  }
  return std::nullopt;
}

namespace {
std::string checked(std::string rewritten, int found, std::string_view sql, std::size_t count) {
  if (static_cast<std::size_t>(found) != count)
    throw ArgumentError("wrong number of bind variables (" + std::to_string(count) + " for " +
                        std::to_string(found) + ") in: " + std::string(sql));
  return rewritten;
}
}  // namespace

std::string number_placeholders(std::string_view sql, int first, std::size_t count) {
  int found = 0;
  std::string out = rewrite_question_placeholders(sql, first, found);
  return checked(std::move(out), found, sql, count);
}

std::string number_placeholders(std::string_view sql, int first, std::size_t count,
                                Dialect dialect) {
  int found = 0;
  std::string out = rewrite_question_placeholders(sql, first, found, dialect);
  return checked(std::move(out), found, sql, count);
}

}  // namespace switchyard::sql

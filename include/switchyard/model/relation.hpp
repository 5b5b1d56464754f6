// Relation<T>: a query of model T, built by chaining and run when loaded (Rails' Relation).
//
//   Dog::where("age > ?", 2).order("name").limit(10).all();          // std::vector<Dog>
//   Dog::where(&Dog::name, "Rex").first();                           // std::optional<Dog>
//   Dog::where(&Dog::age, std::vector<int>{3, 4}).count();            // IN (...)
//   Dog::where({{"name", "Rex"}}).exists();                          // column names, checked at run time
//   Dog::query().pluck(&Dog::name);                                  // std::vector<std::string>
//
// Each call returns a new Relation; nothing is sent until a loading method runs (all, first,
// count, pluck, ...). Every statement goes through switchyard::execute on the connection the
// model's class uses at that moment (so a Relation built outside connected_to and loaded inside
// it reads where the scope says). The member-pointer forms are checked at compile time: a member
// of another class or a value of the wrong type does not compile.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "switchyard/context/connection_handling.hpp"
#include "switchyard/model/errors.hpp"
#include "switchyard/model/model_info.hpp"
#include "switchyard/sql/fragment.hpp"
#include "switchyard/sql/query.hpp"

namespace switchyard {

enum class Direction { asc, desc };

// A strict order of Values (NULL first, then by type, then by value), for maps keyed by Value.
struct ValueLess {
  bool operator()(const Value& a, const Value& b) const {
    if (a.index() != b.index()) return a.index() < b.index();
    if (is_null(a)) return false;
    return std::visit(
        [&](const auto& x) {
          using X = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<X, std::nullptr_t>)
            return false;
          else
            return x < std::get<X>(b);
        },
        a);
  }
};
inline constexpr Direction asc = Direction::asc;
inline constexpr Direction desc = Direction::desc;

namespace detail {

struct RecordAccess {
  template <typename T>
  static RecordState& state(T& record) {
    return static_cast<typename T::model_base&>(record).sy_state_;
  }
  template <typename T>
  static const RecordState& state(const T& record) {
    return static_cast<const typename T::model_base&>(record).sy_state_;
  }
};

// The dialect of the database `klass` uses now, without checking out a connection.
sql::Dialect current_dialect(const ConnectionClass& klass);
// Runs a rendered statement for `klass` through switchyard::execute.
Result run(const ConnectionClass& klass, const sql::Statement& statement, std::string_view name,
           bool prepare = false);
[[noreturn]] void not_found(const ModelInfo& info, const Value& id);
[[noreturn]] void not_found(const ModelInfo& info);
[[noreturn]] void unknown_attribute(const ModelInfo& info, std::string_view column);

template <typename T>
void mark_loaded(T& record) {
  auto& state = RecordAccess::state(record);
  state.persisted = true;
  state.destroyed = false;
  state.snapshot = values_of(record);
}

template <typename T>
std::vector<T> records_from(const Result& result) {
  const auto mapping = column_mapping<T>(result);
  std::vector<T> out;
  out.reserve(result.rows.size());
  for (const auto& row : result.rows) {
    T record{};
    assign_row(record, row, mapping);
    mark_loaded(record);
    out.push_back(std::move(record));
  }
  return out;
}

template <typename V>
inline constexpr bool is_value_list_v = false;
template <typename V, typename A>
inline constexpr bool is_value_list_v<std::vector<V, A>> = true;

// A query value for a field of type M: converted to M first, so the value is exactly what the
// field would store (and a wrong type does not compile).
template <typename M, typename V>
Value field_value(const V& value) {
  if constexpr (std::is_same_v<V, std::nullopt_t> || std::is_same_v<V, std::nullptr_t>) {
    static_assert(is_optional_v<M>, "NULL compared with a field that is not std::optional");
    return nullptr;
  } else {
    static_assert(std::is_convertible_v<const V&, M>,
                  "query value type does not match the field's type");
    return field_traits<M>::to_value(static_cast<M>(value));
  }
}

// A JSON value for the column at `index`: checked by the field's own JSON conversion.
template <typename T>
Value json_field_value(std::size_t index, const nlohmann::json& j) {
  Value out;
  with_field<T>(index, [&](const auto& field) {
    using M = typename std::decay_t<decltype(field)>::member_type;
    try {
      out = field_traits<M>::to_value(field_traits<M>::from_json(j));
    } catch (const TypeMismatch& e) {
      mismatch_in(model_info<T>().name, field.column, e);
    }
  });
  return out;
}

}  // namespace detail

template <typename T>
class Relation {
 public:
  Relation() { query_.table = info().table; }

  // ---- Building -------------------------------------------------------------------------

  // SQL with `?` placeholders, one value per `?` (any field type, string literals, nullopt).
  template <typename... Args>
  Relation where(std::string_view sql, const Args&... values) const {
    sql::check_fragment(sql, "where");
    sql::Raw raw{std::string(sql), {to_bind_value(values)...}};
    sql::number_placeholders(raw.sql, 1, raw.binds.size());  // throws now on a count mismatch
    return with([&](sql::Select& q) { q.where.push_back(std::move(raw)); });
  }
  // field = value; field IS NULL for std::nullopt; field IN (...) for a std::vector of values.
  template <typename C, typename M, typename V>
  Relation where(M C::*member, const V& value) const {
    return with([&](sql::Select& q) { q.where.push_back(predicate(member, value, false)); });
  }
  // field <op> value with op one of = <> < <= > >= LIKE.
  template <typename C, typename M, typename V>
  Relation where(M C::*member, std::string_view op, const V& value) const {
    const std::string& column = detail::column_of<T>(member);
    return with([&](sql::Select& q) {
      q.where.push_back(sql::Comparison{column, std::string(op), detail::field_value<M>(value)});
    });
  }
  // Columns by name: where({{"name", "Rex"}, {"age", nullptr}, {"id", {1, 2}}}). Unknown columns
  // throw UnknownAttributeError; values are checked against the field types at run time.
  Relation where(nlohmann::json::initializer_list_t conditions) const {
    return where_json(nlohmann::json(conditions), false);
  }
  template <typename J>
    requires std::same_as<J, nlohmann::json>
  Relation where(const J& conditions) const {
    return where_json(conditions, false);
  }
  template <typename C, typename M, typename V>
  Relation where_not(M C::*member, const V& value) const {
    return with([&](sql::Select& q) { q.where.push_back(predicate(member, value, true)); });
  }
  Relation where_not(nlohmann::json::initializer_list_t conditions) const {
    return where_json(nlohmann::json(conditions), true);
  }
  template <typename J>
    requires std::same_as<J, nlohmann::json>
  Relation where_not(const J& conditions) const {
    return where_json(conditions, true);
  }

  // primary key = id
  Relation where_primary_key(const Value& id) const {
    return with([&](sql::Select& q) { q.where.push_back(sql::Comparison{info().primary_key, "=", id}); });
  }

  // order("name"), order("name DESC") (quoted), or one SQL expression (kept as written; see
  // sql::check_fragment for what is refused).
  Relation order(std::string_view text) const {
    auto simple = sql::parse_simple_order(text);
    if (!simple) sql::check_fragment(text, "order");
    return with([&](sql::Select& q) {
      q.order.push_back(simple ? *simple : sql::OrderBy{std::string(text), false, true});
    });
  }
  template <typename C, typename M>
  Relation order(M C::*member, Direction direction = Direction::asc) const {
    const std::string& column = detail::column_of<T>(member);
    return with([&](sql::Select& q) {
      q.order.push_back(sql::OrderBy{column, direction == Direction::desc, false});
    });
  }
  // Replaces the ordering.
  template <typename... A>
  Relation reorder(const A&... args) const {
    Relation r = *this;
    r.query_.order.clear();
    return r.order(args...);
  }
  Relation limit(std::int64_t n) const {
    return with([&](sql::Select& q) { q.limit = n; });
  }
  Relation offset(std::int64_t n) const {
    return with([&](sql::Select& q) { q.offset = n; });
  }
  // Columns to load: member pointers (quoted) or strings (a column name is quoted, anything
  // else is an SQL expression). Fields not selected keep their default values.
  template <typename... P>
  Relation select(const P&... columns) const {
    return with([&](sql::Select& q) { (q.columns.push_back(projection(columns, "select")), ...); });
  }
  template <typename... P>
  Relation group(const P&... columns) const {
    return with([&](sql::Select& q) { (q.group.push_back(projection(columns, "group")), ...); });
  }
  Relation distinct(bool on = true) const {
    return with([&](sql::Select& q) { q.distinct = on; });
  }
  // SELECT ... FOR UPDATE (PostgreSQL; SQLite has no row locks and ignores it).
  Relation lock(bool on = true) const {
    return with([&](sql::Select& q) { q.lock = on; });
  }

  // ---- Loading --------------------------------------------------------------------------

  std::vector<T> all() const {
    return detail::records_from<T>(run(render(loading_query(query_)), info().load_event));
  }
  std::vector<T> load() const { return all(); }

  // First by the relation's order, else by primary key.
  std::optional<T> first() const {
    sql::Select q = loading_query(query_);
    if (q.order.empty()) q.order.push_back(sql::OrderBy{info().primary_key, false, false});
    q.limit = 1;
    return one(q);
  }
  // Last: the relation's order reversed (primary key descending when unordered).
  std::optional<T> last() const {
    sql::Select q = loading_query(query_);
    if (q.order.empty()) {
      q.order.push_back(sql::OrderBy{info().primary_key, true, false});
    } else {
      for (auto& o : q.order) {
        if (o.raw)
          throw IrreversibleOrderError("Order \"" + o.column +
                                       "\" cannot be reversed automatically");
        o.descending = !o.descending;
      }
    }
    q.limit = 1;
    return one(q);
  }
  // Any one row, in no particular order.
  std::optional<T> take() const {
    sql::Select q = loading_query(query_);
    q.limit = 1;
    return one(q);
  }
  T first_or_throw() const {
    if (auto r = first()) return std::move(*r);
    detail::not_found(info());
  }

  template <typename Id>
  T find(const Id& id) const {
    const Value key = to_bind_value(id);
    sql::Select q = loading_query(query_);
    q.where.push_back(sql::Comparison{info().primary_key, "=", key});
    q.limit = 1;
    if (auto r = one(q)) return std::move(*r);
    detail::not_found(info(), key);
  }
  template <typename... A>
  std::optional<T> find_by(const A&... conditions) const {
    return where(conditions...).take();
  }
  std::optional<T> find_by(nlohmann::json::initializer_list_t conditions) const {
    return where(conditions).take();
  }

  std::int64_t count() const {
    if (!query_.group.empty())
      throw ArgumentError("count() on a grouped relation: use grouped_count()");
    Result r = run(sql::render_count(query_, dialect()), info().count_event);
    return r.empty() ? 0 : std::get<std::int64_t>(r.rows[0][0]);
  }
  // GROUP BY one column: value -> number of rows.
  std::map<Value, std::int64_t, ValueLess> grouped_count() const {
    if (query_.group.size() != 1)
      throw ArgumentError("grouped_count() needs exactly one group() column");
    Result r = run(sql::render_count(query_, dialect()), info().count_event);
    std::map<Value, std::int64_t, ValueLess> out;
    for (const auto& row : r.rows) out[row[0]] = std::get<std::int64_t>(row[1]);
    return out;
  }
  bool exists() const {
    return !run(sql::render_exists(query_, dialect()), info().exists_event).empty();
  }
  bool empty() const { return !exists(); }

  // One member: std::vector<M>. Several: std::vector<std::tuple<M...>>.
  template <typename C, typename M, typename... More>
  auto pluck(M C::*member, More... more) const {
    sql::Select q = query_;
    q.columns = {projection(member, "pluck"), projection(more, "pluck")...};
    Result r = run(render(q), info().pluck_event);
    if constexpr (sizeof...(More) == 0) {
      std::vector<M> out;
      out.reserve(r.rows.size());
      for (const auto& row : r.rows) out.push_back(convert<M>(member, row[0]));
      return out;
    } else {
      std::vector<std::tuple<M, member_t<More>...>> out;
      out.reserve(r.rows.size());
      for (const auto& row : r.rows) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
          out.push_back(std::tuple<M, member_t<More>...>{
              convert<M>(member, row[0]), convert<member_t<More>>(more, row[I + 1])...});
        }(std::index_sequence_for<More...>{});
      }
      return out;
    }
  }
  // Columns or SQL expressions by name: one Value per row (several: a row of Values).
  std::vector<Value> pluck(std::string_view expression) const {
    sql::Select q = query_;
    q.columns = {projection(expression, "pluck")};
    Result r = run(render(q), info().pluck_event);
    std::vector<Value> out;
    out.reserve(r.rows.size());
    for (auto& row : r.rows) out.push_back(std::move(row[0]));
    return out;
  }
  // The primary key values.
  std::vector<Value> ids() const { return pluck(info().primary_key); }

  // Loads in batches ordered by primary key (the relation's own order is replaced; its limit
  // caps the total), so memory stays bounded and concurrent inserts are not skipped twice.
  template <typename Fn>
  void find_in_batches(Fn&& fn, std::size_t batch_size = 1000) const {
    if (batch_size == 0) throw ArgumentError("batch size must be positive");
    std::optional<std::int64_t> remaining = query_.limit;
    std::optional<Value> last_key;
    const auto& pk = info().primary_key;
    while (!remaining || *remaining > 0) {
      sql::Select q = loading_query(query_);
      q.order = {sql::OrderBy{pk, false, false}};
      q.offset.reset();
      const auto size = static_cast<std::int64_t>(batch_size);
      q.limit = remaining ? std::min(*remaining, size) : size;
      if (last_key) q.where.push_back(sql::Comparison{pk, ">", *last_key});
      std::vector<T> batch = detail::records_from<T>(run(render(q), info().load_event));
      if (batch.empty()) break;
      if (remaining) *remaining -= static_cast<std::int64_t>(batch.size());
      last_key = detail::value_at(batch.back(), info().primary_key_index);
      const bool more = static_cast<std::int64_t>(batch.size()) == *q.limit;
      fn(batch);
      if (!more) break;
    }
  }
  template <typename Fn>
  void find_each(Fn&& fn, std::size_t batch_size = 1000) const {
    find_in_batches([&](std::vector<T>& batch) {
      for (auto& record : batch) fn(record);
    }, batch_size);
  }

  // ---- Bulk writes (no callbacks, no validations, one statement) -------------------------

  // update_all({{"age", 5}}): columns by name, values checked against the field types.
  std::int64_t update_all(nlohmann::json::initializer_list_t assignments) const {
    return update_all(nlohmann::json(assignments));
  }
  template <typename J>
    requires std::same_as<J, nlohmann::json>
  std::int64_t update_all(const J& assignments) const {
    sql::Update u = bulk_update();
    if (!assignments.is_object() || assignments.empty())
      throw ArgumentError("update_all needs an object of column: value");
    for (const auto& [column, value] : assignments.items()) {
      auto index = info().index_of(column);
      if (!index) detail::unknown_attribute(info(), column);
      u.set.emplace_back(column, detail::json_field_value<T>(*index, value));
    }
    return run(sql::render(u, dialect()), info().update_all_event).affected_rows;
  }
  // update_all("age = age + ?", 1): SQL assignments as written.
  template <typename... Args>
  std::int64_t update_all(std::string_view assignments, const Args&... values) const {
    sql::check_fragment(assignments, "update_all");
    sql::Update u = bulk_update();
    u.set_raw.push_back(sql::Raw{std::string(assignments), {to_bind_value(values)...}});
    return run(sql::render(u, dialect()), info().update_all_event).affected_rows;
  }
  std::int64_t delete_all() const {
    if (query_.limit || query_.offset)
      throw ArgumentError("delete_all does not support limit or offset");
    sql::Delete d{query_.table, query_.where, {}};
    return run(sql::render(d, dialect()), info().delete_all_event).affected_rows;
  }
  // Loads each record and destroys it (callbacks run); returns how many were destroyed.
  std::size_t destroy_all() const {
    std::size_t n = 0;
    for (auto& record : all())
      if (record.destroy()) ++n;
    return n;
  }

  // ---- Introspection ----------------------------------------------------------------------

  const sql::Select& ast() const noexcept { return query_; }
  // The SELECT this relation loads with, rendered for `dialect`.
  sql::Statement to_sql(sql::Dialect dialect) const {
    return sql::render(loading_query(query_), dialect);
  }

 private:
  template <typename P>
  using member_t = typename detail::member_pointer_parts<P>::member_type;

  static const ModelInfo& info() { return detail::model_info<T>(); }
  static const ConnectionClass& klass() { return T::connection_class(); }
  static sql::Dialect dialect() { return detail::current_dialect(klass()); }
  static sql::Statement render(const sql::Select& q) { return sql::render(q, dialect()); }
  static Result run(const sql::Statement& st, std::string_view name) {
    return detail::run(klass(), st, name);
  }

  // Without an explicit select, every field column is listed (never *), so rows map to fields.
  static sql::Select loading_query(const sql::Select& q) {
    if (!q.columns.empty()) return q;
    sql::Select out = q;
    out.columns.reserve(info().columns.size());
    for (const auto& c : info().columns) out.columns.push_back(sql::Projection{c, false});
    return out;
  }

  std::optional<T> one(const sql::Select& q) const {
    auto records = detail::records_from<T>(run(render(q), info().load_event));
    if (records.empty()) return std::nullopt;
    return std::move(records.front());
  }

  template <typename Fn>
  Relation with(Fn&& fn) const {
    Relation r = *this;
    fn(r.query_);
    return r;
  }

  Relation where_json(const nlohmann::json& conditions, bool negated) const {
    return with([&](sql::Select& q) { add_json_conditions(q.where, conditions, negated); });
  }

  template <typename C, typename M, typename V>
  static sql::Predicate predicate(M C::*member, const V& value, bool negated) {
    static_assert(std::is_base_of_v<C, T>, "where: a member of another class");
    const std::string& column = detail::column_of<T>(member);
    if constexpr (detail::is_value_list_v<V>) {
      std::vector<Value> values;
      values.reserve(value.size());
      for (const auto& v : value) values.push_back(detail::field_value<M>(v));
      return sql::InList{column, std::move(values), negated};
    } else {
      return sql::Comparison{column, negated ? "<>" : "=", detail::field_value<M>(value)};
    }
  }

  static void add_json_conditions(std::vector<sql::Predicate>& where, const nlohmann::json& c,
                                  bool negated) {
    if (!c.is_object()) throw ArgumentError("where: expected an object of column: value");
    for (const auto& [column, value] : c.items()) {
      auto index = info().index_of(column);
      if (!index) detail::unknown_attribute(info(), column);
      if (value.is_array()) {
        std::vector<Value> values;
        for (const auto& v : value) values.push_back(detail::json_field_value<T>(*index, v));
        where.push_back(sql::InList{column, std::move(values), negated});
      } else if (value.is_null()) {
        where.push_back(sql::NullCheck{column, negated});
      } else {
        where.push_back(sql::Comparison{column, negated ? "<>" : "=",
                                        detail::json_field_value<T>(*index, value)});
      }
    }
  }

  template <typename P>
  static sql::Projection projection(const P& column, std::string_view method) {
    if constexpr (std::is_member_object_pointer_v<P>) {
      static_assert(std::is_base_of_v<typename detail::member_pointer_parts<P>::class_type, T>,
                    "a member of another class");
      (void)method;
      return sql::Projection{detail::column_of<T>(column), false};
    } else {
      const std::string_view text = column;
      const bool plain = sql::parse_simple_order(text).has_value() &&
                         text.find_first_of(" \t\n") == std::string_view::npos;
      if (!plain) sql::check_fragment(text, method);
      return sql::Projection{std::string(text), !plain};
    }
  }

  template <typename M, typename P>
  static M convert(P member, const Value& v) {
    try {
      return field_traits<M>::from_value(v);
    } catch (const TypeMismatch& e) {
      detail::mismatch_in(info().name, detail::column_of<T>(member), e);
    }
  }

  sql::Update bulk_update() const {
    if (query_.limit || query_.offset)
      throw ArgumentError("update_all does not support limit or offset");
    return sql::Update{query_.table, {}, {}, query_.where, {}};
  }

  sql::Select query_;
};

}  // namespace switchyard

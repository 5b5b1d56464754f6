// sy::Model<T, Parent>: a model class with typed fields, persistence, queries, validations,
// callbacks and transactions (ActiveRecord::Base for a concrete class).
//
//   struct Dog : sy::Model<Dog, AnimalsRecord> {
//     static constexpr auto table = "dogs";                 // default: tableize(class name)
//     std::int64_t id = 0;
//     std::string name;
//     std::optional<int> age{};
//     static constexpr auto fields = sy::fields(&Dog::id, "id", &Dog::name, "name", &Dog::age, "age");
//   };
//   auto rex = Dog::create({.name = "Rex", .age = 3});
//
// T stays an aggregate (designated initializers work): Model<T> has no constructors and keeps
// its per-record state (persisted flag, loaded values for dirty tracking, errors) in one member
// with a default initializer. Parent is the connection class (an sy::Base<...>); the model uses
// its pools. Optional declarations in T, all detected at compile time:
//   table, primary_key ("id"), class_name (for messages and event names),
//   static void validations(sy::Validations<T>&), static void callbacks(sy::Callbacks<T>&),
//   static void on_persist(T&, const sy::PersistContext&)   (see persist.hpp).
// See docs/models.md.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "switchyard/model/base.hpp"
#include "switchyard/model/callbacks.hpp"
#include "switchyard/model/errors.hpp"
#include "switchyard/model/model_info.hpp"
#include "switchyard/model/persist.hpp"
#include "switchyard/model/relation.hpp"
#include "switchyard/model/transaction.hpp"
#include "switchyard/model/validations.hpp"

namespace switchyard {

namespace detail {
std::string validation_failed_message(const Errors& errors);
Timestamp now_timestamp();

template <typename M>
void set_now(M& field, Timestamp now) {
  using Inner = unwrap_optional_t<M>;
  if constexpr (is_timestamp_v<Inner>)
    field = std::chrono::time_point_cast<typename Inner::duration>(now);
}
template <typename M>
bool timestamp_unset(const M& field) {
  if constexpr (is_optional_v<M>)
    return !field.has_value();
  else if constexpr (is_timestamp_v<M>)
    return field.time_since_epoch().count() == 0;
  else
    return false;
}
}  // namespace detail

template <typename T, typename Parent = Record>
class Model {
 public:
  using model_base = Model<T, Parent>;
  using connection_class_type = Parent;

  // ---- The class ------------------------------------------------------------------------

  // The connection class the model uses: its Parent's (Rails' connection_class_for_self).
  static const ConnectionClass& connection_class() {
    static_assert(!requires { T::connection; },
                  "`connects_to` can only be called on ActiveRecord::Base or abstract classes "
                  "(declare it on an sy::Base<...> class and derive the model from that)");
    return Parent::connection_class();
  }
  static const ModelInfo& model_info() { return detail::model_info<T>(); }
  static const std::string& model_name() { return model_info().name; }
  static const std::string& table_name() { return model_info().table; }
  static const std::string& primary_key_name() { return model_info().primary_key; }

  // Rails forbids switching on a concrete model; so does the compiler.
  template <typename... A>
  static void connected_to(const ConnectedToOptions&, A&&...) {
    static_assert(detail::dependent_false<A...>,
                  "calling `connected_to` is only allowed on ActiveRecord::Base or abstract "
                  "classes (use the model's connection class)");
  }

  static Lease lease_connection() { return switchyard::lease_connection(connection_class()); }
  static std::string current_role() { return switchyard::current_role(connection_class()); }
  static std::string current_shard() { return switchyard::current_shard(connection_class()); }

  // A transaction on the model's current connection (see transaction.hpp).
  template <typename Fn>
  static auto transaction(Fn&& fn, TransactionOptions options = {}) {
    return switchyard::transaction(connection_class(), std::forward<Fn>(fn), options);
  }

  // ---- Queries (each starts a Relation<T>; see relation.hpp) --------------------------------

  static Relation<T> query() { return Relation<T>(); }
  template <typename... A>
  static Relation<T> where(const A&... a) { return query().where(a...); }
  static Relation<T> where(nlohmann::json::initializer_list_t c) { return query().where(c); }
  template <typename... A>
  static Relation<T> where_not(const A&... a) { return query().where_not(a...); }
  static Relation<T> where_not(nlohmann::json::initializer_list_t c) { return query().where_not(c); }
  template <typename... A>
  static Relation<T> order(const A&... a) { return query().order(a...); }
  static Relation<T> limit(std::int64_t n) { return query().limit(n); }
  static Relation<T> offset(std::int64_t n) { return query().offset(n); }
  template <typename... A>
  static Relation<T> select(const A&... a) { return query().select(a...); }
  template <typename... A>
  static Relation<T> group(const A&... a) { return query().group(a...); }
  static Relation<T> distinct() { return query().distinct(); }
  static Relation<T> lock() { return query().lock(); }

  static std::vector<T> all() { return query().all(); }
  static std::optional<T> first() { return query().first(); }
  static std::optional<T> last() { return query().last(); }
  static std::optional<T> take() { return query().take(); }
  // Throws RecordNotFound: "Couldn't find Dog with 'id'=5".
  template <typename Id>
  static T find(const Id& id) {
    const Value key = to_bind_value(id);
    const auto& klass = connection_class();
    Result result;
    if (is_null(key)) {  // renders IS NULL
      result = detail::run(klass, sql::render(find_query(key), detail::current_dialect(klass)),
                           model_info().load_event, true);
    } else {
      // The hot path: one prepared statement per pooled connection, its text rendered once per
      // dialect (only the key changes), and the dialect asked for only if the texts differ.
      const auto& shapes = find_statements();
      const bool pg = shapes.same || detail::current_dialect(klass) == sql::Dialect::postgresql;
      const sql::Statement& st = pg ? shapes.postgresql : shapes.sqlite3;
      result = switchyard::execute(klass, st.sql, std::span<const Value>(&key, 1),
                                   ExecOptions{.name = model_info().load_event,
                                               .bind_names = st.bind_names,
                                               .route_reason = {},
                                               .prepare = true});
    }
    auto records = detail::records_from<T>(std::move(result));
    if (records.empty()) detail::not_found(model_info(), key);
    return std::move(records.front());
  }
  template <typename... A>
  static std::optional<T> find_by(const A&... a) { return query().find_by(a...); }
  static std::optional<T> find_by(nlohmann::json::initializer_list_t c) { return query().find_by(c); }
  // Records from raw SQL (`?` or $N placeholders); columns map to fields by name.
  template <typename... A>
  static std::vector<T> find_by_sql(std::string_view sql, const A&... values) {
    const std::vector<Value> binds{to_bind_value(values)...};
    const sql::Statement st{detail::number_raw_placeholders(sql, binds.size()), binds, {}};
    return detail::records_from<T>(detail::run(connection_class(), st, model_info().load_event));
  }
  static std::int64_t count() { return query().count(); }
  static bool exists() { return query().exists(); }
  template <typename Id>
  static bool exists(const Id& id) { return query().where_primary_key(to_bind_value(id)).exists(); }
  template <typename... A>
  static auto pluck(const A&... a) { return query().pluck(a...); }
  static std::vector<Value> ids() { return query().ids(); }
  template <typename Fn>
  static void find_each(Fn&& fn, std::size_t batch_size = 1000) {
    query().find_each(std::forward<Fn>(fn), batch_size);
  }
  template <typename Fn>
  static void find_in_batches(Fn&& fn, std::size_t batch_size = 1000) {
    query().find_in_batches(std::forward<Fn>(fn), batch_size);
  }
  template <typename... A>
  static std::int64_t update_all(const A&... a) { return query().update_all(a...); }
  static std::int64_t update_all(nlohmann::json::initializer_list_t a) { return query().update_all(a); }
  static std::int64_t delete_all() { return query().delete_all(); }
  static std::size_t destroy_all() { return query().destroy_all(); }

  // ---- Creating ---------------------------------------------------------------------------

  // Saves `record` (validations and callbacks run) and returns it persisted; throws
  // RecordInvalid / RecordNotSaved like Rails' create!.
  static T create(T record) {
    record.save_or_throw();
    return record;
  }
  // A new (unsaved) record from JSON attributes; unknown keys throw UnknownAttributeError.
  static T from_attributes(const nlohmann::json& attributes) {
    T record{};
    record.assign_attributes(attributes);
    return record;
  }

  // ---- The record -------------------------------------------------------------------------

  bool persisted() const noexcept { return sy_state_.persisted; }
  bool new_record() const noexcept { return !sy_state_.persisted && !sy_state_.destroyed; }
  bool destroyed() const noexcept { return sy_state_.destroyed; }
  const Errors& errors() const noexcept { return sy_state_.errors; }
  Errors& errors() noexcept { return sy_state_.errors; }

  Value primary_key_value() const {
    return detail::value_at(self(), model_info().primary_key_index);
  }

  // Dirty tracking against the values last loaded or saved.
  bool changed() const { return !changed_indexes().empty(); }
  std::vector<std::string> changed_columns() const {
    std::vector<std::string> out;
    for (auto i : changed_indexes()) out.push_back(model_info().columns[i]);
    return out;
  }
  template <typename C, typename M>
  bool attribute_changed(M C::*member) const {
    const auto index = detail::field_index<T>(member);
    if (!index) detail::unknown_member(model_name());
    for (auto i : changed_indexes())
      if (i == *index) return true;
    return false;
  }
  // The value a field had when last loaded or saved (nullopt for a new record).
  std::optional<Value> attribute_was(std::string_view column) const {
    auto index = model_info().index_of(column);
    if (!index) detail::unknown_attribute(model_info(), column);
    if (sy_state_.snapshot.empty()) return std::nullopt;
    return sy_state_.snapshot[*index];
  }

  // Runs the validations (and the validation callbacks); errors() holds the result.
  bool valid() {
    T& record = self();
    auto& state = sy_state_;
    state.errors.clear();
    const auto& cb = callback_registry();
    if (!cb.run(CallbackKind::before_validation, record)) return false;
    validation_registry().run(record, state.errors);
    cb.run(CallbackKind::after_validation, record);
    return state.errors.empty();
  }
  bool invalid() { return !valid(); }

  // INSERT for a new record, UPDATE of the changed columns for a persisted one. False when
  // invalid (see errors()) or halted by a before_* callback.
  bool save() { return save_record(false); }
  // Like save, but throws RecordInvalid / RecordNotSaved (Rails' save!).
  void save_or_throw() { save_record(true); }

  // Assigns then saves: update({{"age", 4}}), update(json), or update([](Dog& d) { d.age = 4; }).
  bool update(nlohmann::json::initializer_list_t attributes) {
    return update(nlohmann::json(attributes));
  }
  template <typename A>
  bool update(const A& change) {
    apply(change);
    return save();
  }
  void update_or_throw(nlohmann::json::initializer_list_t attributes) {
    update_or_throw(nlohmann::json(attributes));
  }
  template <typename A>
  void update_or_throw(const A& change) {
    apply(change);
    save_or_throw();
  }

  // DELETE by primary key, with the destroy callbacks. False when a before_destroy halted.
  bool destroy() {
    if (!sy_state_.persisted) {
      sy_state_.destroyed = true;
      return true;
    }
    return write(callback_registry().has_transactional() || has_on_persist(),
                 [&](Connection& c, const ConnectionClass& k) { return delete_record(c, k); });
  }
  void destroy_or_throw() {
    if (!destroy())
      throw RecordNotDestroyed("Failed to destroy " + model_name() + " with " + primary_key_name() +
                               "=" + to_text(primary_key_value()));
  }

  // Reads the record again by primary key; every field is replaced. Throws RecordNotFound.
  T& reload() {
    const auto& info = model_info();
    const Value key = sy_state_.snapshot.empty() ? primary_key_value()
                                                 : sy_state_.snapshot[info.primary_key_index];
    T fresh = T::find(key);
    detail::for_each_field<T>([&](auto, const auto& field) {
      self().*field.pointer = std::move(fresh.*field.pointer);
    });
    sy_state_.persisted = true;
    sy_state_.destroyed = false;
    sy_state_.snapshot = std::move(detail::RecordAccess::state(fresh).snapshot);
    sy_state_.errors.clear();
    return self();
  }

  // INSERT of every column ... ON CONFLICT (primary key) DO UPDATE SET every other column: the
  // idempotent write of this record's current values, for a copy kept in another database (the
  // sync layer sends it on that database's connection). Not sent here; no callbacks.
  sql::Statement upsert_statement(sql::Dialect dialect) const {
    const auto& info = model_info();
    sql::Insert insert;
    insert.table = info.table;
    insert.columns = info.columns;
    insert.rows.push_back(detail::values_of(self()));
    sql::OnConflict conflict;
    conflict.columns = {info.primary_key};
    for (const auto& c : info.columns)
      if (c != info.primary_key) conflict.update.push_back(c);
    insert.on_conflict = std::move(conflict);
    return sql::render(insert, dialect);
  }

  // {"id": 1, "name": "Rex", "age": null, ...}: every field by column name, as JSON.
  nlohmann::json attributes() const {
    nlohmann::json out = nlohmann::json::object();
    detail::for_each_field<T>([&](auto, const auto& field) {
      using M = typename std::decay_t<decltype(field)>::member_type;
      out[field.column] = field_traits<M>::to_json(self().*field.pointer);
    });
    return out;
  }
  // Sets the fields named in `attributes` (keys are column names); the record is not saved.
  // Throws UnknownAttributeError for a key that is no field, TypeMismatch for a wrong type.
  void assign_attributes(const nlohmann::json& attributes) {
    if (!attributes.is_object())
      throw ArgumentError("assign_attributes: expected a JSON object, got " +
                          std::string(attributes.type_name()));
    const auto& info = model_info();
    for (auto it = attributes.begin(); it != attributes.end(); ++it) {
      const std::string& column = it.key();
      const nlohmann::json& value = it.value();
      auto index = info.index_of(column);
      if (!index) detail::unknown_attribute(info, column);
      detail::with_field<T>(*index, [&](const auto& field) {
        using M = typename std::decay_t<decltype(field)>::member_type;
        try {
          self().*field.pointer = field_traits<M>::from_json(value);
        } catch (const TypeMismatch& e) {
          detail::mismatch_in(info.name, field.column, e);
        } catch (const nlohmann::json::exception& e) {
          detail::mismatch_in(info.name, field.column, e);
        }
      });
    }
  }

 private:
  // find's SELECT for `key`: every column, WHERE primary key = key, LIMIT 1.
  static sql::Select find_query(const Value& key) {
    sql::Select q;
    q.table = table_name();
    for (const auto& c : model_info().columns) q.columns.push_back(sql::Projection{c, false});
    q.where.push_back(sql::Comparison{primary_key_name(), "=", key});
    q.limit = 1;
    return q;
  }
  struct FindStatements {
    sql::Statement postgresql, sqlite3;
    bool same = false;  // one text for both dialects: no need to ask which one is current
  };
  static const FindStatements& find_statements() {
    static const FindStatements shapes = [] {
      const Value any_key = std::int64_t{0};  // rendered as a placeholder, never inline
      FindStatements s{sql::render(find_query(any_key), sql::Dialect::postgresql),
                       sql::render(find_query(any_key), sql::Dialect::sqlite3)};
      s.same = s.postgresql.sql == s.sqlite3.sql;
      return s;
    }();
    return shapes;
  }

  friend struct detail::RecordAccess;

  T& self() noexcept { return static_cast<T&>(*this); }
  const T& self() const noexcept { return static_cast<const T&>(*this); }

  static const Callbacks<T>& callback_registry() {
    static const Callbacks<T> registry = [] {
      Callbacks<T> c;
      if constexpr (requires(Callbacks<T>& on) { T::callbacks(on); }) T::callbacks(c);
      return c;
    }();
    return registry;
  }
  static const Validations<T>& validation_registry() {
    static const Validations<T> registry = [] {
      Validations<T> v;
      if constexpr (requires(Validations<T>& on) { T::validations(on); }) T::validations(v);
      return v;
    }();
    return registry;
  }
  static constexpr bool has_on_persist() {
    return requires(T& record, const PersistContext& context) { T::on_persist(record, context); };
  }

  template <typename A>
  void apply(const A& change) {
    if constexpr (std::is_invocable_v<const A&, T&>)
      change(self());
    else
      assign_attributes(change);
  }

  std::vector<std::size_t> changed_indexes() const {
    std::vector<std::size_t> out;
    const auto values = detail::values_of(self());
    const auto& snapshot = sy_state_.snapshot;
    for (std::size_t i = 0; i < values.size(); ++i)
      if (snapshot.size() != values.size() || values[i] != snapshot[i]) out.push_back(i);
    return out;
  }

  bool save_record(bool raise) {
    if (sy_state_.destroyed) throw Error("cannot save a destroyed " + model_name());
    if (!valid()) {
      if (!raise) return false;
      if (sy_state_.errors.empty()) throw RecordNotSaved("Failed to save the record");
      std::vector<std::string> messages = sy_state_.errors.full_messages();
      throw RecordInvalid(detail::validation_failed_message(sy_state_.errors), std::move(messages));
    }
    const bool creating = !sy_state_.persisted;
    const bool ok = write(callback_registry().has_transactional() || has_on_persist(),
                          [&](Connection& c, const ConnectionClass& k) {
                            return creating ? insert_record(c, k) : update_record(c, k);
                          });
    if (!ok && raise) throw RecordNotSaved("Failed to save the record");
    return ok;
  }

  // Runs `body` on the model's current connection, pinned for its duration; opens a transaction
  // for it when `transactional` and none is open. `body` returning false (halted) rolls that
  // transaction back.
  template <typename Body>
  bool write(bool transactional, Body&& body) {
    const ConnectionClass& klass = connection_class();
    Lease lease = switchyard::lease_connection(klass);
    Connection& connection = *lease;
    if (!transactional || connection.transaction_depth() > 0) return body(connection, klass);
    connection.begin_transaction();
    bool ok = false;
    try {
      ok = body(connection, klass);
    } catch (...) {
      detail::rollback_quietly(connection);
      throw;
    }
    if (ok)
      connection.commit_transaction();
    else
      connection.rollback_transaction();
    return ok;
  }

  void persisted_hook(Persist kind, const ConnectionClass& klass, Connection& connection,
                      const std::vector<std::string>& columns) {
    if constexpr (has_on_persist())
      T::on_persist(self(), PersistContext{kind, klass, connection, columns});
  }

  // after_commit / after_rollback for this write, on a copy of the record as written. Each
  // callback is registered on its own, so one that throws does not stop the next.
  void register_commit_callbacks(Connection& connection, On on) {
    const auto& cb = callback_registry();
    auto commits = cb.matching(CallbackKind::after_commit, on);
    auto rollbacks = cb.matching(CallbackKind::after_rollback, on);
    if (commits.empty() && rollbacks.empty()) return;
    auto copy = std::make_shared<T>(self());
    const std::size_t n = std::max(commits.size(), rollbacks.size());
    for (std::size_t i = 0; i < n; ++i) {
      std::function<void()> commit, rollback;
      if (i < commits.size()) commit = [copy, fn = commits[i]] { fn(*copy); };
      if (i < rollbacks.size()) rollback = [copy, fn = rollbacks[i]] { fn(*copy); };
      connection.add_transaction_callbacks(std::move(commit), std::move(rollback));
    }
  }

  bool insert_record(Connection& connection, const ConnectionClass& klass) {
    T& record = self();
    const auto& cb = callback_registry();
    if (!cb.run(CallbackKind::before_save, record) || !cb.run(CallbackKind::before_create, record))
      return false;
    const auto& info = model_info();
    const auto now = detail::now_timestamp();
    detail::for_each_field<T>([&](auto i, const auto& field) {
      auto& value = record.*field.pointer;
      // Rails: a timestamp given by the caller is kept (a copied record keeps its own).
      if ((info.created_at == i || info.updated_at == i) && detail::timestamp_unset(value))
        detail::set_now(value, now);
    });
    const auto values = detail::values_of(record);
    sql::Insert insert;
    insert.table = info.table;
    insert.rows.emplace_back();
    for (std::size_t i = 0; i < values.size(); ++i) {
      const bool generated_key =
          i == info.primary_key_index && info.primary_key_integral &&
          (is_null(values[i]) || values[i] == Value{std::int64_t{0}});
      if (generated_key) continue;
      insert.columns.push_back(info.columns[i]);
      insert.rows.front().push_back(values[i]);
    }
    insert.returning = info.columns;
    Result result = detail::run(klass, sql::render(insert, connection.dialect()), info.create_event, true);
    if (!result.empty()) detail::assign_row(record, result.rows.front(), detail::column_mapping<T>(result));
    detail::mark_loaded(record);
    persisted_hook(Persist::create, klass, connection, insert.columns);
    cb.run(CallbackKind::after_create, record);
    cb.run(CallbackKind::after_save, record);
    register_commit_callbacks(connection, On::create);
    return true;
  }

  bool update_record(Connection& connection, const ConnectionClass& klass) {
    T& record = self();
    const auto& cb = callback_registry();
    if (!cb.run(CallbackKind::before_save, record) || !cb.run(CallbackKind::before_update, record))
      return false;
    const auto& info = model_info();
    auto changed = changed_indexes();
    if (changed.empty()) {
      // Nothing to write: no statement, no commit callbacks (Rails runs only the save ones).
      cb.run(CallbackKind::after_update, record);
      cb.run(CallbackKind::after_save, record);
      return true;
    }
    if (info.updated_at && std::find(changed.begin(), changed.end(), *info.updated_at) == changed.end()) {
      detail::with_field<T>(*info.updated_at, [&](const auto& field) {
        detail::set_now(record.*field.pointer, detail::now_timestamp());
      });
      changed.push_back(*info.updated_at);
    }
    const Value key = sy_state_.snapshot.empty() ? primary_key_value()
                                                 : sy_state_.snapshot[info.primary_key_index];
    sql::Update update;
    update.table = info.table;
    std::vector<std::string> columns;
    for (auto i : changed) {
      update.set.emplace_back(info.columns[i], detail::value_at(record, i));
      columns.push_back(info.columns[i]);
    }
    update.where.push_back(sql::Comparison{info.primary_key, "=", key});
    detail::run(klass, sql::render(update, connection.dialect()), info.update_event, true);
    sy_state_.snapshot = detail::values_of(record);
    persisted_hook(Persist::update, klass, connection, columns);
    cb.run(CallbackKind::after_update, record);
    cb.run(CallbackKind::after_save, record);
    register_commit_callbacks(connection, On::update);
    return true;
  }

  bool delete_record(Connection& connection, const ConnectionClass& klass) {
    T& record = self();
    const auto& cb = callback_registry();
    if (!cb.run(CallbackKind::before_destroy, record)) return false;
    const auto& info = model_info();
    const Value key = sy_state_.snapshot.empty() ? primary_key_value()
                                                 : sy_state_.snapshot[info.primary_key_index];
    sql::Delete del;
    del.table = info.table;
    del.where.push_back(sql::Comparison{info.primary_key, "=", key});
    detail::run(klass, sql::render(del, connection.dialect()), info.destroy_event, true);
    sy_state_.persisted = false;
    sy_state_.destroyed = true;
    persisted_hook(Persist::destroy, klass, connection, {});
    cb.run(CallbackKind::after_destroy, record);
    register_commit_callbacks(connection, On::destroy);
    return true;
  }

  RecordState sy_state_{};
};

// A model's attributes as JSON (ADL: nlohmann::json j = dog; dog = j.get<Dog>()).
template <typename T>
concept ModelType = requires { typename T::model_base; } && std::is_base_of_v<typename T::model_base, T>;

template <ModelType T>
void to_json(nlohmann::json& j, const T& record) {
  j = record.attributes();
}
template <ModelType T>
void from_json(const nlohmann::json& j, T& record) {
  record.assign_attributes(j);
}

}  // namespace switchyard

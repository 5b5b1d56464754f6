// Lifecycle callbacks, declared once per model in a static member function:
//
//   static void callbacks(sy::Callbacks<Dog>& on) {
//     on.before_save(&Dog::normalize_name);              // member function, or any callable (Dog&)
//     on.after_commit(&Dog::announce, sy::On::create);   // only after a create commits
//     on.after_rollback([](Dog& d) { ... });
//   }
//
// Order of a save: before_validation, validations, after_validation, [transaction opens]
// before_save, before_create | before_update, INSERT | UPDATE, on_persist hook, after_create |
// after_update, after_save, [commit] after_commit. destroy: before_destroy, DELETE, on_persist,
// after_destroy, [commit] after_commit. Callbacks of one kind run in declaration order.
//
// A before_* callback that returns false halts: nothing is written, save() returns false and
// save_or_throw() throws RecordNotSaved. Callbacks returning void never halt. after_commit and
// after_rollback run after the outermost COMMIT / the ROLLBACK of the record's connection, on a
// copy of the record as it was written; an exception from them is reported through
// instrumentation ("callback.error") and never undoes the commit.
#pragma once

#include <array>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

namespace switchyard {

// Which writes an after_commit / after_rollback callback is for.
enum class On : unsigned { create = 1, update = 2, destroy = 4, save = 3, all = 7 };
constexpr On operator|(On a, On b) {
  return static_cast<On>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr bool includes(On set, On one) {
  return (static_cast<unsigned>(set) & static_cast<unsigned>(one)) != 0;
}

enum class CallbackKind {
  before_validation,
  after_validation,
  before_save,
  after_save,
  before_create,
  after_create,
  before_update,
  after_update,
  before_destroy,
  after_destroy,
  after_commit,
  after_rollback,
};
inline constexpr std::size_t kCallbackKinds = 12;

template <typename T>
class Callbacks {
 public:
  using Fn = std::function<bool(T&)>;

  template <typename F> Callbacks& before_validation(F f) { return add(CallbackKind::before_validation, std::move(f)); }
  template <typename F> Callbacks& after_validation(F f) { return add(CallbackKind::after_validation, std::move(f)); }
  template <typename F> Callbacks& before_save(F f) { return add(CallbackKind::before_save, std::move(f)); }
  template <typename F> Callbacks& after_save(F f) { return add(CallbackKind::after_save, std::move(f)); }
  template <typename F> Callbacks& before_create(F f) { return add(CallbackKind::before_create, std::move(f)); }
  template <typename F> Callbacks& after_create(F f) { return add(CallbackKind::after_create, std::move(f)); }
  template <typename F> Callbacks& before_update(F f) { return add(CallbackKind::before_update, std::move(f)); }
  template <typename F> Callbacks& after_update(F f) { return add(CallbackKind::after_update, std::move(f)); }
  template <typename F> Callbacks& before_destroy(F f) { return add(CallbackKind::before_destroy, std::move(f)); }
  template <typename F> Callbacks& after_destroy(F f) { return add(CallbackKind::after_destroy, std::move(f)); }
  template <typename F> Callbacks& after_commit(F f, On on = On::all) { return add(CallbackKind::after_commit, std::move(f), on); }
  template <typename F> Callbacks& after_rollback(F f, On on = On::all) { return add(CallbackKind::after_rollback, std::move(f), on); }
  // Rails' shorthands.
  template <typename F> Callbacks& after_create_commit(F f) { return after_commit(std::move(f), On::create); }
  template <typename F> Callbacks& after_update_commit(F f) { return after_commit(std::move(f), On::update); }
  template <typename F> Callbacks& after_destroy_commit(F f) { return after_commit(std::move(f), On::destroy); }
  template <typename F> Callbacks& after_save_commit(F f) { return after_commit(std::move(f), On::save); }

  // Runs the callbacks of `kind` that apply to `on`; false as soon as one halts.
  bool run(CallbackKind kind, T& record, On on = On::all) const {
    for (const auto& e : entries_[index(kind)])
      if (includes(e.on, on) && !e.fn(record)) return false;
    return true;
  }
  // The callbacks of `kind` that apply to `on`, in declaration order.
  std::vector<Fn> matching(CallbackKind kind, On on) const {
    std::vector<Fn> out;
    for (const auto& e : entries_[index(kind)])
      if (includes(e.on, on)) out.push_back(e.fn);
    return out;
  }
  bool has(CallbackKind kind, On on = On::all) const {
    for (const auto& e : entries_[index(kind)])
      if (includes(e.on, on)) return true;
    return false;
  }
  // Whether any callback runs between BEGIN and COMMIT of a write (then writes open a transaction).
  bool has_transactional() const {
    for (std::size_t k = static_cast<std::size_t>(CallbackKind::before_save);
         k <= static_cast<std::size_t>(CallbackKind::after_destroy); ++k)
      if (!entries_[k].empty()) return true;
    return false;
  }

 private:
  struct Entry {
    Fn fn;
    On on;
  };
  static constexpr std::size_t index(CallbackKind k) { return static_cast<std::size_t>(k); }

  template <typename F>
  Callbacks& add(CallbackKind kind, F f, On on = On::all) {
    entries_[index(kind)].push_back(Entry{wrap(std::move(f)), on});
    return *this;
  }
  template <typename F>
  static Fn wrap(F f) {
    using R = std::invoke_result_t<F&, T&>;
    if constexpr (std::is_same_v<R, bool>) {
      return [f = std::move(f)](T& record) mutable { return std::invoke(f, record); };
    } else {
      return [f = std::move(f)](T& record) mutable {
        std::invoke(f, record);
        return true;
      };
    }
  }

  std::array<std::vector<Entry>, kCallbackKinds> entries_{};
};

}  // namespace switchyard

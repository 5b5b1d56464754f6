// Test support in the spirit of Rails' `exactly_query_databases` matcher (seed 003): record which
// (database, role) pairs a block of code sent statements to, from the instrumentation, and assert
// that it touched exactly the expected ones.
//
//   #include <switchyard/instrument/test_helpers.hpp>
//   CHECK(sy::test::touched_exactly({{"animals_replica", "reading"}}, [&] {
//     sy::connected_to({.role = sy::reading}, [&] { sy::execute(animals, "SELECT 1", {}); });
//   }));
//
// On failure doctest prints "expected to touch exactly {animals_replica: [reading]}, but touched
// {animals: [writing]}". Header-only; works with any test framework (the result converts to bool
// and prints with operator<<).
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "switchyard/instrument/notifications.hpp"

namespace switchyard::test {

// One statement as the instrumentation saw it.
struct QueryRecord {
  std::string sql;
  std::string name;
  std::string database;  // config name
  std::string role;
  std::string shard;
  std::string node;
  std::string sqlstate;  // empty on success
  std::thread::id thread;
};

// database -> roles, like the matcher's { primary: [:writing, :reading] }.
using Touches = std::map<std::string, std::set<std::string>>;

inline Touches to_touches(const std::vector<std::pair<std::string, std::string>>& pairs) {
  Touches out;
  for (const auto& [database, role] : pairs) out[database].insert(role);
  return out;
}

inline std::string describe(const Touches& touches) {
  std::ostringstream out;
  out << '{';
  bool first_db = true;
  for (const auto& [database, roles] : touches) {
    out << (first_db ? "" : ", ") << database << ": [";
    bool first = true;
    for (const auto& role : roles) out << (first ? "" : ", ") << role, first = false;
    out << ']';
    first_db = false;
  }
  out << '}';
  return out.str();
}

// Records every statement sent while it lives: from every thread, or (current_thread_only) only
// from the thread that created it.
class QueryRecorder {
 public:
  explicit QueryRecorder(bool current_thread_only = false)
      : state_(std::make_shared<State>(std::this_thread::get_id(), current_thread_only)),
        subscription_(instrument::SqlSubscriber([state = state_](const instrument::SqlEvent& e) {
          // `state` is shared: an emit already under way on another thread when the recorder
          // goes away still finds it alive.
          if (state->only_owner && std::this_thread::get_id() != state->owner) return;
          std::lock_guard lock(state->mutex);
          state->records.push_back(QueryRecord{std::string(e.sql), std::string(e.name),
                                               std::string(e.database), std::string(e.role),
                                               std::string(e.shard), std::string(e.node),
                                               std::string(e.sqlstate), std::this_thread::get_id()});
        })) {}
  QueryRecorder(const QueryRecorder&) = delete;
  QueryRecorder& operator=(const QueryRecorder&) = delete;

  std::vector<QueryRecord> queries() const {
    std::lock_guard lock(state_->mutex);
    return state_->records;
  }
  Touches touched() const {
    Touches out;
    for (const auto& r : queries()) out[r.database].insert(r.role);
    return out;
  }
  // Whether a statement with exactly this text was sent (to any database).
  bool sent(std::string_view sql) const {
    auto all = queries();
    return std::any_of(all.begin(), all.end(), [&](const QueryRecord& r) { return r.sql == sql; });
  }
  // Whether any statement containing `fragment` was sent.
  bool sent_containing(std::string_view fragment) const {
    auto all = queries();
    return std::any_of(all.begin(), all.end(), [&](const QueryRecord& r) {
      return r.sql.find(fragment) != std::string::npos;
    });
  }
  std::size_t size() const { return queries().size(); }
  void clear() {
    std::lock_guard lock(state_->mutex);
    state_->records.clear();
  }

 private:
  struct State {
    State(std::thread::id o, bool only) : owner(o), only_owner(only) {}
    std::thread::id owner;
    bool only_owner;
    std::mutex mutex;
    std::vector<QueryRecord> records;
  };
  std::shared_ptr<State> state_;
  instrument::Subscription subscription_;
};

// The outcome of touched_exactly: converts to bool; prints the difference.
struct TouchResult {
  Touches expected;
  Touches actual;
  explicit operator bool() const { return expected == actual; }
  std::string message() const {
    return "expected to touch exactly " + describe(expected) + ", but touched " + describe(actual);
  }
};
inline std::ostream& operator<<(std::ostream& out, const TouchResult& r) { return out << r.message(); }

// Runs `fn` (statements from this thread only) and compares what it touched with `expected`.
template <typename Fn>
Touches touched_by(Fn&& fn) {
  QueryRecorder recorder(/*current_thread_only=*/true);
  std::forward<Fn>(fn)();
  return recorder.touched();
}

template <typename Fn>
TouchResult touched_exactly(const std::vector<std::pair<std::string, std::string>>& expected,
                            Fn&& fn) {
  return TouchResult{to_touches(expected), touched_by(std::forward<Fn>(fn))};
}

}  // namespace switchyard::test

#ifdef DOCTEST_VERSION
// CHECK_TOUCHED_EXACTLY({{"animals", "reading"}}, [&] { ... });
#define CHECK_TOUCHED_EXACTLY(...) CHECK(::switchyard::test::touched_exactly(__VA_ARGS__))
#define REQUIRE_TOUCHED_EXACTLY(...) REQUIRE(::switchyard::test::touched_exactly(__VA_ARGS__))
#endif

// Carrying a connected-to scope into another thread or a task queue.
//
// The connected-to stack is per thread, so work handed to another thread starts with no scope at
// all: a job enqueued inside `connected_to({.role = reading})` would write to the primary. Rails
// has no answer for this; switchyard captures the scope explicitly:
//
//   auto job = sy::bind_context([id] { return Dog::find(id); });   // captures the scope now
//   pool.submit(job);                                               // runs under it, anywhere
//
// A snapshot holds the thread's frames, its shard-swapping flag and its read-your-writes WAL
// tokens. Applying it replaces the running thread's state for the duration and restores it after.
// Frames point at connection classes, which must outlive the snapshot (they are normally static).
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "switchyard/context/connection_handling.hpp"
#include "switchyard/context/wal_position.hpp"

namespace switchyard {

struct ContextSnapshot {
  std::vector<ConnectedToFrame> frames{};
  bool shard_swapping_prohibited = false;
  WalTokens wal_tokens{};
};

// A copy of this thread's scope state.
ContextSnapshot capture_context();

// Installs `snapshot` as this thread's whole scope state; restores the previous state when
// destroyed (also by exception). Thread-bound like every scope.
class ContextScope {
 public:
  explicit ContextScope(const ContextSnapshot& snapshot);
  ~ContextScope();
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  ContextSnapshot previous_;
};

template <typename Fn>
decltype(auto) with_context(const ContextSnapshot& snapshot, Fn&& fn) {
  ContextScope scope(snapshot);
  return detail::run_in_scope(std::forward<Fn>(fn));
}

// A callable that runs `fn(args...)` under the scope captured now, on whichever thread calls it,
// as often as it is called. Copyable when `fn` is (so it fits std::function and task queues).
template <typename Fn>
auto bind_context(Fn fn) {
  return [snapshot = capture_context(), fn = std::move(fn)](auto&&... args) mutable -> decltype(auto) {
    ContextScope scope(snapshot);
    return std::invoke(fn, std::forward<decltype(args)>(args)...);
  };
}

// The same with an explicit snapshot (for a queue that stores snapshots next to tasks).
template <typename Fn>
auto bind_context(ContextSnapshot snapshot, Fn fn) {
  return [snapshot = std::move(snapshot), fn = std::move(fn)](auto&&... args) mutable -> decltype(auto) {
    ContextScope scope(snapshot);
    return std::invoke(fn, std::forward<decltype(args)>(args)...);
  };
}

}  // namespace switchyard

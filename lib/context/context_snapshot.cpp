#include "switchyard/context/context_snapshot.hpp"

#include "thread_state.hpp"

namespace switchyard {

ContextSnapshot capture_context() {
  return ContextSnapshot{detail::thread_stack(), detail::thread_shard_swapping_prohibited(),
                         detail::thread_wal_tokens()};
}

ContextScope::ContextScope(const ContextSnapshot& snapshot) : previous_(capture_context()) {
  detail::thread_stack() = snapshot.frames;
  detail::thread_shard_swapping_prohibited() = snapshot.shard_swapping_prohibited;
  detail::thread_wal_tokens() = snapshot.wal_tokens;
}

ContextScope::~ContextScope() {
  detail::thread_stack() = std::move(previous_.frames);
  detail::thread_shard_swapping_prohibited() = previous_.shard_swapping_prohibited;
  detail::thread_wal_tokens() = std::move(previous_.wal_tokens);
}

}  // namespace switchyard

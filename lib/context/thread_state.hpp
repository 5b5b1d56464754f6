// Internal: the per-thread scope state, for the context layer's own translation units.
#pragma once

#include <vector>

#include "switchyard/context/connection_handling.hpp"
#include "switchyard/context/wal_position.hpp"

namespace switchyard::detail {

std::vector<ConnectedToFrame>& thread_stack();
bool& thread_shard_swapping_prohibited();
WalTokens& thread_wal_tokens();

}  // namespace switchyard::detail

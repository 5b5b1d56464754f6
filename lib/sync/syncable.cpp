#include "switchyard/sync/syncable.hpp"

#include <mutex>

namespace switchyard::sync {

namespace {
std::mutex g_mutex;
std::shared_ptr<const DatabaseConfigurations> g_configs;
}  // namespace

void use_configurations(const DatabaseConfigurations& configs) {
  auto copy = std::make_shared<const DatabaseConfigurations>(configs);
  std::lock_guard lock(g_mutex);
  g_configs = std::move(copy);
}

std::shared_ptr<const DatabaseConfigurations> configurations() {
  std::lock_guard lock(g_mutex);
  return g_configs;
}

}  // namespace switchyard::sync

#include "switchyard/context/connection_class.hpp"

#include <mutex>
#include <unordered_map>

#include "switchyard/errors.hpp"

namespace switchyard {
namespace {

struct Registry {
  std::mutex mutex;
  std::unordered_map<std::string, const ConnectionClass*> by_name;
};
Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

std::map<std::string, std::string> Roles::all() const {
  std::map<std::string, std::string> out = roles;
  if (!writing.empty()) out["writing"] = writing;
  if (!reading.empty()) out["reading"] = reading;
  return out;
}

ConnectsTo connects_to(Roles database) { return ConnectsTo{{{"default", std::move(database)}}, false}; }

ConnectsTo connects_to_shards(std::vector<std::pair<std::string, Roles>> shards) {
  if (shards.empty()) throw ArgumentError("`connects_to` needs at least one shard.");
  return ConnectsTo{std::move(shards), true};
}

ConnectionClass& ConnectionClass::base() {
  static ConnectionClass base("primary", nullptr, true);
  return base;
}

ConnectionClass::ConnectionClass(std::string name, const ConnectionClass* parent, bool abstract,
                                 std::optional<ConnectsTo> connects_to)
    : name_(std::move(name)), parent_(parent), abstract_(abstract), connects_to_(std::move(connects_to)) {
  if (connects_to_ && !abstract_)
    throw NotImplementedError("`connects_to` can only be called on ActiveRecord::Base or abstract classes");
  std::lock_guard lock(registry().mutex);
  if (!registry().by_name.emplace(name_, this).second)
    throw ArgumentError("a connection class named '" + name_ + "' already exists");
}

ConnectionClass::~ConnectionClass() {
  std::lock_guard lock(registry().mutex);
  registry().by_name.erase(name_);
}

const ConnectionClass& ConnectionClass::connection_class_for_self() const {
  const ConnectionClass* c = this;
  while (!c->is_connection_class()) c = c->parent_;
  return *c;
}

std::string ConnectionClass::default_shard() const {
  const auto& owner = connection_class_for_self();
  if (owner.connects_to_ && !owner.connects_to_->shards.empty())
    return owner.connects_to_->shards.front().first;
  return "default";
}

std::optional<std::string> ConnectionClass::database_for(const std::string& role,
                                                         const std::string& shard) const {
  const auto& owner = connection_class_for_self();
  if (!owner.connects_to_) return std::nullopt;
  for (const auto& [name, roles] : owner.connects_to_->shards) {
    if (name != shard) continue;
    auto all = roles.all();
    auto it = all.find(role);
    if (it != all.end()) return it->second;
  }
  return std::nullopt;
}

const ConnectionClass* ConnectionClass::find(const std::string& name) {
  std::lock_guard lock(registry().mutex);
  auto it = registry().by_name.find(name);
  return it == registry().by_name.end() ? nullptr : it->second;
}

std::vector<const ConnectionClass*> ConnectionClass::all() {
  std::lock_guard lock(registry().mutex);
  std::vector<const ConnectionClass*> out;
  out.reserve(registry().by_name.size());
  for (const auto& [name, klass] : registry().by_name) out.push_back(klass);
  return out;
}

}  // namespace switchyard

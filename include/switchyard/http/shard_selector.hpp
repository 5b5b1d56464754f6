// ShardSelector: Rails' ActiveRecord::Middleware::ShardSelector. Each request runs in
// connected_to({.shard = resolver(request)}) on the base class, and with `lock` (the default)
// inside prohibit_shard_swapping, so the application cannot switch shard by mistake (role switches
// still work). The role is left alone: put it inside a DatabaseSelector, or outside — a shard-only
// frame inherits the role and prevent_writes of the frames around it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "switchyard/context/connection_class.hpp"
#include "switchyard/http/request.hpp"

namespace switchyard::http {

struct ShardSelectorOptions {
  std::function<std::string(const Request&)> resolver{};  // required
  bool lock = true;
  // The class the shard frame is pushed on (default: the base class, i.e. global).
  const ConnectionClass* on = nullptr;
};

class ShardSelector {
 public:
  explicit ShardSelector(ShardSelectorOptions options);
  void operator()(const Request& request, Response& response, const Next& app) const;
  Middleware middleware() const;

 private:
  std::shared_ptr<const ShardSelectorOptions> options_;
};

}  // namespace switchyard::http

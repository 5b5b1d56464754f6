#include "switchyard/http/shard_selector.hpp"

#include "switchyard/context/connection_handling.hpp"
#include "switchyard/errors.hpp"

namespace switchyard::http {

ShardSelector::ShardSelector(ShardSelectorOptions options) {
  if (!options.resolver) throw ArgumentError("ShardSelector: a shard resolver is required");
  if (!options.on) options.on = &ConnectionClass::base();
  options_ = std::make_shared<const ShardSelectorOptions>(std::move(options));
}

void ShardSelector::operator()(const Request& request, Response&, const Next& app) const {
  const std::string shard = options_->resolver(request);
  connected_to(*options_->on, {.shard = shard},
               [&] { prohibit_shard_swapping(options_->lock, [&] { app(); }); });
}

Middleware ShardSelector::middleware() const {
  ShardSelector self = *this;
  return [self](const Request& request, Response& response, const Next& next) {
    self(request, response, next);
  };
}

}  // namespace switchyard::http

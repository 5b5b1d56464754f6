// Figure 6: read-your-writes while the standby's replay is paused for random short spells.
#include "figures.hpp"
#include "models.hpp"

namespace bench {

void ryw_figures(const Env& env, const Options& options, Results& results) {
  (void)env;
  (void)options;
  const std::string why = "routing proxy mode (time window / WAL stickiness) has not landed in main";
  results.pending("6. read-your-writes: replica share, 2 s window", "%", "", "", why);
  results.pending("6. read-your-writes: stale reads, 2 s window", "reads", "", "", why);
  results.pending("6. read-your-writes: replica share, WAL", "%", "2 s window", "", why);
  results.pending("6. read-your-writes: stale reads, WAL", "reads", "", "value == 0", why);
}

}  // namespace bench

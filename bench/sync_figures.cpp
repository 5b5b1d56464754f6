// Figure 7: sync worker throughput and lag, backfill against a plain COPY between the servers.
#include "figures.hpp"
#include "models.hpp"

namespace bench {

void sync_figures(const Env& env, const Options& options, Results& results) {
  (void)env;
  (void)options;
  const std::string why = "the sync layer has not landed in main";
  results.pending("7. sync: worker throughput", "rows/s", "", "", why);
  results.pending("7. sync: lag p50 at fixed rate", "ms", "", "", why);
  results.pending("7. sync: lag p99 at fixed rate", "ms", "", "", why);
  results.pending("7. sync: backfill", "rows/s", "plain COPY primary->second", "ratio >= 0.50", why);
}

}  // namespace bench

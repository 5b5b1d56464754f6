// Figure 4: statement classification, from micro_bench's Google Benchmark JSON (per-statement
// medians over interleaved repetitions). Reported: the median and p90 over statements.
#include <fstream>
#include <stdexcept>

#include "figures.hpp"

namespace bench {

void classifier_figures(const Options& options, Results& results) {
  if (options.micro_json.empty()) {
    results.pending("4. classify: typical ORM stmts", "ns/stmt", "", "value <= 300",
                    "run without --micro (micro_bench output)");
    results.pending("4. classify: tricky corpus", "ns/stmt", "", "", "run without --micro");
    return;
  }
  std::ifstream in(options.micro_json);
  if (!in) throw std::runtime_error("cannot read " + options.micro_json);
  const auto j = nlohmann::json::parse(in);
  // CPU time, not wall time: classification never waits, so on a shared machine its wall time
  // mostly measures how long the process waited for a core (wall medians are kept in detail).
  std::vector<double> typical, cached, corpus, typical_wall;
  for (const auto& b : j.at("benchmarks")) {
    if (b.value("aggregate_name", "") != "median") continue;
    const std::string name = b.value("run_name", "");
    double scale = 1;
    const std::string unit = b.value("time_unit", "ns");
    if (unit == "us") scale = 1e3;
    if (unit == "ms") scale = 1e6;
    const double ns = b.at("cpu_time").get<double>() * scale;
    if (name.rfind("classify/typical/uncached/", 0) == 0) {
      typical.push_back(ns);
      typical_wall.push_back(b.at("real_time").get<double>() * scale);
    }
    if (name.rfind("classify/typical/cached/", 0) == 0) cached.push_back(ns);
    if (name.rfind("classify/corpus/uncached/", 0) == 0) corpus.push_back(ns);
  }
  auto figure = [&](const std::string& name, const std::vector<double>& v, const std::string& target,
                    const std::string& note) {
    Figure f;
    f.name = name;
    f.unit = "ns/stmt";
    f.value = median(v);
    f.baseline = "";
    f.target = target;
    f.detail = {{"statements", v.size()},
                {"p90_ns", percentile(v, 90)},
                {"max_ns", v.empty() ? 0.0 : percentile(v, 100)},
                {"min_ns", v.empty() ? 0.0 : percentile(v, 0)}};
    f.note = note;
    results.add(f);
  };
  const std::string how =
      "CPU time; median over statements of per-statement medians (Google Benchmark, 5 "
      "repetitions, random interleaving)";
  figure("4. classify: typical ORM stmts", typical, "value <= 300",
         "uncached (lexer + analysis); " + how + "; wall-time median " +
             std::to_string(static_cast<int>(median(typical_wall))) + " ns");
  figure("4. classify: typical, decision cache", cached, "",
         "classify() on a statement seen before; " + how);
  figure("4. classify: tricky corpus", corpus, "", "uncached; " + how);
}

}  // namespace bench

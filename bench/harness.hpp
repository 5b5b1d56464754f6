// The benchmark harness shared by every figure of sy_bench: interleaved rounds with medians,
// percentiles, the PostgreSQL servers from the environment, and the results list.
//
// Interleaving: each round runs every variant once (forward order on even rounds, reverse on odd
// ones), so machine noise and drift land on all variants alike; a figure is the median of its
// per-round values, never a single run.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// Median of a copy (the mean of the two middle values for an even count).
double median(std::vector<double> values);
// Nearest-rank percentile, p in [0, 100].
double percentile(std::vector<double> values, double p);

// One contender in an interleaved comparison: `run(n)` performs n operations and returns the
// elapsed nanoseconds (the variant times itself, so a child process can report its own clock).
struct Variant {
  std::string name;
  std::function<double(int n)> run;
};

struct Interleaved {
  // Per variant, the ns/op of every round, in round order.
  std::map<std::string, std::vector<double>> rounds;
  double median_ns(const std::string& name) const { return median(rounds.at(name)); }
  // Median over rounds of a_r / b_r: the two blocks of one round ran next to each other, so a
  // burst of load from elsewhere (this machine is shared) cancels out of the ratio.
  double paired_ratio(const std::string& a, const std::string& b) const;
};

// `warmup` ops per variant first (untimed), then `rounds` rounds of `ops` ops per variant.
Interleaved interleave(const std::vector<Variant>& variants, int rounds, int ops, int warmup);

// One contender timed operation by operation (see interleave_ops).
struct OpVariant {
  std::string name;
  std::function<void()> op;
};

// Finer interleaving for round-trip latencies on a shared machine: within a round the variants
// take turns one operation at a time (in a new random order each turn), every operation is timed on
// its own, and a round's value per variant is the median of its `ops` latencies. Descheduling by
// other processes lands in the tails of all variants alike instead of in whole blocks of one.
// `warmup` operations per variant run first, untimed.
Interleaved interleave_ops(const std::vector<OpVariant>& variants, int rounds, int ops, int warmup);

// ---- Servers --------------------------------------------------------------------------------

struct Server {
  std::string host;
  int port = 0;
};

struct Env {
  Server primary, replica, second;
  std::string user, password;
  std::string database = "switchyard_bench";

  static Env from_environment();  // SWITCHYARD_PG_*; throws when missing
  std::string conninfo(const Server& s, const std::string& db) const;
  std::string conninfo(const Server& s) const { return conninfo(s, database); }
  // One database config entry (JSON) for switchyard.
  nlohmann::ordered_json config(const Server& s) const;
};

// Runs SQL (possibly several statements) through a fresh libpq connection; throws on error.
void pg_exec(const std::string& conninfo, const std::string& sql);
std::string pg_scalar(const std::string& conninfo, const std::string& sql);
// Waits (bounded, throws) until the standby has replayed the primary's current insert position.
void wait_catchup(const Env& env, std::chrono::seconds limit = std::chrono::seconds(60));

// ---- Results --------------------------------------------------------------------------------

struct Figure {
  std::string name;
  std::string unit;
  std::optional<double> value;           // switchyard
  std::string baseline;                  // what it is compared with
  std::optional<double> baseline_value;
  // value / baseline_value; where the figure sets it, the median of per-round paired ratios.
  std::optional<double> ratio;
  std::string target;                    // "ratio <= 1.10", "value <= 300", "" (information)
  std::string status = "info";           // met | missed | info | pending
  std::string note;
  nlohmann::json detail = nlohmann::json::object();

  nlohmann::json to_json() const;
};

// Sets ratio and status from a target "ratio <= X", "ratio >= X", "value <= X", "value >= X",
// "baseline_ratio >= X" (baseline_value / value, for throughput-style comparisons of times).
void judge(Figure& figure);

class Results {
 public:
  void add(Figure figure);
  void pending(const std::string& name, const std::string& unit, const std::string& baseline,
               const std::string& target, const std::string& why);
  const std::vector<Figure>& figures() const { return figures_; }
  nlohmann::json to_json() const;
  void print_table() const;

 private:
  std::vector<Figure> figures_;
};

// Heap bytes in use (glibc mallinfo2) and resident set size (from /proc/self/statm).
std::int64_t heap_in_use();
std::int64_t rss_bytes();

}  // namespace bench

// The figures of sy_bench, one function per group (see docs/performance.md).
#pragma once

#include <string>

#include "harness.hpp"

namespace bench {

struct Options {
  int rounds = 61;             // interleaved rounds per comparison (short blocks, many rounds)
  double scale = 1.0;          // multiplies operation counts (--quick: 0.5)
  std::string ruby_script;     // bench/activerecord_bench.rb ("" or --no-ruby: skip ActiveRecord)
  std::string micro_json;      // Google Benchmark output of micro_bench (figure 4)
  std::string out;             // results.json
  std::string only;            // comma-separated figure groups (crud,routing,classify,pool,ryw,sync,memory)

  int ops(int n) const { return n * scale < 1 ? 1 : static_cast<int>(n * scale); }
  bool wants(const std::string& group) const;
};

void setup_databases(const Env& env);

// For callgrind: runs `n` operations of one variant (find_orm, find_libpq, find_standby,
// find_scope, find_proxy, create_orm, create_libpq) against an existing bench database.
// Instructions per operation = (Ir at n2 - Ir at n1) / (n2 - n1).
void profile_variant(const Env& env, const std::string& variant, int n);

void crud_figures(const Env& env, const Options& options, Results& results);     // 1, 2
void routing_figures(const Env& env, const Options& options, Results& results);  // 3
void classifier_figures(const Options& options, Results& results);                // 4
void pool_figures(const Env& env, const Options& options, Results& results);     // 5
void ryw_figures(const Env& env, const Options& options, Results& results);      // 6
void sync_figures(const Env& env, const Options& options, Results& results);     // 7
void memory_figures(const Env& env, const Options& options, Results& results);   // 8

}  // namespace bench

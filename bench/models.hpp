// The models the benchmark drives, and the configuration they connect through.
#pragma once

#include <switchyard/switchyard.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "harness.hpp"

#if __has_include(<switchyard/routing/proxy.hpp>)
#define SY_BENCH_HAVE_ROUTING 1
#include <switchyard/routing/proxy.hpp>
#else
#define SY_BENCH_HAVE_ROUTING 0
#endif

#if __has_include(<switchyard/sync/worker.hpp>) && __has_include(<switchyard/sync/backfill.hpp>)
#define SY_BENCH_HAVE_SYNC 1
#include <switchyard/sync/backfill.hpp>
#include <switchyard/sync/outbox.hpp>
#include <switchyard/sync/worker.hpp>
#else
#define SY_BENCH_HAVE_SYNC 0
#endif

namespace bench {
namespace sy = switchyard;

// Writes to the primary, reads (in a reading scope) from the standby.
struct BenchRecord : sy::Base<BenchRecord> {
  static constexpr auto class_name = "BenchRecord";
  static inline const auto connection =
      sy::connects_to({.writing = "bench", .reading = "bench_replica"});
};

// The standby as the class's own (default) connection: the direct path to it, no switching.
struct StandbyRecord : sy::Base<StandbyRecord> {
  static constexpr auto class_name = "StandbyRecord";
  static inline const auto connection = sy::connects_to({.writing = "bench_replica"});
};

// Proxy mode: every statement classified and routed (replicas: the standby).
struct ProxyRecord : sy::Base<ProxyRecord> {
  static constexpr auto class_name = "ProxyRecord";
  static inline const auto connection = sy::connects_to({.writing = "bench_proxy"});
};

// Read-your-writes (figure 6): the same primary and standby in proxy mode, stickiness by the
// 2-second time window (Rails' default) and by WAL position.
struct RywTimeRecord : sy::Base<RywTimeRecord> {
  static constexpr auto class_name = "RywTimeRecord";
  static inline const auto connection = sy::connects_to({.writing = "ryw_time"});
};
struct RywWalRecord : sy::Base<RywWalRecord> {
  static constexpr auto class_name = "RywWalRecord";
  static inline const auto connection = sy::connects_to({.writing = "ryw_wal"});
};

template <typename Parent>
struct DogOf : sy::Model<DogOf<Parent>, Parent> {
  static constexpr auto table = "dogs";
  static constexpr auto class_name = "Dog";
  std::int64_t id = 0;
  std::string name;
  std::optional<int> age{};
  static constexpr auto fields =
      sy::fields(&DogOf::id, "id", &DogOf::name, "name", &DogOf::age, "age");
};

using Dog = DogOf<BenchRecord>;
using StandbyDog = DogOf<StandbyRecord>;
using ProxyDog = DogOf<ProxyRecord>;

// The same record as a plain struct, for the hand-written drivers.
struct PlainDog {
  std::int64_t id = 0;
  std::string name;
  std::optional<int> age{};
};

// Rows in `dogs` at setup; finds pick ids in [1, kDogs].
inline constexpr int kDogs = 10000;
// The k-th id every variant finds (the same sequence for all of them, and in bench/*.rb).
inline std::int64_t id_for(std::int64_t k) { return 1 + (k * 7919) % kDogs; }

// The whole configuration tree (environment "bench").
sy::DatabaseConfigurations bench_configs(const Env& env);

}  // namespace bench

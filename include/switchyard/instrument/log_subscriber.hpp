// Prints one line per statement, like Rails' log subscriber with ARPA's per-database prefixes:
//   [animals writing] Dog Load (0.4ms)  SELECT ... WHERE "id" = $1  [1]
// Filtered parameters print as [FILTERED]; passwords never reach the log.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

#include "switchyard/instrument/notifications.hpp"

namespace switchyard::instrument {

struct LogOptions {
  bool show_binds = true;
  bool show_route_reason = true;
  // Replaces the default "[database role]" prefix (ARPA's log_subscriber_*_prefix).
  std::function<std::string(const SqlEvent&)> prefix;
};

// Formats one event as the log line (no trailing newline).
std::string format_log_line(const SqlEvent& event, const LogOptions& options = {});

// Subscribes a writer of lines to `out` until destroyed. `out` must outlive it; writes are
// serialised.
class LogSubscriber {
 public:
  explicit LogSubscriber(std::ostream& out, LogOptions options = {});
  ~LogSubscriber();
  LogSubscriber(const LogSubscriber&) = delete;
  LogSubscriber& operator=(const LogSubscriber&) = delete;

 private:
  std::uint64_t id_;
};

}  // namespace switchyard::instrument

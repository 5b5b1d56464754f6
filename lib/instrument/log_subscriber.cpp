#include "switchyard/instrument/log_subscriber.hpp"

#include <cstdio>
#include <mutex>
#include <ostream>

namespace switchyard::instrument {

std::string format_log_line(const SqlEvent& e, const LogOptions& options) {
  std::string line = options.prefix ? options.prefix(e)
                                    : "[" + std::string(e.database) + " " + std::string(e.role) +
                                          (e.shard.empty() || e.shard == "default"
                                               ? ""
                                               : " " + std::string(e.shard)) +
                                          "]";
  if (!e.node.empty() && e.node != e.database) line += "{" + std::string(e.node) + "}";
  if (!e.name.empty()) line += " " + std::string(e.name);
  char ms[32];
  std::snprintf(ms, sizeof ms, " (%.1fms)  ", static_cast<double>(e.duration.count()) / 1e6);
  line += ms;
  line += e.sql;
  if (options.show_binds && !e.binds.empty()) {
    line += "  [";
    auto shown = e.display_binds();
    for (std::size_t i = 0; i < shown.size(); ++i) line += (i ? ", " : "") + shown[i];
    line += "]";
  }
  if (options.show_route_reason && !e.route_reason.empty())
    line += "  -- route: " + std::string(e.route_reason);
  if (!e.sqlstate.empty()) line += "  -- error " + std::string(e.sqlstate);
  return line;
}

LogSubscriber::LogSubscriber(std::ostream& out, LogOptions options) {
  auto mutex = std::make_shared<std::mutex>();
  id_ = subscribe([&out, mutex, options = std::move(options)](const SqlEvent& e) {
    auto line = format_log_line(e, options);
    std::lock_guard lock(*mutex);
    out << line << '\n';
  });
}

LogSubscriber::~LogSubscriber() { unsubscribe(id_); }

}  // namespace switchyard::instrument

// Shared by the routing test binaries: configurations, connection classes and an event recorder.
#pragma once

#include <doctest/doctest.h>

#include <mutex>
#include <string>
#include <vector>

#include "databases.hpp"
#include "switchyard/config/database_configurations.hpp"
#include "switchyard/context/connection_class.hpp"
#include "switchyard/context/connection_handling.hpp"
#include "switchyard/instrument/notifications.hpp"
#include "switchyard/routing/proxy.hpp"

namespace rt {

namespace sy = switchyard;

// Connection classes: proxy-mode SQLite, a SQLite writer whose replicas include broken ones, a
// plain (non-proxy) SQLite writer, and PostgreSQL ones (main, and one with a byte-lag limit).
sy::ConnectionClass& animals();
sy::ConnectionClass& flaky();
sy::ConnectionClass& plain();
sy::ConnectionClass& pg_main();
sy::ConnectionClass& pg_lagcheck();
// Writer pg_main's primary with the second primary listed as its replica (not a standby);
// `allowed`: with replicas_must_be_standbys: false.
sy::ConnectionClass& pg_outsider(bool allowed);

// The configurations of environment "test": SQLite files in the test's temp dir (created with
// distinct contents: primary rows say "primary", replica rows "r1" / "r2"), plus PostgreSQL
// databases named `pg_database` on the test servers when they are configured.
sy::DatabaseConfigurations configs(const std::string& pg_database = "sy_routing");
// establish + routing::install, fresh SQLite files, routing session and metrics reset.
void setup(const std::string& pg_database = "sy_routing");

struct Recorded {
  std::string sql, node, reason, role, sqlstate, name;
};

// Records every SqlEvent (thread-safe) while alive.
class Recorder {
 public:
  Recorder();
  std::vector<Recorded> events() const;
  // Last event whose SQL is exactly `sql`.
  Recorded last(const std::string& sql) const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<Recorded> events_;
  sy::instrument::Subscription sub_;
};

class EventRecorder {
 public:
  EventRecorder();
  std::vector<std::string> names() const;
  bool saw(const std::string& name) const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> names_;
  sy::instrument::Subscription sub_;
};

// Runs one statement through the proxy for `klass`.
sy::Result run(const sy::ConnectionClass& klass, const std::string& sql);
std::string scalar_text(const sy::Result& r);

}  // namespace rt

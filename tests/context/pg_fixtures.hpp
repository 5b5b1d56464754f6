// PostgreSQL configs for the context and http tests: the primary, its streaming hot standby
// (`replica: true`), and the independent second primary, all on database `db`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "databases.hpp"
#include "switchyard/config/database_configurations.hpp"

namespace ctx_test {

inline nlohmann::ordered_json pg_settings(const switchyard::test::PgServer& s, const std::string& db,
                                          bool replica = false) {
  nlohmann::ordered_json c = {{"adapter", "postgresql"}, {"host", s.host},     {"port", s.port},
                              {"database", db},          {"username", switchyard::test::pg_user()},
                              {"password", switchyard::test::pg_password()}};
  if (replica) c["replica"] = true;
  return c;
}

// primary + animals on the primary, *_replica on the standby, second on the second primary.
inline switchyard::DatabaseConfigurations pg_configs(const std::string& db) {
  using namespace switchyard::test;
  nlohmann::ordered_json dbs;
  dbs["primary"] = pg_settings(pg_primary(), db);
  dbs["animals"] = pg_settings(pg_primary(), db);
  dbs["animals_replica"] = pg_settings(pg_replica(), db, true);
  dbs["meow"] = pg_settings(pg_second(), db);
  dbs["meow_replica"] = pg_settings(pg_second(), db, true);  // no standby: a read-only session
  return switchyard::DatabaseConfigurations(nlohmann::ordered_json{{"test", dbs}}, "<test>", "test");
}

// Whether the standby's replay is paused now. The cluster is shared: another test binary may
// resume it while a test expects it paused, so lag-dependent checks confirm it before and after.
inline bool replay_paused() {
  return switchyard::test::pg_scalar(switchyard::test::pg_replica(), "postgres",
                                     "SELECT pg_get_wal_replay_pause_state()") == "paused";
}

// Always resumes replay, also when the test fails or throws.
struct PausedReplay {
  PausedReplay() { switchyard::test::pg_cluster("pause-replay"); }
  ~PausedReplay() {
    try {
      switchyard::test::pg_cluster("resume-replay");
    } catch (...) {
    }
  }
  PausedReplay(const PausedReplay&) = delete;
  PausedReplay& operator=(const PausedReplay&) = delete;
};

}  // namespace ctx_test

// Connection classes and database configs shared by the context tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "databases.hpp"
#include "switchyard/config/database_configurations.hpp"
#include "switchyard/context/connection_handling.hpp"

namespace ctx_test {

namespace sy = switchyard;

// AnimalsRecord: animals / animals_replica. MeowRecord: meow / meow_replica. ShardRecord: two
// shards, the first named "shard_one" (so its default shard is not "default"). WriterOnly: no
// reading role. Dog is a model of AnimalsRecord; Loose is an abstract class without connects_to.
inline sy::ConnectionClass& animals() {
  static sy::ConnectionClass c("AnimalsRecord", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "animals", .reading = "animals_replica"}));
  return c;
}
inline sy::ConnectionClass& meow() {
  static sy::ConnectionClass c("MeowRecord", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "meow", .reading = "meow_replica"}));
  return c;
}
inline sy::ConnectionClass& sharded() {
  static sy::ConnectionClass c(
      "ShardRecord", &sy::ConnectionClass::base(), true,
      sy::connects_to_shards({{"shard_one", {.writing = "shard_one", .reading = "shard_one_replica"}},
                              {"shard_two", {.writing = "shard_two", .reading = "shard_two_replica"}}}));
  return c;
}
inline sy::ConnectionClass& writer_only() {
  static sy::ConnectionClass c("WriterOnlyRecord", &sy::ConnectionClass::base(), true,
                               sy::connects_to({.writing = "writer_only"}));
  return c;
}
inline sy::ConnectionClass& dog() {
  static sy::ConnectionClass c("Dog", &animals(), false);
  return c;
}
inline sy::ConnectionClass& cat() {
  static sy::ConnectionClass c("Cat", &meow(), false);
  return c;
}
inline sy::ConnectionClass& loose() {
  static sy::ConnectionClass c("LooseAbstract", &animals(), true);
  return c;
}
inline sy::ConnectionClass& base() { return sy::ConnectionClass::base(); }

// Registers every class above (they are created on first use; the pool resolver finds classes
// by name).
inline void register_classes() {
  (void)animals(), (void)meow(), (void)sharded(), (void)writer_only(), (void)dog(), (void)cat(),
      (void)loose();
}

// SQLite: every writer has its own file and every replica is `replica: true` on the writer's
// file (opened read-only).
inline sy::DatabaseConfigurations sqlite_configs() {
  auto dir = switchyard::test::temp_dir();
  nlohmann::ordered_json dbs;
  auto add = [&](const std::string& name, const std::string& file, bool replica) {
    nlohmann::ordered_json c = {{"adapter", "sqlite3"}, {"database", (dir / (file + ".sqlite3")).string()}};
    if (replica) c["replica"] = true;
    dbs[name] = c;
  };
  add("primary", "primary", false);
  for (const char* w : {"animals", "meow", "shard_one", "shard_two", "writer_only"}) {
    add(w, w, false);
    if (std::string(w) != "writer_only") add(std::string(w) + "_replica", w, true);
  }
  return sy::DatabaseConfigurations(nlohmann::ordered_json{{"test", dbs}}, "<test>", "test");
}

// Establishes the SQLite set and creates one table `t` in every writer, so every replica file
// exists and can be opened read-only.
void establish_sqlite();

}  // namespace ctx_test

// Shared by the reliability tests: a distinctive secret, error capture, and small apps (a
// connection class on a SQLite file or a fresh PostgreSQL database).
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "databases.hpp"
#include "error_text.hpp"
#include "switchyard/switchyard.hpp"

namespace rel {

namespace sy = switchyard;

// A password that appears nowhere else, so finding it anywhere is a leak.
inline constexpr const char* kSecret = "Rel-Secret-Quokka-5519";

using switchyard::test::error_text;

struct RelRecord : sy::Base<RelRecord> {
  static constexpr auto class_name = "RelRecord";
  static inline const auto connection = sy::connects_to({.writing = "rel"});
};

// Establishes environment "rel" with database `rel` on a SQLite file in the test's temp dir.
class SqliteApp {
 public:
  explicit SqliteApp(const std::string& name);
  const sy::ConnectionClass& klass() const { return RelRecord::connection_class(); }
};

// Establishes environment "rel" with database `rel` on a fresh PostgreSQL database `name`.
class PgApp {
 public:
  explicit PgApp(const std::string& name, nlohmann::json extra = nlohmann::json::object());
  const sy::ConnectionClass& klass() const { return RelRecord::connection_class(); }
  nlohmann::ordered_json settings;
};

}  // namespace rel

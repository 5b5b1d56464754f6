// The baselines: the same workload written by hand against libpq and SOCI, and the ActiveRecord
// child process.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <memory>
#include <string>

#include "models.hpp"

struct pg_conn;
namespace soci {
class session;
class statement;
}  // namespace soci

namespace bench {

// A raw libpq connection with the find and create statements prepared.
class RawPg {
 public:
  // `writes`: also prepare the INSERT (not on a standby).
  explicit RawPg(const std::string& conninfo, bool writes = true);
  // On a connection someone else owns (and closes): switchyard's pooled connection, so that the
  // two run on the same server backend. Prepares under names switchyard does not use.
  static RawPg borrowing(pg_conn* conn, bool writes = true);
  ~RawPg();
  RawPg(RawPg&& other) noexcept : conn_(other.conn_), owned_(other.owned_) {
    other.conn_ = nullptr;
  }
  RawPg(const RawPg&) = delete;
  RawPg& operator=(const RawPg&) = delete;

  PlainDog find(std::int64_t id);  // SELECT id, name, age FROM dogs WHERE id = $1 LIMIT 1
  PlainDog create(const std::string& name, int age);  // INSERT ... RETURNING id, name, age
  pg_conn* handle() const noexcept { return conn_; }

 private:
  RawPg(pg_conn* conn, bool owned, bool writes);
  pg_conn* conn_;
  bool owned_ = true;  // borrowed connections use prepared names prefixed "bench_"
};

// A SOCI session with the same two statements prepared (soci::statement, into/use).
class SociPg {
 public:
  explicit SociPg(const std::string& conninfo);
  ~SociPg();
  SociPg(const SociPg&) = delete;
  SociPg& operator=(const SociPg&) = delete;

  PlainDog find(std::int64_t id);
  PlainDog create(const std::string& name, int age);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// bench/activerecord_bench.rb as a child process speaking its line protocol.
class RubyChild {
 public:
  RubyChild(const std::string& script, const std::string& database);
  ~RubyChild();
  RubyChild(const RubyChild&) = delete;
  RubyChild& operator=(const RubyChild&) = delete;

  // Sends "COMMAND n start", returns the nanoseconds the child reports.
  double run(const std::string& command, int n, std::int64_t start);

 private:
  std::string read_line();
  pid_t pid_ = -1;
  std::FILE* to_ = nullptr;
  std::FILE* from_ = nullptr;
};

}  // namespace bench

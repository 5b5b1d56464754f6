#include "drivers.hpp"

#include <libpq-fe.h>
#include <signal.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace bench {

// ---- libpq -----------------------------------------------------------------------------------

namespace {
constexpr const char* kFindSql = "SELECT id, name, age FROM dogs WHERE id = $1 LIMIT 1";
constexpr const char* kCreateSql =
    "INSERT INTO dogs (name, age) VALUES ($1, $2) RETURNING id, name, age";

PlainDog row_of(PGresult* r) {
  PlainDog d;
  const char* id = PQgetvalue(r, 0, 0);
  std::from_chars(id, id + PQgetlength(r, 0, 0), d.id);
  d.name.assign(PQgetvalue(r, 0, 1), static_cast<std::size_t>(PQgetlength(r, 0, 1)));
  if (!PQgetisnull(r, 0, 2)) {
    int age = 0;
    const char* a = PQgetvalue(r, 0, 2);
    std::from_chars(a, a + PQgetlength(r, 0, 2), age);
    d.age = age;
  }
  return d;
}

void check(PGresult* r, PGconn* c, ExecStatusType want, const char* what) {
  if (PQresultStatus(r) != want) {
    std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
    PQclear(r);
    throw std::runtime_error(std::string(what) + ": " + message);
  }
}
}  // namespace

RawPg::RawPg(const std::string& conninfo, bool writes)
    : RawPg(PQconnectdb(conninfo.c_str()), true, writes) {}

RawPg RawPg::borrowing(pg_conn* conn, bool writes) {
  if (conn == nullptr) throw std::runtime_error("libpq baseline: not a PostgreSQL connection");
  return RawPg(conn, false, writes);
}

RawPg::RawPg(pg_conn* conn, bool owned, bool writes) : conn_(conn), owned_(owned) {
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn_);
    if (owned_) PQfinish(conn_);
    throw std::runtime_error("libpq connect: " + message);
  }
  PGresult* r = PQprepare(conn_, owned_ ? "find" : "bench_find", kFindSql, 1, nullptr);
  check(r, conn_, PGRES_COMMAND_OK, "prepare find");
  PQclear(r);
  if (!writes) return;
  r = PQprepare(conn_, owned_ ? "create" : "bench_create", kCreateSql, 2, nullptr);
  check(r, conn_, PGRES_COMMAND_OK, "prepare create");
  PQclear(r);
}

RawPg::~RawPg() {
  if (conn_ == nullptr || !owned_) return;
  PQfinish(conn_);
}

PlainDog RawPg::find(std::int64_t id) {
  char buf[24];
  *std::to_chars(buf, buf + sizeof buf - 1, id).ptr = '\0';
  const char* params[1] = {buf};
  PGresult* r =
      PQexecPrepared(conn_, owned_ ? "find" : "bench_find", 1, params, nullptr, nullptr, 0);
  check(r, conn_, PGRES_TUPLES_OK, "find");
  if (PQntuples(r) != 1) {
    PQclear(r);
    throw std::runtime_error("find: no row");
  }
  PlainDog d = row_of(r);
  PQclear(r);
  return d;
}

PlainDog RawPg::create(const std::string& name, int age) {
  char buf[16];
  *std::to_chars(buf, buf + sizeof buf - 1, age).ptr = '\0';
  const char* params[2] = {name.c_str(), buf};
  PGresult* r =
      PQexecPrepared(conn_, owned_ ? "create" : "bench_create", 2, params, nullptr, nullptr, 0);
  check(r, conn_, PGRES_TUPLES_OK, "create");
  PlainDog d = row_of(r);
  PQclear(r);
  return d;
}

// ---- SOCI ------------------------------------------------------------------------------------

struct SociPg::Impl {
  explicit Impl(const std::string& conninfo)
      : sql(soci::postgresql, conninfo),
        find_st((sql.prepare << "SELECT id, name, age FROM dogs WHERE id = :id LIMIT 1",
                 soci::into(out_id), soci::into(out_name), soci::into(out_age, age_ind),
                 soci::use(in_id))),
        create_st((sql.prepare << "INSERT INTO dogs (name, age) VALUES (:name, :age) "
                                  "RETURNING id, name, age",
                   soci::into(out_id), soci::into(out_name), soci::into(out_age, age_ind),
                   soci::use(in_name), soci::use(in_age))) {}
  soci::session sql;
  long long out_id = 0, in_id = 0;
  std::string out_name, in_name;
  int out_age = 0, in_age = 0;
  soci::indicator age_ind = soci::i_ok;
  soci::statement find_st;
  soci::statement create_st;

  PlainDog current() const {
    PlainDog d;
    d.id = out_id;
    d.name = out_name;
    if (age_ind == soci::i_ok) d.age = out_age;
    return d;
  }
};

SociPg::SociPg(const std::string& conninfo) : impl_(std::make_unique<Impl>(conninfo)) {}
SociPg::~SociPg() = default;

PlainDog SociPg::find(std::int64_t id) {
  impl_->in_id = id;
  if (!impl_->find_st.execute(true)) throw std::runtime_error("soci find: no row");
  return impl_->current();
}

PlainDog SociPg::create(const std::string& name, int age) {
  impl_->in_name = name;
  impl_->in_age = age;
  impl_->create_st.execute(true);
  return impl_->current();
}

// ---- ActiveRecord child ----------------------------------------------------------------------

RubyChild::RubyChild(const std::string& script, const std::string& database) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    execlp("ruby", "ruby", script.c_str(), database.c_str(), static_cast<char*>(nullptr));
    std::perror("exec ruby");
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  to_ = fdopen(in[1], "w");
  from_ = fdopen(out[0], "r");
  const auto ready = read_line();
  if (ready != "ready") throw std::runtime_error("activerecord_bench.rb did not start: " + ready);
}

RubyChild::~RubyChild() {
  if (to_ != nullptr) {
    std::fputs("quit\n", to_);
    std::fclose(to_);
  }
  if (from_ != nullptr) std::fclose(from_);
  if (pid_ > 0) {
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::string RubyChild::read_line() {
  char buf[512];
  if (std::fgets(buf, sizeof buf, from_) == nullptr)
    throw std::runtime_error("activerecord_bench.rb ended (see its stderr above)");
  std::string line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

double RubyChild::run(const std::string& command, int n, std::int64_t start) {
  std::fprintf(to_, "%s %d %lld\n", command.c_str(), n, static_cast<long long>(start));
  std::fflush(to_);
  const auto line = read_line();
  try {
    return std::stod(line);
  } catch (const std::exception&) {
    throw std::runtime_error("activerecord_bench.rb: " + line);
  }
}

}  // namespace bench

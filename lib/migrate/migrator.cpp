#include "switchyard/migrate/migrator.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>

#include "switchyard/config/connection_params.hpp"
#include "switchyard/connection/connection.hpp"

namespace switchyard::migrate {
namespace {

using Clock = std::chrono::steady_clock;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MigrationError("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string text_of(const Value& v) { return is_null(v) ? std::string() : to_text(v); }

std::optional<std::int64_t> parse_version(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  return std::stoll(text);
}

bool table_exists(Connection& c, const std::string& table) {
  if (c.dialect() == sql::Dialect::postgresql)
    return !c.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = "
                      "ANY (current_schemas(false)) AND table_name = $1",
                      {Value{table}}, {.name = "SCHEMA"})
                .empty();
  return !c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", {Value{table}},
                    {.name = "SCHEMA"})
              .empty();
}

std::set<std::string> columns_of(Connection& c, const std::string& table) {
  std::set<std::string> out;
  if (c.dialect() == sql::Dialect::postgresql) {
    auto r = c.execute("SELECT column_name::text FROM information_schema.columns WHERE table_schema = "
                       "ANY (current_schemas(false)) AND table_name = $1",
                       {Value{table}}, {.name = "SCHEMA"});
    for (const auto& row : r.rows) out.insert(text_of(row[0]));
  } else {
    auto r = c.execute("SELECT name FROM pragma_table_info($1)", {Value{table}}, {.name = "SCHEMA"});
    for (const auto& row : r.rows) out.insert(text_of(row[0]));
  }
  return out;
}

// Session-level advisory lock key: the first 8 bytes of a SHA-256 of the database name, so every
// migrator of one database (whatever config name points at it) uses the same key.
std::int64_t advisory_key(const std::string& database) {
  auto hex = sha256_hex("switchyard:migrate:" + database);
  std::uint64_t v = std::stoull(hex.substr(0, 16), nullptr, 16);
  std::int64_t key;
  std::memcpy(&key, &v, sizeof key);
  return key;
}

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4fs", s);
  return buf;
}

}  // namespace

// ---- the lock ------------------------------------------------------------------------------

class Migrator::Lock {
 public:
  virtual ~Lock() = default;
};

namespace {

class PgLock : public Migrator::Lock {
 public:
  PgLock(Connection& c, std::int64_t key) : c_(c), key_(key) {}
  ~PgLock() override {
    try {
      c_.execute("SELECT pg_advisory_unlock($1)", {Value{key_}}, {.name = "Migration Lock"});
    } catch (...) {
      // The server releases session locks when the session ends; nothing else to do.
    }
  }

 private:
  Connection& c_;
  std::int64_t key_;
};

class FileLock : public Migrator::Lock {
 public:
  explicit FileLock(int fd) : fd_(fd) {}
  ~FileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_;
};

class NoLock : public Migrator::Lock {};

}  // namespace

// Polls `try_once` until it succeeds or the timeout passes, announcing the wait once.
template <typename F>
static bool wait_for_lock(F try_once, double timeout, std::ostream* out, const std::string& db) {
  if (try_once()) return true;
  if (timeout <= 0) return false;
  if (out)
    *out << "Waiting for another migrator to release the migration lock on '" << db << "' (up to "
         << timeout << "s)\n" << std::flush;
  auto deadline = Clock::now() + std::chrono::duration<double>(timeout);
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (try_once()) return true;
  }
  return false;
}

std::unique_ptr<Migrator::Lock> Migrator::acquire_lock() {
  auto& c = connection();
  auto refuse = [&] {
    return ConcurrentMigrationError(
        "Cannot run migrations because another migration process is currently running "
        "(database '" + config_.name() + "'; waited " + std::to_string(static_cast<int>(options_.lock_timeout)) +
        "s for its lock).");
  };
  if (c.dialect() == sql::Dialect::postgresql) {
    auto db = text_of(c.execute("SELECT current_database()", {}, {.name = "Migration Lock"}).scalar());
    auto key = advisory_key(db);
    bool ok = wait_for_lock(
        [&] {
          return c.execute("SELECT pg_try_advisory_lock($1)", {Value{key}}, {.name = "Migration Lock"})
                     .scalar() == Value{true};
        },
        options_.lock_timeout, options_.out, config_.name());
    if (!ok) throw refuse();
    return std::make_unique<PgLock>(c, key);
  }
  auto path = sqlite_path(config_);
  if (path == ":memory:" || path.rfind("file:", 0) == 0) return std::make_unique<NoLock>();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw MigrationError("cannot open " + path + " to lock it: " + std::strerror(errno));
  bool ok = wait_for_lock([&] { return ::flock(fd, LOCK_EX | LOCK_NB) == 0; }, options_.lock_timeout,
                          options_.out, config_.name());
  if (!ok) {
    ::close(fd);
    throw refuse();
  }
  return std::make_unique<FileLock>(fd);
}

// ---- Migrator ------------------------------------------------------------------------------

Migrator::Migrator(DatabaseConfig config, MigratorOptions options)
    : config_(std::move(config)), options_(std::move(options)) {
  std::vector<std::filesystem::path> raw = options_.paths;
  if (raw.empty())
    for (const auto& p : config_.migrations_paths()) raw.emplace_back(p);
  for (const auto& p : raw) paths_.push_back(p.is_absolute() ? p : (options_.root / p).lexically_normal());
  migrations_ = load_migrations(config_.name(), paths_);
}

Migrator::~Migrator() = default;

Connection& Migrator::connection() {
  if (!connection_)
    connection_ = open_connection(config_, ConnectionIdentity{.connection_name = "switchyard:migrate",
                                                              .role = "writing",
                                                              .shard = "default",
                                                              .database = config_.name(),
                                                              .node = {}});
  return *connection_;
}

void Migrator::disconnect() { connection_.reset(); }

const Migration* Migrator::find(std::int64_t version) const {
  for (const auto& m : migrations_)
    if (m.version == version) return &m;
  return nullptr;
}

std::string Migrator::environment() const {
  return options_.environment.empty() ? config_.env_name() : options_.environment;
}

bool Migrator::initialized() { return table_exists(connection(), schema_migrations_table); }

std::vector<AppliedMigration> Migrator::applied() {
  auto& c = connection();
  if (!table_exists(c, schema_migrations_table)) return {};
  auto cols = columns_of(c, schema_migrations_table);
  std::string sql = "SELECT version";
  sql += cols.count("checksum") ? ", checksum" : ", NULL";
  if (cols.count("applied_at"))
    sql += c.dialect() == sql::Dialect::postgresql ? ", applied_at::text" : ", applied_at";
  else
    sql += ", NULL";
  sql += " FROM schema_migrations";
  auto r = c.execute(sql, {}, {.name = "ActiveRecord::SchemaMigration Load"});
  std::vector<AppliedMigration> out;
  for (const auto& row : r.rows) {
    auto v = parse_version(text_of(row[0]));
    if (!v) continue;  // not a version switchyard can order; left alone
    out.push_back({*v, text_of(row[1]), text_of(row[2])});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  return out;
}

std::vector<std::int64_t> Migrator::pending_versions() {
  std::set<std::int64_t> done;
  for (const auto& a : applied()) done.insert(a.version);
  std::vector<std::int64_t> out;
  for (const auto& m : migrations_)
    if (!done.count(m.version)) out.push_back(m.version);
  return out;
}

std::vector<MigrationStatus> Migrator::status() {
  std::map<std::int64_t, MigrationStatus> rows;
  for (const auto& m : migrations_) rows[m.version] = {false, m.version, m.display_name(), false, false};
  for (const auto& a : applied()) {
    auto it = rows.find(a.version);
    if (it == rows.end()) {
      rows[a.version] = {true, a.version, no_file_marker, true, false};
      continue;
    }
    it->second.up = true;
    const auto* m = find(a.version);
    it->second.edited = m && !m->checksum.empty() && !a.checksum.empty() && m->checksum != a.checksum;
  }
  std::vector<MigrationStatus> out;
  for (auto& [v, row] : rows) out.push_back(std::move(row));
  return out;
}

std::int64_t Migrator::current_version() {
  auto a = applied();
  return a.empty() ? 0 : a.back().version;
}

std::vector<MigrationStatus> Migrator::edited() {
  std::vector<MigrationStatus> out;
  for (auto& row : status())
    if (row.edited) out.push_back(row);
  return out;
}

std::optional<std::string> Migrator::stored_environment() {
  auto& c = connection();
  if (!table_exists(c, internal_metadata_table)) return std::nullopt;
  auto r = c.execute("SELECT value FROM switchyard_internal_metadata WHERE key = $1",
                     {Value{std::string("environment")}}, {.name = "InternalMetadata Load"});
  if (r.empty() || is_null(r.rows[0][0])) return std::nullopt;
  return text_of(r.rows[0][0]);
}

void Migrator::ensure_tables() {
  auto lock = acquire_lock();
  create_tables();
}

void Migrator::record_environment(const std::string& env) {
  auto lock = acquire_lock();
  create_tables();
  write_environment(env);
}

void Migrator::create_tables() {
  auto& c = connection();
  bool pg = c.dialect() == sql::Dialect::postgresql;
  const char* ts = pg ? "timestamp(6) without time zone" : "datetime(6)";
  if (!table_exists(c, schema_migrations_table)) {
    c.execute(std::string("CREATE TABLE schema_migrations (version character varying NOT NULL "
                          "PRIMARY KEY, checksum character varying, applied_at ") +
                  ts + " DEFAULT CURRENT_TIMESTAMP)",
              {}, {.name = "SCHEMA"});
  } else {
    // A schema_migrations made by Rails has only `version`: add switchyard's nullable columns.
    auto cols = columns_of(c, schema_migrations_table);
    if (!cols.count("checksum"))
      c.execute("ALTER TABLE schema_migrations ADD COLUMN checksum character varying", {}, {.name = "SCHEMA"});
    if (!cols.count("applied_at"))
      c.execute(std::string("ALTER TABLE schema_migrations ADD COLUMN applied_at ") + ts, {}, {.name = "SCHEMA"});
  }
  if (!table_exists(c, internal_metadata_table))
    c.execute(std::string("CREATE TABLE switchyard_internal_metadata (key character varying NOT NULL "
                          "PRIMARY KEY, value character varying, created_at ") +
                  ts + " NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at " + ts +
                  " NOT NULL DEFAULT CURRENT_TIMESTAMP)",
              {}, {.name = "SCHEMA"});
  write_environment(environment());
}

void Migrator::write_environment(const std::string& env) {
  auto& c = connection();
  auto r = c.execute("UPDATE switchyard_internal_metadata SET value = $1, updated_at = CURRENT_TIMESTAMP "
                     "WHERE key = 'environment' AND (value IS NULL OR value <> $1)",
                     {Value{env}}, {.name = "InternalMetadata Update"});
  (void)r;
  c.execute("INSERT INTO switchyard_internal_metadata (key, value) SELECT 'environment', $1 WHERE NOT "
            "EXISTS (SELECT 1 FROM switchyard_internal_metadata WHERE key = 'environment')",
            {Value{env}}, {.name = "InternalMetadata Create"});
}

void Migrator::check_edited() {
  if (options_.allow_edited) return;
  auto rows = edited();
  if (rows.empty()) return;
  std::string list;
  for (const auto& row : rows) {
    const auto* m = find(row.version);
    list += "\n  " + std::to_string(row.version) + " " + (m && m->up_path ? m->up_path->string() : row.name);
  }
  throw EditedMigrationError(
      "Applied migrations of database '" + config_.name() +
      "' were edited after they were applied (their checksum changed):" + list +
      "\nRevert the edit (put changes in a new migration), redo the migration, or pass "
      "--allow-edited to migrate anyway.");
}

void Migrator::announce(const Migration& m, const std::string& message) {
  if (!options_.out) return;
  std::string text = std::to_string(m.version) + " " + m.class_name();
  if (options_.label_database) text += " [" + config_.name() + "]";
  text += ": " + message;
  auto fill = text.size() < 75 ? 75 - text.size() : 0;
  *options_.out << "== " << text << " " << std::string(fill, '=') << "\n" << std::flush;
}

void Migrator::apply(const Migration& m, Direction direction) {
  bool up = direction == Direction::up;
  bool transactional = up ? m.up_transactional : m.down_transactional;
  auto& c = connection();
  announce(m, up ? "migrating" : "reverting");
  auto start = Clock::now();
  if (transactional) c.begin_transaction();
  try {
    if (m.is_sql()) {
      const auto& path = up ? *m.up_path : *m.down_path;
      auto text = read_text(path);
      auto statements = split_statements(text);
      ExecOptions options{.name = "Migration", .bind_names = {}, .route_reason = {}, .prepare = false};
      if (transactional || c.dialect() == sql::Dialect::sqlite3) {
        if (!statements.empty()) c.execute(text, {}, options);
      } else {
        // PostgreSQL runs a multi-statement string in one implicit transaction, which CREATE
        // INDEX CONCURRENTLY refuses: send each statement on its own.
        for (const auto& s : statements) c.execute(s, {}, options);
      }
    } else {
      (up ? m.up_fn : m.down_fn)(c);
    }
    if (up)
      c.execute("INSERT INTO schema_migrations (version, checksum, applied_at) VALUES ($1, $2, "
                "CURRENT_TIMESTAMP)",
                {Value{std::to_string(m.version)},
                 m.checksum.empty() ? Value{nullptr} : Value{m.checksum}},
                {.name = "ActiveRecord::SchemaMigration Create"});
    else
      c.execute("DELETE FROM schema_migrations WHERE version = $1", {Value{std::to_string(m.version)}},
                {.name = "ActiveRecord::SchemaMigration Destroy"});
    if (transactional) c.commit_transaction();
  } catch (const std::exception& e) {
    if (transactional) {
      try {
        c.rollback_transaction();
      } catch (...) {
      }
    }
    std::string where = m.is_sql() ? " (" + (up ? *m.up_path : *m.down_path).string() + ")" : " (C++)";
    std::string head = transactional
                           ? "An error has occurred, this and all later migrations canceled"
                           : "An error has occurred in a migration that runs outside a transaction "
                             "(its statements before the failing one stay applied; it was not "
                             "recorded); this and all later migrations canceled";
    throw MigrationError(head + ":\n\n" + config_.name() + " " + std::to_string(m.version) + " " +
                         m.class_name() + where + ": " + e.what());
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  announce(m, (up ? "migrated (" : "reverted (") + format_seconds(seconds) + ")");
}

std::vector<std::int64_t> Migrator::migrate(std::optional<std::int64_t> target) {
  if (target && *target != 0 && !find(*target))
    throw UnknownMigrationVersionError("No migration with version number " + std::to_string(*target) +
                                       " in database '" + config_.name() + "'.");
  auto lock = acquire_lock();
  create_tables();
  check_edited();
  auto done = applied();
  std::set<std::int64_t> applied_set;
  for (const auto& a : done) applied_set.insert(a.version);
  std::int64_t current = done.empty() ? 0 : done.back().version;
  std::vector<std::int64_t> ran;
  if (target && *target < current) {
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      if (it->version <= *target) break;
      const auto* m = find(it->version);
      if (!m)
        throw UnknownMigrationVersionError("No migration with version number " +
                                           std::to_string(it->version) + " in database '" +
                                           config_.name() + "'.");
      if (!m->reversible())
        throw IrreversibleMigration(std::to_string(m->version) + " " + m->class_name() +
                                    " cannot be reverted: it has no .down.sql (or down function)");
      apply(*m, Direction::down);
      ran.push_back(m->version);
    }
    return ran;
  }
  for (const auto& m : migrations_) {
    if (applied_set.count(m.version)) continue;
    if (target && m.version > *target) break;
    apply(m, Direction::up);
    ran.push_back(m.version);
  }
  return ran;
}

bool Migrator::run(Direction direction, std::int64_t version) {
  const auto* m = find(version);
  if (!m)
    throw UnknownMigrationVersionError("No migration with version number " + std::to_string(version) +
                                       " in database '" + config_.name() + "'.");
  auto lock = acquire_lock();
  create_tables();
  bool is_applied = false;
  for (const auto& a : applied()) is_applied = is_applied || a.version == version;
  if (direction == Direction::up) {
    if (is_applied) return false;
    check_edited();
  } else {
    if (!is_applied) return false;
    if (!m->reversible())
      throw IrreversibleMigration(std::to_string(m->version) + " " + m->class_name() +
                                  " cannot be reverted: it has no .down.sql (or down function)");
  }
  apply(*m, direction);
  return true;
}

std::vector<std::int64_t> Migrator::rollback(int steps) {
  if (steps < 1) throw TaskUsageError("STEP must be a positive number");
  auto lock = acquire_lock();
  create_tables();
  auto done = applied();
  std::vector<const Migration*> todo;
  for (auto it = done.rbegin(); it != done.rend() && static_cast<int>(todo.size()) < steps; ++it) {
    const auto* m = find(it->version);
    if (!m)
      throw UnknownMigrationVersionError("No migration with version number " + std::to_string(it->version) +
                                         " in database '" + config_.name() + "'.");
    if (!m->reversible())
      throw IrreversibleMigration(std::to_string(m->version) + " " + m->class_name() +
                                  " cannot be reverted: it has no .down.sql (or down function)");
    todo.push_back(m);
  }
  std::vector<std::int64_t> ran;
  for (const auto* m : todo) {
    apply(*m, Direction::down);
    ran.push_back(m->version);
  }
  return ran;
}

}  // namespace switchyard::migrate

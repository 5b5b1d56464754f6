#include "switchyard/sync/outbox.hpp"

#include <condition_variable>
#include <mutex>

#include "switchyard/connection/connection.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/sql/dialect.hpp"
#include "table_ops.hpp"

namespace switchyard::sync {

namespace {

using detail::now_ms_sql;

constexpr std::span<const Value> kNoBinds{};

// Runs `fn` in a transaction on `conn` (a savepoint when one is open), rolling back on error.
template <typename Fn>
auto in_transaction(Connection& conn, Fn&& fn) {
  conn.begin_transaction();
  try {
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      conn.commit_transaction();
    } else {
      auto r = fn();
      conn.commit_transaction();
      return r;
    }
  } catch (...) {
    try {
      conn.rollback_transaction();
    } catch (...) {
    }
    throw;
  }
}

std::string ddl(sql::Dialect d) {
  const bool pg = d == sql::Dialect::postgresql;
  const std::string id = pg ? "bigserial PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";
  const std::string now = now_ms_sql(d);
  const std::string big = pg ? "bigint" : "INTEGER";
  std::string s;
  s += std::string("CREATE TABLE IF NOT EXISTS ") + kOutboxTable + " (id " + id +
       ", table_name text NOT NULL, record_key text NOT NULL, operation text NOT NULL DEFAULT "
       "'upsert', enqueued_at " + big + " NOT NULL DEFAULT (" + now + "), attempts integer NOT "
       "NULL DEFAULT 0, last_error text, next_attempt_at " + big + " NOT NULL DEFAULT 0, "
       "claimed_by text, claimed_until " + big + ", origin text NOT NULL DEFAULT 'app');\n";
  s += std::string("CREATE INDEX IF NOT EXISTS switchyard_sync_outbox_queue ON ") + kOutboxTable +
       " (table_name, id);\n";
  s += std::string("CREATE INDEX IF NOT EXISTS switchyard_sync_outbox_key ON ") + kOutboxTable +
       " (table_name, record_key);\n";
  s += std::string("CREATE TABLE IF NOT EXISTS ") + kDeadTable + " (id " + id +
       ", outbox_id " + big + ", table_name text NOT NULL, record_key text NOT NULL, operation "
       "text NOT NULL, enqueued_at " + big + ", failed_at " + big + " NOT NULL DEFAULT (" + now +
       "), attempts integer NOT NULL DEFAULT 0, last_error text, origin text);\n";
  s += std::string("CREATE INDEX IF NOT EXISTS switchyard_sync_dead_queue ON ") + kDeadTable +
       " (table_name, id);\n";
  s += std::string("CREATE TABLE IF NOT EXISTS ") + kCheckpointTable +
       " (name text PRIMARY KEY, last_key text, rows_done " + big + " NOT NULL DEFAULT 0, "
       "started_at " + big + ", updated_at " + big + ", finished_at " + big + ");\n";
  s += std::string("CREATE TABLE IF NOT EXISTS ") + kStateTable +
       " (name text PRIMARY KEY, value text);\n";
  return s;
}

std::string trigger_suffix(std::string_view table) {
  std::string out;
  for (char c : table) out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

constexpr const char* kPgCaptureFunction = R"SQL(
CREATE OR REPLACE FUNCTION switchyard_sync_capture() RETURNS trigger LANGUAGE plpgsql AS $sy$
DECLARE
  new_key text;
  old_key text;
BEGIN
  -- Writes made by a sync worker carry switchyard.sync_origin: never sync them back.
  IF coalesce(current_setting('switchyard.sync_origin', true), '') <> '' THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN old_key := to_jsonb(OLD) ->> TG_ARGV[0]; END IF;
  IF TG_OP <> 'DELETE' THEN new_key := to_jsonb(NEW) ->> TG_ARGV[0]; END IF;
  IF old_key IS NOT NULL AND old_key IS DISTINCT FROM new_key THEN
    INSERT INTO switchyard_sync_outbox (table_name, record_key, operation, origin)
    VALUES (TG_ARGV[1], old_key, 'delete', 'trigger');
  END IF;
  IF new_key IS NOT NULL THEN
    INSERT INTO switchyard_sync_outbox (table_name, record_key, operation, origin)
    VALUES (TG_ARGV[1], new_key, 'upsert', 'trigger');
  END IF;
  RETURN NULL;
END
$sy$;
)SQL";

std::mutex g_wake_mutex;
std::condition_variable g_wake_cv;
std::uint64_t g_wake_generation = 0;

thread_local bool t_suppress = false;

}  // namespace

std::string_view to_string(Operation op) noexcept {
  return op == Operation::upsert ? "upsert" : "delete";
}

void install_outbox(Connection& conn) {
  in_transaction(conn, [&] {
    if (conn.dialect() == sql::Dialect::postgresql) {
      // "already exists, skipping" notices are noise here.
      conn.execute("SET LOCAL client_min_messages = warning", kNoBinds, {.name = "SYNC Install"});
      conn.execute("SELECT pg_advisory_xact_lock(hashtext('switchyard_sync_install'))", kNoBinds,
                   {.name = "SYNC Install"});
    }
    conn.execute(ddl(conn.dialect()), kNoBinds, {.name = "SYNC Install"});
  });
}

bool outbox_installed(Connection& conn) {
  return detail::table_exists(conn, kOutboxTable) && detail::table_exists(conn, kStateTable);
}

void enqueue(Connection& conn, std::string_view table, std::string_view record_key, Operation op,
             std::string_view origin) {
  conn.execute(std::string("INSERT INTO ") + kOutboxTable +
                   " (table_name, record_key, operation, origin) VALUES ($1, $2, $3, $4)",
               {Value{std::string(table)}, Value{std::string(record_key)},
                Value{std::string(to_string(op))}, Value{std::string(origin)}},
               {.name = "SYNC Enqueue", .prepare = true});
}

void enqueue_many(Connection& conn, std::string_view table,
                  const std::vector<std::string>& record_keys, std::string_view origin) {
  constexpr std::size_t kChunk = 1000;
  for (std::size_t start = 0; start < record_keys.size(); start += kChunk) {
    const std::size_t n = std::min(kChunk, record_keys.size() - start);
    std::string sql = std::string("INSERT INTO ") + kOutboxTable +
                      " (table_name, record_key, operation, origin) VALUES ";
    std::vector<Value> binds{Value{std::string(table)}, Value{std::string(origin)}};
    for (std::size_t i = 0; i < n; ++i) {
      sql += (i ? ", " : "") + std::string("($1, ") + sql::placeholder(static_cast<int>(i) + 3) +
             ", 'upsert', $2)";
      binds.push_back(Value{record_keys[start + i]});
    }
    conn.execute(sql, binds, {.name = "SYNC Enqueue"});
  }
}

std::string detail::quote_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

void install_capture_trigger(Connection& conn, std::string_view table, std::string_view key) {
  if (!outbox_installed(conn)) install_outbox(conn);
  const std::string qt = sql::quote_qualified(table);
  const std::string lit_table = detail::quote_literal(table);
  if (conn.dialect() == sql::Dialect::postgresql) {
    in_transaction(conn, [&] {
      conn.execute("SET LOCAL client_min_messages = warning", kNoBinds, {.name = "SYNC Install"});
      conn.execute("SELECT pg_advisory_xact_lock(hashtext('switchyard_sync_install'))", kNoBinds,
                   {.name = "SYNC Install"});
      conn.execute(kPgCaptureFunction, kNoBinds, {.name = "SYNC Install"});
      remove_capture_trigger(conn, table);
      conn.execute("CREATE TRIGGER switchyard_sync_capture AFTER INSERT OR UPDATE OR DELETE ON " +
                       qt + " FOR EACH ROW EXECUTE FUNCTION switchyard_sync_capture(" +
                       detail::quote_literal(key) + ", " + lit_table + ")",
                   kNoBinds, {.name = "SYNC Install"});
    });
    return;
  }
  const std::string k = sql::quote_identifier(key);
  const std::string base = "switchyard_sync_capture_" + trigger_suffix(table);
  const std::string when = std::string(" WHEN NOT EXISTS (SELECT 1 FROM ") + kStateTable +
                           " WHERE name = 'suppress_capture')";
  const std::string insert = std::string("INSERT INTO ") + kOutboxTable +
                             " (table_name, record_key, operation, origin) ";
  in_transaction(conn, [&] {
    remove_capture_trigger(conn, table);
    conn.execute("CREATE TRIGGER " + sql::quote_identifier(base + "_ins") + " AFTER INSERT ON " +
                     qt + when + " BEGIN " + insert + "VALUES (" + lit_table + ", CAST(NEW." + k +
                     " AS TEXT), 'upsert', 'trigger'); END",
                 kNoBinds, {.name = "SYNC Install"});
    conn.execute("CREATE TRIGGER " + sql::quote_identifier(base + "_upd") + " AFTER UPDATE ON " +
                     qt + when + " BEGIN " + insert + "SELECT " + lit_table + ", CAST(OLD." + k +
                     " AS TEXT), 'delete', 'trigger' WHERE OLD." + k + " IS NOT NEW." + k + "; " +
                     insert + "VALUES (" + lit_table + ", CAST(NEW." + k +
                     " AS TEXT), 'upsert', 'trigger'); END",
                 kNoBinds, {.name = "SYNC Install"});
    conn.execute("CREATE TRIGGER " + sql::quote_identifier(base + "_del") + " AFTER DELETE ON " +
                     qt + when + " BEGIN " + insert + "VALUES (" + lit_table + ", CAST(OLD." + k +
                     " AS TEXT), 'delete', 'trigger'); END",
                 kNoBinds, {.name = "SYNC Install"});
  });
}

void remove_capture_trigger(Connection& conn, std::string_view table) {
  if (conn.dialect() == sql::Dialect::postgresql) {
    if (capture_trigger_installed(conn, table))
      conn.execute("DROP TRIGGER switchyard_sync_capture ON " + sql::quote_qualified(table),
                   kNoBinds, {.name = "SYNC Install"});
    return;
  }
  const std::string base = "switchyard_sync_capture_" + trigger_suffix(table);
  for (const char* suffix : {"_ins", "_upd", "_del"})
    conn.execute("DROP TRIGGER IF EXISTS " + sql::quote_identifier(base + suffix), kNoBinds,
                 {.name = "SYNC Install"});
}

bool capture_trigger_installed(Connection& conn, std::string_view table) {
  Result r;
  if (conn.dialect() == sql::Dialect::postgresql) {
    r = conn.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgname = 'switchyard_sync_capture' AND tgrelid = "
        "to_regclass($1)",
        {Value{sql::quote_qualified(table)}}, {.name = "SYNC Schema"});
  } else {
    r = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = $1",
                     {Value{"switchyard_sync_capture_" + trigger_suffix(table) + "_ins"}},
                     {.name = "SYNC Schema"});
  }
  auto v = r.scalar();
  return std::holds_alternative<std::int64_t>(v) && std::get<std::int64_t>(v) > 0;
}

std::vector<OutboxStatus> status(Connection& conn, std::string_view table) {
  const std::string now = now_ms_sql(conn.dialect());
  std::vector<Value> binds;
  std::string where;
  if (!table.empty()) {
    binds.push_back(Value{std::string(table)});
    where = " WHERE table_name = $1";
  }
  std::map<std::string, OutboxStatus> by_table;
  auto entry = [&](const std::string& t) -> OutboxStatus& {
    auto& s = by_table[t];
    s.table = t;
    return s;
  };
  if (!table.empty()) entry(std::string(table));
  auto as_int = [](const Value& v) -> std::int64_t {
    if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
    if (auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
    if (auto* s = std::get_if<std::string>(&v)) return std::atoll(s->c_str());
    return 0;
  };
  auto r = conn.execute(
      "SELECT table_name, count(*), sum(CASE WHEN next_attempt_at <= " + now +
          " THEN 1 ELSE 0 END), sum(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), sum(CASE WHEN "
          "claimed_until >= " + now + " THEN 1 ELSE 0 END), " + now + " - min(enqueued_at) FROM " +
          kOutboxTable + where + " GROUP BY table_name",
      binds, {.name = "SYNC Status"});
  for (const auto& row : r.rows) {
    auto& s = entry(to_text(row[0]));
    s.backlog = as_int(row[1]);
    s.ready = as_int(row[2]);
    s.retrying = as_int(row[3]);
    s.claimed = as_int(row[4]);
    if (!is_null(row[5])) s.oldest_age_seconds = static_cast<double>(as_int(row[5])) / 1000.0;
  }
  r = conn.execute(std::string("SELECT table_name, count(*) FROM ") + kDeadTable + where +
                       " GROUP BY table_name",
                   binds, {.name = "SYNC Status"});
  for (const auto& row : r.rows) entry(to_text(row[0])).dead = as_int(row[1]);
  r = conn.execute(std::string("SELECT substr(name, 8) FROM ") + kStateTable +
                       " WHERE name LIKE 'paused:%'",
                   kNoBinds, {.name = "SYNC Status"});
  for (const auto& row : r.rows) {
    const std::string t = to_text(row[0]);
    if (table.empty() || t == table) entry(t).paused = true;
  }
  for (auto& [t, s] : by_table) {
    auto e = conn.execute(
        std::string("SELECT last_error FROM (SELECT last_error, id FROM ") + kOutboxTable +
            " WHERE table_name = $1 AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1) o "
            "UNION ALL SELECT last_error FROM (SELECT last_error, id FROM " + kDeadTable +
            " WHERE table_name = $1 ORDER BY id DESC LIMIT 1) d",
        {Value{t}}, {.name = "SYNC Status"});
    if (!e.rows.empty() && !is_null(e.rows[0][0])) s.last_error = to_text(e.rows[0][0]);
  }
  std::vector<OutboxStatus> out;
  for (auto& [t, s] : by_table) out.push_back(std::move(s));
  return out;
}

void pause(Connection& conn, std::string_view table) {
  conn.execute(std::string("INSERT INTO ") + kStateTable +
                   " (name, value) VALUES ($1, '1') ON CONFLICT (name) DO UPDATE SET value = '1'",
               {Value{"paused:" + std::string(table)}}, {.name = "SYNC Pause"});
}

void resume(Connection& conn, std::string_view table) {
  conn.execute(std::string("DELETE FROM ") + kStateTable + " WHERE name = $1",
               {Value{"paused:" + std::string(table)}}, {.name = "SYNC Resume"});
  wake_workers();
}

bool paused(Connection& conn, std::string_view table) {
  auto r = conn.execute(std::string("SELECT count(*) FROM ") + kStateTable + " WHERE name = $1",
                        {Value{"paused:" + std::string(table)}},
                        {.name = "SYNC State", .prepare = true});
  auto v = r.scalar();
  return std::holds_alternative<std::int64_t>(v) && std::get<std::int64_t>(v) > 0;
}

std::int64_t flush(Connection& conn, std::string_view table, bool include_dead) {
  return in_transaction(conn, [&] {
    std::int64_t n = conn.execute(std::string("DELETE FROM ") + kOutboxTable +
                                      " WHERE table_name = $1",
                                  {Value{std::string(table)}}, {.name = "SYNC Flush"})
                         .affected_rows;
    if (include_dead)
      n += conn.execute(std::string("DELETE FROM ") + kDeadTable + " WHERE table_name = $1",
                        {Value{std::string(table)}}, {.name = "SYNC Flush"})
               .affected_rows;
    return n;
  });
}

std::int64_t retry_dead(Connection& conn, std::string_view table) {
  auto n = in_transaction(conn, [&] {
    std::int64_t moved =
        conn.execute(std::string("INSERT INTO ") + kOutboxTable +
                         " (table_name, record_key, operation, origin) SELECT table_name, "
                         "record_key, operation, 'retry' FROM " + kDeadTable +
                         " WHERE table_name = $1 ORDER BY id",
                     {Value{std::string(table)}}, {.name = "SYNC Retry"})
            .affected_rows;
    conn.execute(std::string("DELETE FROM ") + kDeadTable + " WHERE table_name = $1",
                 {Value{std::string(table)}}, {.name = "SYNC Retry"});
    return moved;
  });
  wake_workers();
  return n;
}

void wake_workers() noexcept {
  {
    std::lock_guard lock(g_wake_mutex);
    ++g_wake_generation;
  }
  g_wake_cv.notify_all();
}

std::uint64_t detail::wake_generation() noexcept {
  std::lock_guard lock(g_wake_mutex);
  return g_wake_generation;
}

void detail::wait_for_wake(std::uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(g_wake_mutex);
  g_wake_cv.wait_for(lock, timeout, [&] { return g_wake_generation != seen; });
}

void detail::interrupt_waits() noexcept { wake_workers(); }

SuppressCapture::SuppressCapture() noexcept : previous_(t_suppress) { t_suppress = true; }
SuppressCapture::~SuppressCapture() { t_suppress = previous_; }
bool SuppressCapture::active() noexcept { return t_suppress; }

}  // namespace switchyard::sync

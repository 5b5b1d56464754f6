// The sync:* commands of the `switchyard` CLI (see include/switchyard/sync/commands.hpp).
#include "switchyard/sync/commands.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>

#include "switchyard/cli/command.hpp"
#include "switchyard/config/database_configurations.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/sync/backfill.hpp"
#include "switchyard/sync/outbox.hpp"
#include "switchyard/sync/verify.hpp"
#include "switchyard/sync/worker.hpp"

namespace switchyard::sync {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Options that take a value, and flags.
const std::set<std::string> kValued = {
    "--config", "--env",        "--table",      "--from",        "--to",
    "--key",    "--target-table", "--replica",  "--where",       "--columns",
    "--map",    "--batch",      "--rate",       "--max-attempts", "--worker-id",
    "--threads", "--poll-ms",   "--claim-lease-ms", "--range-size", "--leaf-size",
    "--duration", "--max-batches", "--retry-base-ms"};
const std::set<std::string> kFlags = {"--once",    "--yes",      "--dead",    "--repair",
                                      "--overwrite", "--restart", "--no-copy", "--no-replica",
                                      "--quiet",   "--capture",  "--remove",  "--progress"};

struct Args {
  std::string command;
  std::map<std::string, std::string> values;
  std::set<std::string> flags;

  bool has(const std::string& k) const { return values.count(k) > 0; }
  bool flag(const std::string& k) const { return flags.count(k) > 0; }
  std::string get(const std::string& k, const std::string& fallback = "") const {
    auto it = values.find(k);
    return it == values.end() ? fallback : it->second;
  }
  double number(const std::string& k, double fallback) const {
    if (!has(k)) return fallback;
    char* end = nullptr;
    const std::string v = get(k);
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end) throw Usage(k + " needs a number, got '" + v + "'");
    return d;
  }
};

Args parse(const std::vector<std::string>& args) {
  Args a;
  if (args.empty()) throw Usage("no command");
  a.command = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string k = args[i];
    std::string v;
    bool inline_value = false;
    if (auto eq = k.find('='); k.rfind("--", 0) == 0 && eq != std::string::npos) {
      v = k.substr(eq + 1);
      k = k.substr(0, eq);
      inline_value = true;
    }
    if (kValued.count(k)) {
      if (!inline_value) {
        if (i + 1 >= args.size()) throw Usage(k + " needs a value");
        v = args[++i];
      }
      a.values[k] = v;
    } else if (kFlags.count(k) && !inline_value) {
      a.flags.insert(k);
    } else {
      throw Usage("unknown option '" + k + "' for " + a.command);
    }
  }
  return a;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep))
    if (!cur.empty()) out.push_back(cur);
  return out;
}

DatabaseConfigurations load_configs(const Args& a) {
  std::string path = a.get("--config");
  if (path.empty()) {
    for (const char* p : {"config/database.json", "config/database.yml", "config/database.yaml"})
      if (std::filesystem::exists(p)) {
        path = p;
        break;
      }
  }
  if (path.empty()) throw Usage("no --config given and no config/database.{json,yml} here");
  const std::string env = a.get("--env", DatabaseConfigurations::current_env());
  return DatabaseConfigurations::load_file(path, env);
}

DatabaseConfig source_config(const Args& a, const DatabaseConfigurations& configs) {
  if (a.has("--from")) return configs.resolve(a.get("--from"));
  auto primary = configs.primary();
  if (!primary) throw Usage("no --from given and the environment has no primary database");
  return *primary;
}

TableSync table_spec(const Args& a, const DatabaseConfigurations& configs) {
  TableSync spec;
  spec.table = a.get("--table");
  if (spec.table.empty()) throw Usage(a.command + " needs --table");
  spec.key = a.get("--key", "id");
  spec.target_table = a.get("--target-table");
  spec.source = source_config(a, configs);
  std::string to = a.get("--to");
  if (to.empty()) to = spec.source.string("sync_target").value_or("");
  if (to.empty())
    throw Usage(a.command + " needs --to (or a sync_target setting on " + spec.source.name() +
                ")");
  spec.target = configs.resolve(to);
  if (!a.flag("--no-replica")) {
    if (a.has("--replica")) {
      spec.source_replica = configs.resolve(a.get("--replica"));
    } else if (auto r = configs.find(configs.env(), spec.source.name() + "_replica")) {
      spec.source_replica = *r;
    }
  }
  spec.filter = a.get("--where");
  spec.columns = split(a.get("--columns"), ',');
  for (const auto& pair : split(a.get("--map"), ',')) {
    auto colon = pair.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == pair.size())
      throw Usage("--map takes source:target pairs, got '" + pair + "'");
    spec.rename[pair.substr(0, colon)] = pair.substr(colon + 1);
  }
  return spec;
}

std::unique_ptr<Connection> open_source(const Args& a, const DatabaseConfigurations& configs) {
  ConnectionIdentity id;
  id.connection_name = "switchyard_sync";
  return open_connection(source_config(a, configs), id);
}

std::string need_table(const Args& a) {
  auto t = a.get("--table");
  if (t.empty()) throw Usage(a.command + " needs --table");
  return t;
}

std::string age(std::optional<double> s) {
  if (!s) return "-";
  std::ostringstream o;
  o << std::fixed << std::setprecision(1) << *s << "s";
  return o.str();
}

int cmd_install(const Args& a, std::ostream& out) {
  auto configs = load_configs(a);
  auto conn = open_source(a, configs);
  install_outbox(*conn);
  out << "sync: outbox tables ready in " << conn->config().name() << "\n";
  if (a.flag("--capture")) {
    const auto table = need_table(a);
    install_capture_trigger(*conn, table, a.get("--key", "id"));
    out << "sync: capture trigger installed on " << table << "\n";
  }
  return 0;
}

int cmd_capture(const Args& a, std::ostream& out) {
  auto configs = load_configs(a);
  auto conn = open_source(a, configs);
  const auto table = need_table(a);
  if (a.flag("--remove")) {
    remove_capture_trigger(*conn, table);
    out << "sync: capture trigger removed from " << table << "\n";
  } else {
    install_capture_trigger(*conn, table, a.get("--key", "id"));
    out << "sync: capture trigger installed on " << table << " (key " << a.get("--key", "id")
        << ")\n";
  }
  return 0;
}

int cmd_status(const Args& a, std::ostream& out) {
  auto configs = load_configs(a);
  auto conn = open_source(a, configs);
  if (!outbox_installed(*conn)) {
    out << "sync: no outbox in " << conn->config().name() << " (run sync:install)\n";
    return 1;
  }
  auto rows = status(*conn, a.get("--table"));
  out << std::left << std::setw(24) << "table" << std::right << std::setw(10) << "backlog"
      << std::setw(8) << "ready" << std::setw(10) << "retrying" << std::setw(9) << "claimed"
      << std::setw(8) << "dead" << std::setw(12) << "oldest" << "  state\n";
  for (const auto& s : rows) {
    out << std::left << std::setw(24) << s.table << std::right << std::setw(10) << s.backlog
        << std::setw(8) << s.ready << std::setw(10) << s.retrying << std::setw(9) << s.claimed
        << std::setw(8) << s.dead << std::setw(12) << age(s.oldest_age_seconds) << "  "
        << (s.paused ? "paused" : "running") << "\n";
    if (s.last_error) out << "  last error: " << *s.last_error << "\n";
  }
  if (rows.empty()) out << "(empty)\n";
  return 0;
}

int cmd_pause_resume(const Args& a, std::ostream& out, bool pause_it) {
  auto configs = load_configs(a);
  auto conn = open_source(a, configs);
  const auto table = need_table(a);
  if (!outbox_installed(*conn)) install_outbox(*conn);
  if (pause_it) pause(*conn, table);
  else resume(*conn, table);
  out << "sync: " << table << (pause_it ? " paused" : " resumed") << "\n";
  return 0;
}

int cmd_flush(const Args& a, std::ostream& out, std::ostream& err) {
  auto configs = load_configs(a);
  const auto table = need_table(a);
  auto conn = open_source(a, configs);
  if (!a.flag("--yes")) {
    auto s = status(*conn, table);
    err << "sync:flush deletes the " << (s.empty() ? 0 : s[0].backlog)
        << " waiting outbox row(s) of " << table
        << (a.flag("--dead") ? " and its dead letters" : "")
        << "; changes they describe reach the target only through a later backfill/verify "
           "--repair. Run again with --yes to do it.\n";
    return 1;
  }
  auto n = flush(*conn, table, a.flag("--dead"));
  out << "sync: flushed " << n << " row(s) of " << table << "\n";
  return 0;
}

int cmd_retry_dead(const Args& a, std::ostream& out) {
  auto configs = load_configs(a);
  auto conn = open_source(a, configs);
  const auto table = need_table(a);
  auto n = retry_dead(*conn, table);
  out << "sync: " << n << " dead letter(s) of " << table << " back in the outbox\n";
  return 0;
}

WorkerOptions worker_options(const Args& a) {
  WorkerOptions o;
  o.worker_id = a.get("--worker-id");
  o.batch_size = static_cast<std::size_t>(a.number("--batch", 500));
  o.rows_per_second = a.number("--rate", 0);
  o.max_attempts = static_cast<int>(a.number("--max-attempts", 10));
  o.poll_interval = std::chrono::milliseconds(static_cast<long>(a.number("--poll-ms", 200)));
  o.claim_lease =
      std::chrono::milliseconds(static_cast<long>(a.number("--claim-lease-ms", 120000)));
  o.retry_base = std::chrono::milliseconds(static_cast<long>(a.number("--retry-base-ms", 500)));
  return o;
}

int cmd_work(const Args& a, std::ostream& out, std::ostream& err) {
  auto configs = load_configs(a);
  auto spec = table_spec(a, configs);
  auto opts = worker_options(a);
  const int threads = std::max(1, static_cast<int>(a.number("--threads", 1)));
  const double duration = a.number("--duration", 0);
  const bool quiet = a.flag("--quiet");
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) {
    auto o = opts;
    if (!o.worker_id.empty() && threads > 1) o.worker_id += ":" + std::to_string(i);
    workers.push_back(std::make_unique<Worker>(spec, o));
  }
  if (!quiet)
    err << "sync:work " << spec.describe() << " (" << threads << " worker(s)"
        << (spec.source_replica ? ", replica " + spec.source_replica->name() : "") << ")\n";
  if (a.flag("--once")) {
    std::size_t total = 0;
    for (auto& w : workers) total += w->drain();
    out << "sync: " << total << " outbox row(s) done\n";
  } else {
    g_stop = false;
    auto old_int = std::signal(SIGINT, on_signal);
    auto old_term = std::signal(SIGTERM, on_signal);
    std::vector<std::thread> pool;
    for (auto& w : workers) pool.emplace_back([&w] { w->run(g_stop); });
    const auto t0 = std::chrono::steady_clock::now();
    while (!g_stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (duration > 0 &&
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >= duration)
        g_stop = true;
    }
    wake_workers();
    for (auto& t : pool) t.join();
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
  }
  WorkerStats total;
  for (auto& w : workers) {
    auto s = w->stats();
    total.batches += s.batches;
    total.outbox_rows_done += s.outbox_rows_done;
    total.records_upserted += s.records_upserted;
    total.records_deleted += s.records_deleted;
    total.dead_letters += s.dead_letters;
    total.unavailable += s.unavailable;
    if (!s.last_error.empty()) total.last_error = s.last_error;
  }
  if (!quiet) {
    err << "sync:work done: " << total.outbox_rows_done << " outbox rows, "
        << total.records_upserted << " upserted, " << total.records_deleted << " deleted, "
        << total.dead_letters << " dead, " << total.batches << " batches\n";
    if (!total.last_error.empty()) err << "  last error: " << total.last_error << "\n";
  }
  return 0;
}

int cmd_backfill(const Args& a, std::ostream& out, std::ostream& err) {
  auto configs = load_configs(a);
  auto spec = table_spec(a, configs);
  BackfillOptions o;
  o.batch_size = static_cast<std::size_t>(
      a.number("--batch", static_cast<double>(sync::BackfillOptions{}.batch_size)));
  o.rows_per_second = a.number("--rate", 0);
  o.overwrite = a.flag("--overwrite");
  o.restart = a.flag("--restart");
  o.use_copy = !a.flag("--no-copy");
  o.max_batches = static_cast<std::size_t>(a.number("--max-batches", 0));
  if (!a.flag("--quiet")) o.progress = &err;
  auto r = backfill(spec, o);
  out << "sync:backfill " << spec.describe() << ": " << r.rows_copied << " row(s) read, "
      << r.rows_inserted << " new on target, " << r.requeued << " requeued, " << r.batches
      << " batch(es)" << (r.used_copy ? " via COPY" : "") << (r.resumed ? ", resumed" : "")
      << (r.finished ? ", finished" : ", NOT finished (run again to resume)") << " in "
      << std::fixed << std::setprecision(2) << r.seconds << "s\n";
  return 0;
}

int cmd_verify(const Args& a, std::ostream& out, std::ostream& err) {
  auto configs = load_configs(a);
  auto spec = table_spec(a, configs);
  spec.source_replica.reset();  // verify reads the primary: a lagging replica is not a difference
  VerifyOptions o;
  o.repair = a.flag("--repair");
  o.range_size = static_cast<std::size_t>(a.number("--range-size", 10000));
  o.leaf_size = static_cast<std::size_t>(a.number("--leaf-size", 256));
  if (a.flag("--progress")) o.progress = &err;
  auto r = verify(spec, o);
  out << "sync:verify " << spec.describe() << ": source " << r.source_rows << " row(s), target "
      << r.target_rows << " row(s), " << r.ranges << " range(s) ("
      << (r.server_side ? "server checksums" : "client checksums") << "), " << r.differences
      << " differing key(s)\n";
  for (const auto& d : r.differing) out << "  " << d.key << ": " << to_string(d.kind) << "\n";
  if (r.repaired) out << "sync:verify: " << r.repaired << " key(s) enqueued for repair\n";
  return r.equal() ? 0 : 1;
}

const std::vector<std::pair<std::string, std::string>> kCommands = {
    {"sync:install", "create the outbox tables in the source (--capture: and the trigger)"},
    {"sync:capture", "install (or --remove) the trigger that enqueues every change of --table"},
    {"sync:work", "run the sync worker for --table (--once: drain and exit)"},
    {"sync:status", "backlog, dead letters, oldest age and paused state per table"},
    {"sync:pause", "pause every worker of --table"},
    {"sync:resume", "resume the workers of --table"},
    {"sync:flush", "delete the waiting outbox rows of --table (needs --yes; --dead too)"},
    {"sync:retry-dead", "move the dead letters of --table back into the outbox"},
    {"sync:backfill", "copy existing rows in key order, resumable (--overwrite, --restart)"},
    {"sync:verify", "compare both sides by range checksums (--repair enqueues differences)"},
    {"sync:help", "the options of the sync commands"},
};

void help(std::ostream& out) {
  out << "switchyard sync commands:\n";
  for (const auto& [name, text] : kCommands)
    out << "  " << std::left << std::setw(18) << name << text << "\n";
  out << "\ncommon options: --config FILE --env ENV --from SOURCE --to TARGET --table T\n"
         "  --key COLUMN (id) --target-table T --replica NAME | --no-replica --where SQL\n"
         "  --columns a,b,c --map src:dst,...\n"
         "sync:work: --batch N --rate ROWS/S --threads N --max-attempts N --poll-ms MS\n"
         "  --claim-lease-ms MS --retry-base-ms MS --worker-id ID --once --duration S --quiet\n"
         "sync:backfill: --batch N --rate ROWS/S --overwrite --restart --no-copy --max-batches N\n"
         "sync:verify: --repair --range-size N --leaf-size N --progress\n";
}

// Registration with the `switchyard` command: each sync:* command takes its arguments unparsed
// (CLI11 prefix mode) and hands them to sync_main, with the global --config / --env added.
class SyncCommand : public cli::Command {
 public:
  explicit SyncCommand(std::string name) : name_(std::move(name)) {}
  void configure(CLI::App& app) override {
    app.prefix_command();
    app_ = &app;
  }
  int run(cli::Context& ctx) override {
    std::vector<std::string> args{name_};
    for (auto& a : app_->remaining()) args.push_back(a);
    auto given = [&](const std::string& opt) {
      for (const auto& a : args)
        if (a == opt || a.rfind(opt + "=", 0) == 0) return true;
      return false;
    };
    if (!given("--config")) {
      auto path = ctx.config_path();
      if (!ctx.globals().config.empty() || std::filesystem::exists(path)) {
        args.push_back("--config");
        args.push_back(path.string());
      }
    }
    if (!given("--env")) {
      args.push_back("--env");
      args.push_back(ctx.env());
    }
    return sync_main(args, ctx.out(), ctx.err());
  }

 private:
  std::string name_;
  CLI::App* app_ = nullptr;
};

const bool registered = [] {
  for (const auto& [name, text] : kCommands) {
    cli::CommandInfo info;
    info.name = name;
    info.description = name == "sync:help" ? text : text + " (sync:help for options)";
    info.factory = [n = name] { return std::make_unique<SyncCommand>(n); };
    info.group = "Sync";
    cli::register_command(std::move(info));
  }
  return true;
}();

}  // namespace

std::vector<std::pair<std::string, std::string>> sync_command_summaries() { return kCommands; }

int sync_main(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
  try {
    if (args.empty() || args[0] == "sync:help" || args[0] == "sync" || args[0] == "--help") {
      help(out);
      return args.empty() ? 2 : 0;
    }
    auto a = parse(args);
    const auto& c = a.command;
    if (c == "sync:install") return cmd_install(a, out);
    if (c == "sync:capture") return cmd_capture(a, out);
    if (c == "sync:status") return cmd_status(a, out);
    if (c == "sync:pause") return cmd_pause_resume(a, out, true);
    if (c == "sync:resume") return cmd_pause_resume(a, out, false);
    if (c == "sync:flush") return cmd_flush(a, out, err);
    if (c == "sync:retry-dead") return cmd_retry_dead(a, out);
    if (c == "sync:work") return cmd_work(a, out, err);
    if (c == "sync:backfill") return cmd_backfill(a, out, err);
    if (c == "sync:verify") return cmd_verify(a, out, err);
    err << "unknown command '" << c << "'\n";
    help(err);
    return 2;
  } catch (const Usage& e) {
    err << "switchyard " << (args.empty() ? "" : args[0]) << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "switchyard " << (args.empty() ? "" : args[0]) << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace switchyard::sync

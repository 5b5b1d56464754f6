#include "switchyard/http/database_selector.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <set>
#include <tuple>

#include "switchyard/connection/connection_handler.hpp"
#include "switchyard/context/connection_handling.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/http/signed_cookie.hpp"
#include "switchyard/instrument/notifications.hpp"

namespace switchyard::http {
namespace {

bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

void emit(const char* name, std::string_view resolver, std::string_view reason,
          const Request& request) {
  instrument::emit(instrument::Event{name,
                                     {{"resolver", resolver},
                                      {"reason", reason},
                                      {"method", request.method},
                                      {"path", request.path}}});
}

// ---- time window ------------------------------------------------------------------------------

class TimeWindowResolver final : public Resolver {
 public:
  explicit TimeWindowResolver(std::shared_ptr<const DatabaseSelectorOptions> options)
      : options_(std::move(options)) {}
  std::string_view name() const override { return "time_window"; }

  bool replica_ok(SelectorContext& context, std::string& reason) override {
    const auto& s = context.state();
    const std::int64_t now = options_->clock();
    if (s.primary_until_ms && now < *s.primary_until_ms) {
      reason = "fail_safe_window";
      return false;
    }
    // Rails: Time.now - last_write >= delay (exactly the delay counts as enough).
    if (s.last_write_ms && now - *s.last_write_ms < options_->delay.count()) {
      reason = "recent_write";
      return false;
    }
    reason = s.last_write_ms ? "delay_passed" : "no_recent_write";
    return true;
  }

  void write(SelectorContext& context, const Next& app) override {
    struct Record {
      SelectorContext& context;
      const DatabaseSelectorOptions& options;
      ~Record() { context.state().last_write_ms = options.clock(); }
    } record{context, *options_};
    app();
  }

 private:
  std::shared_ptr<const DatabaseSelectorOptions> options_;
};

// ---- WAL position ----------------------------------------------------------------------------

// The writing pools a write request's thread sent statements to (from the instrumentation: the
// subscriber runs on the emitting thread, so a thread-local pointer finds this request's set).
struct WriteTracker {
  std::set<std::tuple<std::string, std::string, std::string>> touched;  // database, role, shard
};
thread_local WriteTracker* current_tracker = nullptr;

class WalPositionResolver final : public Resolver {
 public:
  explicit WalPositionResolver(std::shared_ptr<const DatabaseSelectorOptions> options)
      : options_(std::move(options)),
        subscription_(instrument::SqlSubscriber([](const instrument::SqlEvent& e) {
          if (current_tracker && e.role != kReadingRole)
            current_tracker->touched.emplace(e.database, e.role, e.shard);
        })) {}
  std::string_view name() const override { return "wal_position"; }

  bool replica_ok(SelectorContext& context, std::string& reason) override {
    auto& s = context.state();
    const std::int64_t now = options_->clock();
    if (s.primary_until_ms) {
      if (now < *s.primary_until_ms) {
        reason = "fail_safe_window";
        return false;
      }
      s.primary_until_ms.reset();
    }
    if (s.wal_tokens.empty()) {
      reason = "no_tokens";
      return true;
    }
    ReplicaPositionSource& source =
        options_->positions ? *options_->positions : default_replica_position_source();
    std::set<const ConnectionPool*> probed;
    for (const ConnectionClass* klass : classes()) {
      const PoolKey key{klass->connection_specification_name(), kReadingRole, current_shard(*klass)};
      std::shared_ptr<ConnectionPool> pool;
      try {
        pool = connection_handler().retrieve_connection_pool(key);
      } catch (const Error&) {
        continue;  // not configured here: the application cannot read it either
      }
      if (!pool || !probed.insert(pool.get()).second) continue;
      std::vector<std::uint64_t> stale;
      const auto freshness = replica_freshness(*pool, s.wal_tokens, source, nullptr, &stale);
      for (auto id : stale) s.wal_tokens.erase(id);  // another timeline: a failover happened
      if (freshness == ReplicaFreshness::behind) {
        reason = "replica_behind";
        return false;
      }
      if (freshness == ReplicaFreshness::unknown) {
        reason = "replica_position_unknown";
        return false;
      }
    }
    // Every replica has passed the client's writes: forget them (later reads pay nothing).
    s.wal_tokens.clear();
    reason = "replica_caught_up";
    return true;
  }

  void write(SelectorContext& context, const Next& app) override {
    WriteTracker tracker;
    WriteTracker* previous = current_tracker;
    current_tracker = &tracker;
    try {
      app();
    } catch (...) {
      current_tracker = previous;
      record(context, tracker);
      throw;
    }
    current_tracker = previous;
    record(context, tracker);
  }

 private:
  // After the request: its transactions are committed or rolled back and its leases returned, so
  // the insert position read now follows every COMMIT it made.
  void record(SelectorContext& context, const WriteTracker& tracker) {
    auto& s = context.state();
    const std::int64_t now = options_->clock();
    s.last_write_ms = now;
    bool fallback = false;
    auto pools = connection_handler().connection_pool_list();
    for (const auto& [database, role, shard] : tracker.touched) {
      for (const auto& pool : pools) {
        const auto& id = pool->identity();
        if (id.database != database || id.role != role || id.shard != shard) continue;
        if (pool->db_config().replica()) continue;
        try {
          if (auto token = capture_primary_position(*pool)) {
            s.wal_tokens.merge(*token);
            continue;
          }
        } catch (const std::exception&) {
        }
        fallback = true;  // no position (not PostgreSQL, or the probe failed): time window
      }
    }
    if (fallback) s.primary_until_ms = now + options_->delay.count();
  }

  std::vector<const ConnectionClass*> classes() const {
    if (!options_->classes.empty()) return options_->classes;
    std::vector<const ConnectionClass*> out;
    for (const ConnectionClass* c : ConnectionClass::all()) {
      if (!c->is_connection_class() || !c->connects_to()) continue;
      for (const auto& [shard, roles] : c->connects_to()->shards) {
        if (roles.all().count(kReadingRole)) {
          out.push_back(c);
          break;
        }
      }
    }
    return out;
  }

  std::shared_ptr<const DatabaseSelectorOptions> options_;
  instrument::Subscription subscription_;
};

}  // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- state and cookie ------------------------------------------------------------------------

std::string SelectorState::serialize() const {
  std::string out;
  auto field = [&](const char* key, const std::string& value) {
    if (!out.empty()) out += '&';
    out.append(key).append(1, '=').append(value);
  };
  if (last_write_ms) field("w", std::to_string(*last_write_ms));
  if (primary_until_ms) field("p", std::to_string(*primary_until_ms));
  if (!wal_tokens.empty()) field("t", wal_tokens.serialize());
  return out;
}

std::optional<SelectorState> SelectorState::parse(std::string_view text) {
  SelectorState s;
  while (!text.empty()) {
    auto amp = text.find('&');
    std::string_view item = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    std::int64_t n = 0;
    if (key == "w" && parse_int(value, n)) {
      s.last_write_ms = n;
    } else if (key == "p" && parse_int(value, n)) {
      s.primary_until_ms = n;
    } else if (key == "t") {
      auto tokens = WalTokens::parse(value);
      if (!tokens) return std::nullopt;
      s.wal_tokens = std::move(*tokens);
    } else {
      return std::nullopt;
    }
  }
  return s;
}

CookieContext::CookieContext(const Request& request, const CookieOptions& options)
    : options_(options) {
  auto raw = request.cookie(options.name);
  if (!raw) return;
  auto payload = verify_cookie_value(options.name, *raw, options.secret, options.previous_secrets);
  auto state = payload ? SelectorState::parse(*payload) : std::nullopt;
  if (!state) {
    tampered_ = true;
    return;
  }
  loaded_ = *state;
  state_ = std::move(*state);
}

void CookieContext::save(Response& response) {
  if (state_ == loaded_ && !tampered_) return;
  Cookie cookie{.name = options_.name,
                .value = {},
                .path = options_.path,
                .max_age = options_.max_age,
                .http_only = options_.http_only,
                .secure = options_.secure,
                .same_site = options_.same_site};
  if (state_ == SelectorState{}) {
    cookie.max_age = std::chrono::seconds(0);  // nothing to remember: delete it
  } else {
    cookie.value = sign_cookie_value(options_.name, state_.serialize(), options_.secret);
  }
  response.set_cookie(cookie);
}

// ---- the selector ----------------------------------------------------------------------------

namespace {
std::shared_ptr<const DatabaseSelectorOptions> complete(DatabaseSelectorOptions options) {
  if (!options.clock) options.clock = now_ms;
  if (!options.context && options.cookie.secret.size() < 16)
    throw ArgumentError(
        "DatabaseSelector: cookie.secret must be at least 16 bytes (the selector's cookie is "
        "HMAC-signed)");
  if (options.delay.count() < 0) throw ArgumentError("DatabaseSelector: delay must not be negative");
  return std::make_shared<const DatabaseSelectorOptions>(std::move(options));
}
}  // namespace

DatabaseSelector::DatabaseSelector(DatabaseSelectorOptions options)
    : options_(complete(std::move(options))) {
  if (options_->resolver == ResolverKind::wal_position)
    resolver_ = std::make_shared<WalPositionResolver>(options_);
  else
    resolver_ = std::make_shared<TimeWindowResolver>(options_);
}

DatabaseSelector::DatabaseSelector(DatabaseSelectorOptions options, std::shared_ptr<Resolver> resolver)
    : options_(complete(std::move(options))), resolver_(std::move(resolver)) {
  if (!resolver_) throw ArgumentError("DatabaseSelector: resolver is null");
}

bool DatabaseSelector::reading_request(const Request& request) const {
  if (options_->reading_request) return options_->reading_request(request);
  return request.method == "GET" || request.method == "HEAD";
}

Selection DatabaseSelector::call(const Request& request, Response& response, const Next& app) const {
  std::unique_ptr<SelectorContext> context =
      options_->context ? options_->context(request)
                        : std::make_unique<CookieContext>(request, options_->cookie);
  if (context->tampered()) {
    // Fail safe: this client may have written a moment ago and we cannot know where; read from
    // the primary for one delay, under a fresh valid cookie.
    context->state() = SelectorState{};
    context->state().primary_until_ms = options_->clock() + options_->delay.count();
  }
  struct Save {
    SelectorContext& context;
    Response& response;
    ~Save() {
      try {
        context.save(response);
      } catch (...) {
      }
    }
  } save{*context, response};

  const ConnectionClass& base = ConnectionClass::base();
  if (reading_request(request)) {
    std::string reason;
    const bool replica = resolver_->replica_ok(*context, reason);
    WalTokensScope tokens(context->state().wal_tokens);  // carried by bind_context in the app
    if (replica) {
      emit("database_selector.read_from_replica", resolver_->name(), reason, request);
      connected_to(base, {.role = kReadingRole, .prevent_writes = true}, app);
      return Selection::replica;
    }
    emit("database_selector.read_from_primary", resolver_->name(), reason, request);
    connected_to(base, {.role = kWritingRole, .prevent_writes = true}, app);
    return Selection::primary_read;
  }
  emit("database_selector.wrote_to_primary", resolver_->name(), "write_request", request);
  WalTokensScope tokens(context->state().wal_tokens);
  resolver_->write(*context, [&] { connected_to(base, {.role = kWritingRole}, app); });
  return Selection::primary_write;
}

Middleware DatabaseSelector::middleware() const {
  DatabaseSelector self = *this;
  return [self](const Request& request, Response& response, const Next& next) {
    self.call(request, response, next);
  };
}

}  // namespace switchyard::http

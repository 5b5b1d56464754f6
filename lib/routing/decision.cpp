#include "switchyard/routing/decision.hpp"

#include <vector>

namespace switchyard::routing {
namespace {

char upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Skips whitespace; then matches `word` case-insensitively as a whole word.
bool eat_word(std::string_view s, std::size_t& pos, std::string_view word) {
  while (pos < s.size() && is_space(s[pos])) ++pos;
  if (s.size() - pos < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (upper(s[pos + i]) != word[i]) return false;
  const std::size_t end = pos + word.size();
  if (end < s.size() && !is_space(s[end]) && s[end] != ';') return false;
  pos = end;
  return true;
}

// RESET ALL / DISCARD ALL: everything recorded so far is void.
bool clears_all(std::string_view sql) {
  std::size_t p = 0;
  if (eat_word(sql, p, "RESET")) return eat_word(sql, p, "ALL");
  p = 0;
  if (eat_word(sql, p, "DISCARD")) return eat_word(sql, p, "ALL");
  return false;
}

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string_view to_string(Target target) noexcept {
  return target == Target::replica ? "replica" : "primary";
}

std::string_view to_string(LoadBalancing balancing) noexcept {
  switch (balancing) {
    case LoadBalancing::round_robin: return "round_robin";
    case LoadBalancing::least_outstanding: return "least_outstanding";
    case LoadBalancing::weighted: return "weighted";
  }
  return "round_robin";
}

LoadBalancing load_balancing_from(std::string_view name) {
  if (name == "least_outstanding") return LoadBalancing::least_outstanding;
  if (name == "weighted") return LoadBalancing::weighted;
  return LoadBalancing::round_robin;
}

StatementDecision decide(const sql::StatementClassifier& classifier, std::string_view sql,
                         const SessionView& session) {
  StatementDecision d;
  if (session.in_transaction) {
    // The transaction's connection serves everything, reads included: they must see its writes
    // and its snapshot. Not classified: nothing about the statement can change that.
    d.reason = reason::in_transaction;
    return d;
  }
  d.classification = classifier.classify(sql);
  d.classified = true;
  const auto& c = d.classification;
  d.is_write = c.kind == sql::StatementKind::write;
  if (c.route == sql::Route::all) {
    // Plain session settings: run on the primary now, replayed on every connection used later.
    // SET LOCAL outside a transaction does nothing, so there is nothing to replay.
    d.clears_session_state = clears_all(sql);
    d.record_session_state =
        !d.clears_session_state && c.reason.find("SET LOCAL") == std::string::npos &&
        !c.multi_statement;
  }
  // nextval()/setval() leave currval()/lastval() behind on that one connection.
  const bool sequence_state = c.code == sql::ReasonCode::side_effect_function &&
                              (starts_with(c.reason, "SIDE_EFFECT_FUNCTION(nextval") ||
                               starts_with(c.reason, "SIDE_EFFECT_FUNCTION(setval"));
  d.pins_session = c.pins_session() || sequence_state;
  if (session.session_pinned) {
    d.reason = reason::session_pinned;
    return d;
  }
  if (c.route == sql::Route::replica) {
    if (session.sticky_time_window) {
      d.reason = reason::sticky_time_window;
      return d;
    }
    d.target = Target::replica;
    d.reason = c.reason;
    return d;
  }
  d.reason = c.reason;
  return d;
}

Selection select_replica(std::span<const ReplicaView> replicas, LoadBalancing balancing,
                         std::uint64_t ticket) {
  if (replicas.empty()) return {-1, reason::no_replica};
  // Eligible indexes, on the stack for the usual handful of replicas.
  constexpr std::size_t kInline = 16;
  int inline_idx[kInline];
  std::vector<int> heap_idx;
  int* eligible = inline_idx;
  if (replicas.size() > kInline) {
    heap_idx.resize(replicas.size());
    eligible = heap_idx.data();
  }
  std::size_t n = 0;
  bool any_healthy = false, any_untried = false, any_lag_ok = false;
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    const auto& r = replicas[i];
    if (!r.healthy) continue;
    any_healthy = true;
    if (r.excluded) continue;
    any_untried = true;
    if (!r.lag_ok) continue;
    any_lag_ok = true;
    if (!r.covers) continue;
    eligible[n++] = static_cast<int>(i);
  }
  if (n == 0) {
    if (!any_healthy) return {-1, reason::all_replicas_down};
    if (!any_untried) return {-1, reason::replica_down};
    if (!any_lag_ok) return {-1, reason::replica_lagging};
    return {-1, reason::sticky_lsn_not_replayed};
  }
  switch (balancing) {
    case LoadBalancing::round_robin:
      return {eligible[ticket % n], {}};
    case LoadBalancing::least_outstanding: {
      // Start the scan at a rotating offset so ties spread instead of piling on the first.
      const std::size_t start = ticket % n;
      int best = eligible[start];
      for (std::size_t k = 1; k < n; ++k) {
        int i = eligible[(start + k) % n];
        if (replicas[static_cast<std::size_t>(i)].outstanding <
            replicas[static_cast<std::size_t>(best)].outstanding)
          best = i;
      }
      return {best, {}};
    }
    case LoadBalancing::weighted: {
      // Deterministic weighted round robin over integer weights (hundredths).
      std::uint64_t total = 0;
      for (std::size_t k = 0; k < n; ++k) {
        double w = replicas[static_cast<std::size_t>(eligible[k])].weight;
        total += w > 0 ? static_cast<std::uint64_t>(w * 100 + 0.5) : 0;
      }
      if (total == 0) return {eligible[ticket % n], {}};
      // Scramble the ticket so consecutive statements interleave instead of running in blocks.
      std::uint64_t x = ticket + 0x9E3779B97F4A7C15ull;
      x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
      x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
      x ^= x >> 31;
      std::uint64_t slot = x % total;
      for (std::size_t k = 0; k < n; ++k) {
        double w = replicas[static_cast<std::size_t>(eligible[k])].weight;
        std::uint64_t wi = w > 0 ? static_cast<std::uint64_t>(w * 100 + 0.5) : 0;
        if (slot < wi) return {eligible[k], {}};
        slot -= wi;
      }
      return {eligible[n - 1], {}};
    }
  }
  return {eligible[0], {}};
}

FailureKind classify_sqlstate(std::string_view s) noexcept {
  if (s.size() != 5) return FailureKind::none;
  if (s[0] == '0' && s[1] == '8') return FailureKind::node_unhealthy;
  if (s == "57P01" || s == "57P02" || s == "57P03" || s == "53300")
    return FailureKind::node_unhealthy;
  if (s == "40001") return FailureKind::recovery_conflict;
  if (s == "25006") return FailureKind::read_only;
  return FailureKind::none;
}

}  // namespace switchyard::routing

#include "switchyard/instrument/notifications.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>

namespace switchyard::instrument {
namespace {

// Copy-on-write subscriber lists: emit takes a snapshot without holding the lock while calling.
template <typename Fn>
struct Registry {
  std::mutex mutex;
  std::shared_ptr<const std::vector<std::pair<std::uint64_t, Fn>>> list =
      std::make_shared<std::vector<std::pair<std::uint64_t, Fn>>>();
  std::atomic<bool> any{false};

  void add(std::uint64_t id, Fn fn) {
    std::lock_guard lock(mutex);
    auto next = std::make_shared<std::vector<std::pair<std::uint64_t, Fn>>>(*list);
    next->emplace_back(id, std::move(fn));
    list = next;
    any = true;
  }
  bool remove(std::uint64_t id) {
    std::lock_guard lock(mutex);
    auto next = std::make_shared<std::vector<std::pair<std::uint64_t, Fn>>>(*list);
    auto it = std::remove_if(next->begin(), next->end(), [&](auto& p) { return p.first == id; });
    bool found = it != next->end();
    next->erase(it, next->end());
    any = !next->empty();
    list = next;
    return found;
  }
  std::shared_ptr<const std::vector<std::pair<std::uint64_t, Fn>>> snapshot() {
    std::lock_guard lock(mutex);
    return list;
  }
};

Registry<SqlSubscriber>& sql_registry() {
  static Registry<SqlSubscriber> r;
  return r;
}
Registry<EventSubscriber>& event_registry() {
  static Registry<EventSubscriber> r;
  return r;
}
std::atomic<std::uint64_t> next_id{1};

struct Filters {
  std::mutex mutex;
  std::vector<std::string> names{"password", "passw", "secret", "token", "_key",
                                 "crypt",    "salt",  "certificate", "otp", "ssn"};
};
Filters& filters() {
  static Filters f;
  return f;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> SqlEvent::display_binds() const {
  std::vector<std::string> out;
  out.reserve(binds.size());
  for (std::size_t i = 0; i < binds.size(); ++i) {
    bool hidden = i < bind_names.size() && is_filtered_parameter(bind_names[i]);
    out.push_back(hidden ? "[FILTERED]" : to_display(binds[i]));
  }
  return out;
}

std::uint64_t subscribe(SqlSubscriber subscriber) {
  auto id = next_id++;
  sql_registry().add(id, std::move(subscriber));
  return id;
}

std::uint64_t subscribe_events(EventSubscriber subscriber) {
  auto id = next_id++;
  event_registry().add(id, std::move(subscriber));
  return id;
}

void unsubscribe(std::uint64_t id) {
  if (!sql_registry().remove(id)) event_registry().remove(id);
}

bool has_sql_subscribers() noexcept { return sql_registry().any.load(std::memory_order_relaxed); }

void emit(const SqlEvent& event) {
  if (!has_sql_subscribers()) return;
  for (const auto& [id, fn] : *sql_registry().snapshot()) fn(event);
}

void emit(const Event& event) {
  if (!event_registry().any.load(std::memory_order_relaxed)) return;
  for (const auto& [id, fn] : *event_registry().snapshot()) fn(event);
}

void set_filter_parameters(std::vector<std::string> names) {
  std::lock_guard lock(filters().mutex);
  filters().names = std::move(names);
}

bool is_filtered_parameter(std::string_view column) {
  if (column.empty()) return false;
  std::lock_guard lock(filters().mutex);
  for (const auto& f : filters().names)
    if (icontains(column, f)) return true;
  return false;
}

}  // namespace switchyard::instrument

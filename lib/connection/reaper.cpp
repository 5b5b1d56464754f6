#include "reaper.hpp"

#include <algorithm>

#include "switchyard/connection/connection_pool.hpp"

namespace switchyard {

Reaper& Reaper::instance() {
  static Reaper reaper;
  return reaper;
}

void Reaper::add(const std::shared_ptr<ConnectionPool>& pool, std::chrono::milliseconds every) {
  std::lock_guard lock(mutex_);
  entries_.push_back({pool, every, std::chrono::steady_clock::now() + every});
  changed_ = true;
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  wake_.notify_one();
}

Reaper::~Reaper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Reaper::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    auto next = now + std::chrono::seconds(60);
    std::vector<std::shared_ptr<ConnectionPool>> due;
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                  [](const Entry& e) { return e.pool.expired(); }),
                   entries_.end());
    for (auto& e : entries_) {
      if (e.next <= now) {
        if (auto p = e.pool.lock()) due.push_back(std::move(p));
        e.next = now + e.every;
      }
      next = std::min(next, e.next);
    }
    lock.unlock();
    for (auto& p : due) p->reap();
    due.clear();  // drop our references before sleeping
    lock.lock();
    wake_.wait_until(lock, next, [&] { return stopping_ || changed_; });
    changed_ = false;
  }
}

}  // namespace switchyard

// One background thread for the whole process that calls ConnectionPool::reap() on every live
// pool at its reaping_frequency (Rails runs a reaper per pool; one thread is enough).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace switchyard {

class ConnectionPool;

class Reaper {
 public:
  static Reaper& instance();
  void add(const std::shared_ptr<ConnectionPool>& pool, std::chrono::milliseconds every);
  ~Reaper();

 private:
  Reaper() = default;
  void loop();
  struct Entry {
    std::weak_ptr<ConnectionPool> pool;
    std::chrono::milliseconds every;
    std::chrono::steady_clock::time_point next;
  };
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Entry> entries_;
  bool stopping_ = false;
  bool changed_ = false;  // a pool was added: recompute the next wake-up
  std::thread thread_;
};

}  // namespace switchyard

#pragma once
// Deadlines: calls a function when a run passes its timeout. One thread for the
// whole process, started on first use.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace baton::engine {

class Watchdog {
 public:
  using Deadline = std::chrono::steady_clock::time_point;
  ~Watchdog();

  // Calls fn on the watchdog thread at `deadline` unless cancelled first. fn must be quick.
  std::uint64_t schedule(Deadline deadline, std::function<void()> fn);
  // After cancel returns, fn is not running and will not run.
  void cancel(std::uint64_t id);

 private:
  void loop(std::stop_token stop);

  std::mutex mu_;  // guards everything below
  std::condition_variable_any cv_;
  std::multimap<Deadline, std::pair<std::uint64_t, std::function<void()>>> timers_;
  std::uint64_t next_id_ = 1;
  std::uint64_t running_id_ = 0;  // the timer whose fn runs now, 0 if none
  std::condition_variable done_cv_;
  std::jthread thread_;
};

}  // namespace baton::engine

#include "engine/watchdog.h"

namespace baton::engine {

Watchdog::~Watchdog() {
  if (thread_.joinable()) {
    thread_.request_stop();
    cv_.notify_all();
    thread_.join();
  }
}

std::uint64_t Watchdog::schedule(Deadline deadline, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (!thread_.joinable()) thread_ = std::jthread([this](std::stop_token st) { loop(st); });
  std::uint64_t id = next_id_++;
  timers_.emplace(deadline, std::make_pair(id, std::move(fn)));
  cv_.notify_all();
  return id;
}

void Watchdog::cancel(std::uint64_t id) {
  std::unique_lock lock(mu_);
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.first == id) {
      timers_.erase(it);
      return;
    }
  }
  // Not queued: it may be running right now; wait for it to end.
  done_cv_.wait(lock, [&] { return running_id_ != id; });
}

void Watchdog::loop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    if (timers_.empty()) {
      cv_.wait(lock, stop, [&] { return !timers_.empty(); });
      continue;
    }
    auto first = timers_.begin();
    if (first->first > std::chrono::steady_clock::now()) {
      auto when = first->first;
      cv_.wait_until(lock, stop, when, [&] { return timers_.empty() || timers_.begin()->first < when; });
      continue;
    }
    auto [id, fn] = std::move(first->second);
    timers_.erase(first);
    running_id_ = id;
    lock.unlock();
    fn();
    lock.lock();
    running_id_ = 0;
    done_cv_.notify_all();
  }
}

}  // namespace baton::engine

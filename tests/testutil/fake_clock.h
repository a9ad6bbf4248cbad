#pragma once
// A clock whose time moves only when a test advances it or when the code under
// test sleeps on it: retry delays, cache expirations and heartbeats are recorded
// instead of waited for. Thread-safe (the engine sleeps on worker threads).
// Header-only; it implements the internal util/clock.h, so a test that includes
// it links baton_internal_headers.
#include "util/clock.h"

#include <chrono>
#include <mutex>
#include <stop_token>
#include <vector>

namespace baton::testing {

class FakeClock final : public Clock {
 public:
  // 2023-11-14 22:13:20 UTC: a whole second, so round trips through
  // microseconds and seconds compare equal.
  static constexpr TimePoint kDefaultStart = TimePoint(std::chrono::seconds(1'700'000'000));

  explicit FakeClock(TimePoint start = kDefaultStart) : now_(start) {}

  TimePoint now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }

  // Records `duration`, moves time forward by it and returns at once; false
  // (as the real clock) when `stop` was already requested.
  bool sleep_for(std::chrono::microseconds duration, std::stop_token stop) override {
    std::lock_guard lock(mu_);
    sleeps_.push_back(duration);
    now_ += duration;
    return !stop.stop_requested();
  }

  void advance(std::chrono::microseconds duration) {
    std::lock_guard lock(mu_);
    now_ += duration;
  }

  void set(TimePoint t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }

  // Every sleep_for duration so far, in call order.
  std::vector<std::chrono::microseconds> sleeps() const {
    std::lock_guard lock(mu_);
    return sleeps_;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;
  std::vector<std::chrono::microseconds> sleeps_;
};

}  // namespace baton::testing

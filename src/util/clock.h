#pragma once
// Time comes through this interface so tests can use a fake clock (retry delays,
// cache expiration) instead of sleeping.
#include <chrono>
#include <memory>
#include <stop_token>

namespace baton {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Waits for `duration`, or less if `stop` is requested. Returns false if stopped early.
  virtual bool sleep_for(std::chrono::microseconds duration, std::stop_token stop) = 0;
};

// The real wall clock. Shared, thread-safe.
Clock& system_clock();

}  // namespace baton

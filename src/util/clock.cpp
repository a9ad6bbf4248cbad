#include "util/clock.h"

#include <condition_variable>
#include <mutex>

namespace baton {

namespace {

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }

  bool sleep_for(std::chrono::microseconds duration, std::stop_token stop) override {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    return !cv.wait_for(lock, stop, duration, [] { return false; }) && !stop.stop_requested();
  }
};

}  // namespace

Clock& system_clock() {
  // Never destroyed: a pool thread may still read the time while the program exits.
  static SystemClock* clock = new SystemClock();
  return *clock;
}

}  // namespace baton

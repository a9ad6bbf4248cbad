#pragma once
// A one-shot flag that one thread waits on and another sets: how a thread that
// handed a call to a worker learns its reply arrived. A Linux futex directly
// (std::atomic::wait has no timeout, and a condition variable needs a mutex per
// wait): setting it costs a system call only when the waiter sleeps.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>

namespace baton::runners {

class Completion {
 public:
  // Thread-safe; later calls do nothing.
  void set() {
    if (state_.exchange(kSet, std::memory_order_acq_rel) == kSleeping) {
      syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    }
  }
  bool is_set() const { return state_.load(std::memory_order_acquire) == kSet; }
  // True once set; false when `timeout` passed first. One waiter at a time.
  bool wait_for(std::chrono::milliseconds timeout) {
    std::uint32_t s = state_.load(std::memory_order_acquire);
    if (s == kSet) return true;
    if (s == kOpen && !state_.compare_exchange_strong(s, kSleeping, std::memory_order_acq_rel)) return s == kSet;
    timespec ts{static_cast<time_t>(timeout.count() / 1000), static_cast<long>(timeout.count() % 1000) * 1000000};
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, kSleeping, &ts, nullptr, 0);
    return is_set();
  }

 private:
  static constexpr std::uint32_t kOpen = 0, kSet = 1, kSleeping = 2;
  std::atomic<std::uint32_t> state_{kOpen};
};

}  // namespace baton::runners

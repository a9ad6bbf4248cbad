#include "util/libc_time.h"

#include <pthread.h>

#include <mutex>

namespace baton {

namespace {

std::mutex& time_mutex() {
  static std::mutex* mu = [] {
    auto* made = new std::mutex();  // leaked: used until the very end
    pthread_atfork([] { time_mutex().lock(); }, [] { time_mutex().unlock(); }, [] { time_mutex().unlock(); });
    return made;
  }();
  return *mu;
}

}  // namespace

std::tm utc_time(std::time_t t) {
  std::tm tm{};
  std::lock_guard lock(time_mutex());
  gmtime_r(&t, &tm);
  return tm;
}

std::tm local_time(std::time_t t) {
  std::tm tm{};
  std::lock_guard lock(time_mutex());
  localtime_r(&t, &tm);
  return tm;
}

std::time_t utc_seconds(std::tm tm) {
  std::lock_guard lock(time_mutex());
  return timegm(&tm);
}

}  // namespace baton

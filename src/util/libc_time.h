#pragma once
// libc's calendar conversions (gmtime_r, localtime_r, timegm) take a lock inside
// glibc. The process pool forks while other threads run, and a child that
// inherits that lock held hangs at its first conversion. These wrappers hold a
// lock of ours around each call that the fork handlers take too, so no baton
// thread is inside libc's conversions when a process forks.
#include <ctime>

namespace baton {

std::tm utc_time(std::time_t t);
std::tm local_time(std::time_t t);
std::time_t utc_seconds(std::tm tm);  // timegm

}  // namespace baton

#include "runners/fork_check.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define BATON_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BATON_ASAN 1
#endif
#endif

namespace baton::runners {

namespace {

constexpr char kReady = 'R';

#if defined(BATON_ASAN)
// The sanitizer allocator keeps a per-thread cache of chunks for each size
// class and takes that class's lock only to refill or drain it. Allocating one
// more chunk of every size than a full cache holds forces a refill of every
// class, so each class lock is taken once; then one large block (the secondary
// allocator's lock). If any of them was held by another thread at fork, this
// blocks here, before the worker is used. Cache sizes follow the sanitizer's
// default size-class map: at most 128 chunks hinted per class, 64 KiB of them,
// a full cache twice the hint. Not a thread: a thread started and ended here
// left its stack's shadow poisoned, and a payload mapped later at that address
// was reported as a bad read (seen in ProcessPool.LargeResults...).
void touch_allocator_locks() {
  std::vector<void*> blocks;
  for (std::size_t size = 8; size <= (std::size_t{1} << 17); size += std::max<std::size_t>(8, size / 64)) {
    const std::size_t hint = std::clamp<std::size_t>((std::size_t{1} << 16) / size, 1, 128);
    blocks.resize(2 * hint + 1);
    for (void*& b : blocks) b = std::malloc(size);
    for (void* b : blocks) std::free(b);
  }
  std::free(std::malloc(std::size_t{1} << 20));
}
#else
void touch_allocator_locks() {}  // glibc's malloc is guarded across fork
#endif

}  // namespace

void announce_ready_after_fork(int fd) {
  touch_allocator_locks();
  while (write(fd, &kReady, 1) < 0 && errno == EINTR) {
  }
}

bool child_became_ready(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    char byte = 0;
    ssize_t got;
    while ((got = read(fd, &byte, 1)) < 0 && errno == EINTR) {
    }
    return got == 1 && byte == kReady;
  }
}

}  // namespace baton::runners

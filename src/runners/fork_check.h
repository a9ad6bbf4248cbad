#pragma once
// A forked worker proves it can run before it is given work.
//
// fork() in a program with threads copies only the calling thread: a lock that
// another thread held at that instant stays held forever in the child, which
// hangs the first time it needs it. glibc guards malloc and stdio across fork,
// and baton's own shared locks are taken around it (pthread_atfork in each
// owner), but the allocator of gcc 12's AddressSanitizer is not guarded (LLVM
// added that in release 17), and under load a worker forked from an ASan build
// hung for good in its first allocations. So the child first takes each of the
// allocator's locks once (sanitized builds only) and then writes one byte; the
// parent uses a child only after that byte arrives, and replaces one that stays
// silent. The byte precedes the first frame on the worker's socket.
#include <sys/types.h>

#include <chrono>

namespace baton::runners {

// In the child, first thing after fork(): proves the locks it will need are free
// (may block forever when one is not: the parent then kills it) and writes the
// ready byte to `fd`.
void announce_ready_after_fork(int fd);

// In the parent: true once the child `pid` on `fd` has announced itself; false
// when it exited or stayed silent for `timeout` (then it is still running: the
// caller kills it).
bool child_became_ready(int fd, std::chrono::milliseconds timeout);

}  // namespace baton::runners

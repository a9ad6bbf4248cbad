#pragma once
// Isolation for cache keys: under the serializable isolation level, two task runs
// with the same cache key take the key's lock, so one computes and the other
// finds the result when it gets the lock.
//
// A lock is named by a key (the cache key) and held by a holder (a task run id as
// text). Implementations: threads of one process (make_thread_lock_manager), and
// processes of one machine (make_file_lock_manager); a database or Redis lock
// fits the same interface (the holder makes release safe across clients).
//
// Contract: thread-safe. acquire by the holder that already holds the key returns
// true at once (not counted: one release frees it). A lock held by a process that
// dies is freed with it where the backend can tell (file locks: the kernel frees
// them).
#include <baton/status.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace baton {

class LockManager {
 public:
  virtual ~LockManager() = default;
  // Waits up to `timeout` for the lock. true: now held by `holder`; false: timed out.
  virtual Result<bool> acquire(std::string_view key, std::string_view holder, std::chrono::milliseconds timeout) = 0;
  // Frees the lock; an error if `holder` does not hold it.
  virtual Status release(std::string_view key, std::string_view holder) = 0;
  // Whether anyone holds the lock now (a snapshot).
  virtual Result<bool> is_locked(std::string_view key) = 0;
};

// Holds a lock for a scope (released on destruction, errors ignored there).
class LockGuard {
 public:
  LockGuard() = default;
  LockGuard(LockManager& manager, std::string key, std::string holder)
      : manager_(&manager), key_(std::move(key)), holder_(std::move(holder)) {}
  LockGuard(LockGuard&& o) noexcept : manager_(o.manager_), key_(std::move(o.key_)), holder_(std::move(o.holder_)) {
    o.manager_ = nullptr;
  }
  LockGuard& operator=(LockGuard&& o) noexcept {
    if (this != &o) {
      static_cast<void>(release());  // errors are ignored here, as on destruction
      manager_ = o.manager_;
      key_ = std::move(o.key_);
      holder_ = std::move(o.holder_);
      o.manager_ = nullptr;
    }
    return *this;
  }
  ~LockGuard() { static_cast<void>(release()); }
  // Acquires and returns a guard that owns the lock, nullopt on timeout.
  static Result<std::optional<LockGuard>> acquire(LockManager& manager, std::string key, std::string holder,
                                                  std::chrono::milliseconds timeout) {
    Result<bool> got = manager.acquire(key, holder, timeout);
    if (!got.ok()) return got.status();
    if (!*got) return std::optional<LockGuard>();
    return std::optional<LockGuard>(LockGuard(manager, std::move(key), std::move(holder)));
  }
  bool owns() const { return manager_ != nullptr; }
  Status release() {
    if (manager_ == nullptr) return Status();
    LockManager* m = manager_;
    manager_ = nullptr;
    return m->release(key_, holder_);
  }

 private:
  LockManager* manager_ = nullptr;
  std::string key_, holder_;
};

// In-process locks (mutex + condition variable).
std::shared_ptr<LockManager> make_thread_lock_manager();
// Cross-process locks on one machine: flock(2) on <dir>/<key>.lock (the key itself
// when it is a plain file name, else its hash). Also excludes threads of one
// process (each acquire opens its own file description). Lock files are left in
// place (deleting them would race with waiters).
std::shared_ptr<LockManager> make_file_lock_manager(std::filesystem::path dir);

}  // namespace baton

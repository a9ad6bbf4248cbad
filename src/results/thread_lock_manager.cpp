#include <baton/lock_manager.h>

#include <condition_variable>
#include <map>
#include <mutex>

namespace baton {

namespace {

class ThreadLockManager final : public LockManager {
 public:
  Result<bool> acquire(std::string_view key, std::string_view holder, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    const std::string k(key);
    auto free_or_mine = [&] {
      auto it = held_.find(k);
      return it == held_.end() || it->second == holder;
    };
    if (!cv_.wait_for(lock, timeout, free_or_mine)) return false;
    held_[k] = std::string(holder);
    return true;
  }

  Status release(std::string_view key, std::string_view holder) override {
    {
      std::lock_guard lock(mu_);
      auto it = held_.find(std::string(key));
      if (it == held_.end()) return Status::error("lock '" + std::string(key) + "' is not held");
      if (it->second != holder) {
        return Status::error("lock '" + std::string(key) + "' is held by '" + it->second + "', not by '" +
                             std::string(holder) + "'");
      }
      held_.erase(it);
    }
    cv_.notify_all();
    return Status();
  }

  Result<bool> is_locked(std::string_view key) override {
    std::lock_guard lock(mu_);
    return held_.count(std::string(key)) > 0;
  }

 private:
  std::mutex mu_;  // guards held_
  std::condition_variable cv_;
  std::map<std::string, std::string> held_;  // key -> holder
};

}  // namespace

std::shared_ptr<LockManager> make_thread_lock_manager() { return std::make_shared<ThreadLockManager>(); }

}  // namespace baton

// Cross-process locks with flock(2). flock has no timeout, so acquire polls with
// LOCK_NB and a short, growing sleep; the kernel releases a dead process's locks.
#include <baton/lock_manager.h>

#include "util/hash.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

namespace baton {

namespace {

namespace fs = std::filesystem;

bool plain_name(std::string_view key) {
  if (key.empty() || key.size() > 200 || key.front() == '.') return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

class FileLockManager final : public LockManager {
 public:
  explicit FileLockManager(fs::path dir) : dir_(std::move(dir)) {}

  Result<bool> acquire(std::string_view key, std::string_view holder, std::chrono::milliseconds timeout) override {
    const std::string k(key);
    {
      std::lock_guard lock(mu_);
      if (auto it = held_.find(k); it != held_.end() && it->second.holder == holder) return true;
    }
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return Status::error("cannot create lock directory " + dir_.string() + ": " + ec.message());
    const fs::path path = lock_path(key);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::error("cannot open lock file " + path.string() + ": " + std::strerror(errno));

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::microseconds(200);
    for (;;) {
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0) break;
      if (errno != EWOULDBLOCK && errno != EINTR) {
        const int err = errno;
        ::close(fd);
        return Status::error("cannot lock " + path.string() + ": " + std::strerror(err));
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        ::close(fd);
        return false;
      }
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, std::chrono::microseconds(20'000));
    }
    // For people looking at a stuck lock: who holds it.
    const std::string note = std::string(holder) + " pid " + std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) {
      [[maybe_unused]] ssize_t n = ::pwrite(fd, note.data(), note.size(), 0);
    }
    std::lock_guard lock(mu_);
    held_[k] = Held{std::string(holder), fd};
    return true;
  }

  Status release(std::string_view key, std::string_view holder) override {
    std::lock_guard lock(mu_);
    auto it = held_.find(std::string(key));
    if (it == held_.end()) return Status::error("lock '" + std::string(key) + "' is not held by this process");
    if (it->second.holder != holder) {
      return Status::error("lock '" + std::string(key) + "' is held by '" + it->second.holder + "', not by '" +
                           std::string(holder) + "'");
    }
    ::flock(it->second.fd, LOCK_UN);
    ::close(it->second.fd);
    held_.erase(it);
    return Status();
  }

  Result<bool> is_locked(std::string_view key) override {
    {
      std::lock_guard lock(mu_);
      if (held_.count(std::string(key)) > 0) return true;
    }
    const fs::path path = lock_path(key);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return false;
      return Status::error("cannot open lock file " + path.string() + ": " + std::strerror(errno));
    }
    bool locked = false;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      ::flock(fd, LOCK_UN);
    } else {
      locked = errno == EWOULDBLOCK;
    }
    ::close(fd);
    return locked;
  }

  ~FileLockManager() override {
    for (auto& [key, h] : held_) ::close(h.fd);
  }

 private:
  struct Held {
    std::string holder;
    int fd;
  };
  fs::path lock_path(std::string_view key) const {
    return dir_ / ((plain_name(key) ? std::string(key) : hash128(key.data(), key.size()).str()) + ".lock");
  }

  const fs::path dir_;
  std::mutex mu_;                     // guards held_
  std::map<std::string, Held> held_;  // locks this process holds: key -> holder, fd
};

}  // namespace

std::shared_ptr<LockManager> make_file_lock_manager(std::filesystem::path dir) {
  return std::make_shared<FileLockManager>(std::move(dir));
}

}  // namespace baton

#include "results/record_cache.h"

#include "results/group_commit.h"
#include "util/read_to_end.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace baton::results {

namespace {

std::int64_t ns_of(const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

Status io_error(std::string_view what, const std::string& path, std::string_view key, int err) {
  return Status::error(std::string(what) + " " + path + " (result record '" + std::string(key) + "'): " +
                       std::strerror(err));
}

bool is_absent(int err) { return err == ENOENT || err == ENOTDIR; }

}  // namespace

RecordCache::RecordCache(std::string dir, std::string suffix)
    : dir_(std::move(dir)), suffix_(std::move(suffix)), fork_generation_(fork_generation()) {}

RecordCache::~RecordCache() {
  if (const int fd = dir_fd_.load(); fd >= 0) ::close(fd);
  for (int fd : stale_fds_) ::close(fd);
}

int RecordCache::dir_fd(bool reopen) {
  int fd = dir_fd_.load(std::memory_order_acquire);
  if (fd >= 0 && !reopen) return fd;
  std::lock_guard lock(mu_);
  const int current = dir_fd_.load(std::memory_order_acquire);
  if (current != fd) return current;  // another thread opened or replaced it meanwhile
  const int opened = ::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (opened < 0) return current;
  if (current >= 0) stale_fds_.push_back(current);
  dir_fd_.store(opened, std::memory_order_release);
  return opened;
}

Result<std::shared_ptr<const ResultRecord>> RecordCache::get(std::string_view key) {
  std::string name;
  name.reserve(key.size() + suffix_.size());
  name.append(key).append(suffix_);
  const auto full = [&] { return dir_ + "/" + name; };

  const bool forked = fork_generation() != fork_generation_;
  struct stat st {};
  int fd = forked ? -1 : dir_fd(false);
  int rc = fd >= 0 ? ::fstatat(fd, name.c_str(), &st, 0) : -1;
  if (rc != 0 && (fd < 0 || is_absent(errno))) {
    // Not there, or no directory yet: ask by the full path, which also finds a
    // directory made again since the descriptor was opened.
    if (::stat(full().c_str(), &st) != 0) {
      if (is_absent(errno)) return std::shared_ptr<const ResultRecord>();
      return io_error("cannot stat metadata", full(), key, errno);
    }
    if (!forked) dir_fd(fd >= 0);
  } else if (rc != 0) {
    return io_error("cannot stat metadata", full(), key, errno);
  }
  const Identity seen{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                      static_cast<std::uint64_t>(st.st_size), ns_of(st.st_mtim), ns_of(st.st_ctim)};
  if (!forked) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it != entries_.end() && it->second.id == seen) return it->second.record;
  }

  // Read it: the clock first (see the header), then the file and its identity
  // from one descriptor, so the bytes and the identity belong together.
  const std::string path = full();
  timespec before{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &before);
  const int file = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file < 0) {
    if (is_absent(errno)) return std::shared_ptr<const ResultRecord>();
    return io_error("cannot open metadata", path, key, errno);
  }
  if (::fstat(file, &st) != 0) {
    const int err = errno;
    ::close(file);
    return io_error("cannot stat metadata", path, key, err);
  }
  std::string text;
  const int read_error = read_to_end(file, text);
  ::close(file);
  if (read_error != 0) return io_error("cannot read metadata", path, key, read_error);
  Result<ResultRecord> decoded = decode_record(text, key);
  if (!decoded.ok()) return Status::error(decoded.status().message() + " (file " + path + ")");
  auto record = std::make_shared<const ResultRecord>(std::move(*decoded));

  const Identity read_id{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                         static_cast<std::uint64_t>(st.st_size), ns_of(st.st_mtim), ns_of(st.st_ctim)};
  // The limit below which a change time is safely in the past: the clock reading
  // less 10 ms on a file system with sub-second times (it truncates to its
  // granularity, at most one tick of 10 ms), else the whole second (a file system
  // keeping seconds stamps a later change with at least that second).
  if (forked) return std::shared_ptr<const ResultRecord>(std::move(record));
  const bool sub_second = st.st_mtim.tv_nsec != 0 || st.st_ctim.tv_nsec != 0;
  const std::int64_t limit = sub_second ? ns_of(before) - 10'000'000
                                        : static_cast<std::int64_t>(before.tv_sec) * 1'000'000'000;
  std::lock_guard lock(mu_);
  if (read_id.mtime_ns < limit && read_id.ctime_ns < limit) {
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_[name] = Entry{read_id, record};
  } else {
    entries_.erase(name);  // too recent to be told apart from a successor
  }
  return std::shared_ptr<const ResultRecord>(std::move(record));
}

void RecordCache::forget(std::string_view key) {
  if (fork_generation() != fork_generation_) return;
  std::string name(key);
  name += suffix_;
  std::lock_guard lock(mu_);
  entries_.erase(name);
}

}  // namespace baton::results

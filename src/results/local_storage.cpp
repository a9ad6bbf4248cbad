// Result storage in a local directory. Every object is written to a temporary
// file in <root>/.baton-tmp, fsynced, renamed into place and its directory
// fsynced: a reader never sees a partial object, and a process killed mid-write
// leaves only a temporary, swept by the next process that writes here. A result
// (payload and record together) goes through the group commit
// (results/group_commit.h), which shares those fsyncs among concurrent writers;
// decoded records are kept while their files are unchanged (results/record_cache.h).
#include <baton/result_storage.h>

#include "results/group_commit.h"
#include "util/read_to_end.h"
#include "results/record_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>

namespace baton {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMetaDir = ".baton-meta";
constexpr std::string_view kTmpDir = ".baton-tmp";
constexpr std::string_view kMetaSuffix = ".json";
// Temporaries go to .baton-tmp/<n>, n = the writing thread's number modulo this.
// Why: on ext4 the first fsync of a new file also writes its directory, and with
// every writer creating in one directory those writes queue behind each other
// (64 threads, one file each per result: ~280 us per file in one directory,
// ~190 us spread over 64; docs/architecture.md).
constexpr unsigned kTmpSlots = 64;

std::string tmp_slot() {
  static std::atomic<unsigned> next{0};
  thread_local const std::string slot = std::to_string(next.fetch_add(1, std::memory_order_relaxed) % kTmpSlots);
  return slot;
}

std::string errno_text(int err) { return std::strerror(err); }

Status io_error(std::string_view what, const fs::path& path, int err) {
  return Status::error(std::string(what) + " " + path.string() + ": " + errno_text(err));
}

Status write_all(int fd, const void* data, std::size_t size, const fs::path& path) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    // Linux writes at most ~2 GiB per call; loop for partial writes and EINTR.
    ssize_t n = ::write(fd, p, std::min<std::size_t>(size, std::size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", path, errno);
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return Status();
}

Status fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory", dir, errno);
  const int err = results::counted_fsync(fd);
  ::close(fd);
  if (err != 0) return io_error("cannot fsync directory", dir, err);
  return Status();
}

Status make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::error("cannot create directory " + dir.string() + ": " + ec.message());
  return Status();
}

std::string random_suffix() {
  thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = rng();
  std::string s(16, '0');
  for (char& c : s) {
    c = kHex[v & 0xF];
    v >>= 4;
  }
  return s;
}

// A file being written under a temporary name, renamed into place on commit.
class AtomicFile {
 public:
  AtomicFile() = default;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() { abort(); }

  Status open(const fs::path& tmp_dir, fs::path target) {
    target_ = std::move(target);
    tmp_ = tmp_dir / (std::to_string(::getpid()) + "-" + random_suffix() + ".tmp");
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno == ENOENT) {  // a temporaries' subdirectory not made yet
      if (Status s = make_dirs(tmp_dir); !s.ok()) return s;
      fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (fd_ < 0) return io_error("cannot create temporary file", tmp_, errno);
    return Status();
  }
  Status write(const void* data, std::size_t size) {
    if (fd_ < 0) return Status::error("write to " + target_.string() + " after commit or abort");
    return write_all(fd_, data, size, tmp_);
  }
  Status commit() {
    if (fd_ < 0) return Status::error("commit of " + target_.string() + " after commit or abort");
    Status s;
    if (int err = results::counted_fsync(fd_)) s = io_error("cannot fsync", tmp_, err);
    if (s.ok() && ::close(fd_) != 0) s = io_error("cannot close", tmp_, errno);
    else if (!s.ok()) ::close(fd_);
    fd_ = -1;
    if (s.ok()) s = make_dirs(target_.parent_path());
    if (s.ok() && ::rename(tmp_.c_str(), target_.c_str()) != 0) s = io_error("cannot rename into", target_, errno);
    if (!s.ok()) {
      ::unlink(tmp_.c_str());
      return s;
    }
    return fsync_dir(target_.parent_path());
  }
  // Hands the written, unsynced file to a group commit (which then owns it).
  results::StagedFile stage() {
    results::StagedFile f{fd_, std::move(tmp_), target_, false};
    fd_ = -1;
    return f;
  }
  bool is_open() const { return fd_ >= 0; }
  void abort() noexcept {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(tmp_.c_str());
      fd_ = -1;
    }
  }

 private:
  fs::path target_, tmp_;
  int fd_ = -1;
};

class LocalPayloadWriter final : public PayloadWriter {
 public:
  Status open(const fs::path& tmp_dir, fs::path target) { return file_.open(tmp_dir, std::move(target)); }
  Status write(const void* data, std::size_t size) override {
    Status s = file_.write(data, size);
    if (s.ok()) written_ += size;
    return s;
  }
  Status commit() override { return file_.commit(); }
  void abort() noexcept override { file_.abort(); }
  std::uint64_t bytes_written() const override { return written_; }
  AtomicFile& file() { return file_; }

 private:
  AtomicFile file_;
  std::uint64_t written_ = 0;
};

class LocalPayloadReader final : public PayloadReader {
 public:
  ~LocalPayloadReader() override {
    if (map_ != nullptr) ::munmap(map_, size_);
    if (fd_ >= 0) ::close(fd_);
  }
  // Ok with a reader, or "not found" as a null result, or an error.
  Status open(const fs::path& path, bool& found) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      found = false;
      return errno == ENOENT ? Status() : io_error("cannot open payload", path, errno);
    }
    found = true;
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return io_error("cannot stat payload", path, errno);
    if (!S_ISREG(st.st_mode)) return Status::error("payload " + path.string() + " is not a regular file");
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      // Payload files are never modified in place (only replaced by rename), so
      // the mapping cannot shrink under us.
      void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (m == MAP_FAILED) return io_error("cannot map payload", path, errno);
      map_ = m;
      ::madvise(map_, size_, MADV_SEQUENTIAL);
    }
    return Status();
  }
  Result<std::size_t> read(void* data, std::size_t size) override {
    const std::size_t n = std::min(size, size_ - pos_);
    if (n > 0) std::memcpy(data, static_cast<const char*>(map_) + pos_, n);
    pos_ += n;
    return n;
  }
  std::optional<std::uint64_t> size() const override { return size_; }
  Result<std::size_t> read_at(std::uint64_t offset, void* data, std::size_t size) override {
    if (offset >= size_ || size == 0) return std::size_t{0};
    const std::size_t n = std::min<std::uint64_t>(size, size_ - offset);
    std::memcpy(data, static_cast<const char*>(map_) + offset, n);
    return n;
  }
  std::optional<std::span<const std::byte>> contiguous() const override {
    if (size_ == 0) return std::span<const std::byte>();
    return std::span<const std::byte>(static_cast<const std::byte*>(map_) + pos_, size_ - pos_);
  }

 private:
  fs::path path_;
  int fd_ = -1;
  void* map_ = nullptr;
  std::size_t size_ = 0;
  std::size_t pos_ = 0;
};

class LocalStorage final : public ResultStorage {
 public:
  explicit LocalStorage(fs::path root)
      : root_(std::move(root)), records_((root_ / kMetaDir).string(), std::string(kMetaSuffix)) {}

  std::string location() const override { return root_.string(); }

  Result<std::unique_ptr<PayloadWriter>> write_payload(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    if (Status s = prepare(); !s.ok()) return s;
    auto w = std::make_unique<LocalPayloadWriter>();
    if (Status s = w->open(tmp_dir(), root_ / fs::path(key)); !s.ok()) return s;
    return std::unique_ptr<PayloadWriter>(std::move(w));
  }

  Result<std::unique_ptr<PayloadReader>> read_payload(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    auto r = std::make_unique<LocalPayloadReader>();
    bool found = false;
    if (Status s = r->open(root_ / fs::path(key), found); !s.ok()) return s;
    if (!found) return std::unique_ptr<PayloadReader>();
    return std::unique_ptr<PayloadReader>(std::move(r));
  }

  Status delete_payload(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    return remove_file(root_ / fs::path(key));
  }

  // Through the group commit too (a record alone): small results whose payload
  // is inline are exactly this, one file each, sharing the directory fsyncs.
  Status put_metadata(std::string_view key, std::string_view record) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    if (Status s = prepare(); !s.ok()) return s;
    AtomicFile f;
    if (Status s = f.open(tmp_dir(), meta_path(key)); !s.ok()) return s;
    if (Status s = f.write(record.data(), record.size()); !s.ok()) return s;
    results::StagedFile staged = f.stage();
    if (Status s = results::sync_staged_or_discard({&staged}, key); !s.ok()) return s;
    return commits_.commit(std::move(staged), key);
  }

  std::size_t inline_payload_limit() const override { return kLocalInlinePayloadLimit; }

  Result<std::optional<std::string>> get_metadata(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    const fs::path path = meta_path(key);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
      return io_error("cannot open metadata", path, errno);
    }
    std::string text;
    const int read_error = read_to_end(fd, text);
    ::close(fd);
    if (read_error != 0) return io_error("cannot read metadata", path, read_error);
    return std::optional<std::string>(std::move(text));
  }

  Result<bool> has_metadata(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    struct stat st {};
    const fs::path path = meta_path(key);
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return io_error("cannot stat metadata", path, errno);
  }

  Status delete_metadata(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    records_.forget(key);
    return remove_file(meta_path(key));
  }

  Result<std::shared_ptr<const ResultRecord>> get_record(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    return records_.get(key);
  }

  Status commit_with_metadata(PayloadWriter& payload, std::string_view key, std::string_view record) override {
    auto* local = dynamic_cast<LocalPayloadWriter*>(&payload);
    if (local == nullptr || !local->file().is_open()) return ResultStorage::commit_with_metadata(payload, key, record);
    if (Status s = validate_storage_key(key); !s.ok()) {
      payload.abort();
      return s;
    }
    AtomicFile meta;
    Status s = meta.open(tmp_dir(), meta_path(key));
    if (s.ok()) s = meta.write(record.data(), record.size());
    if (!s.ok()) {
      payload.abort();
      return s;
    }
    // Each writer syncs its own two files (at the same time as other writers);
    // the group commit then shares the renames' directory fsyncs.
    results::StagedFile staged_payload = local->file().stage();
    results::StagedFile staged_meta = meta.stage();
    s = results::sync_staged_or_discard({&staged_payload, &staged_meta}, key);
    if (!s.ok()) return s;
    return commits_.commit(std::move(staged_payload), std::move(staged_meta), key);
  }

  Result<std::vector<std::string>> list_metadata(std::string_view prefix) override {
    std::vector<std::string> out;
    const fs::path dir = root_ / kMetaDir;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return out;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string rel = it->path().lexically_relative(dir).generic_string();
      if (!rel.ends_with(kMetaSuffix)) continue;
      rel.resize(rel.size() - kMetaSuffix.size());
      if (std::string_view(rel).starts_with(prefix)) out.push_back(std::move(rel));
    }
    if (ec) return Status::error("cannot list metadata in " + dir.string() + ": " + ec.message());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  fs::path tmp_dir() const { return root_ / kTmpDir / tmp_slot(); }

  fs::path meta_path(std::string_view key) const {
    return root_ / kMetaDir / fs::path(std::string(key) + std::string(kMetaSuffix));
  }

  static Status remove_file(const fs::path& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
      return io_error("cannot delete", path, errno);
    }
    return Status();
  }

  // Creates the directories once per process and sweeps temporaries left by
  // processes that died mid-write (their pid no longer exists).
  Status prepare() {
    std::lock_guard lock(mu_);
    if (prepared_) return Status();
    if (Status s = make_dirs(root_ / kTmpDir); !s.ok()) return s;
    if (Status s = make_dirs(root_ / kMetaDir); !s.ok()) return s;
    sweep_temporaries();
    prepared_ = true;
    return Status();
  }

  // In .baton-tmp (where earlier versions wrote) and its numbered subdirectories.
  void sweep_temporaries() {
    sweep_temporaries_in(root_ / kTmpDir);
    for (unsigned slot = 0; slot < kTmpSlots; ++slot) sweep_temporaries_in(root_ / kTmpDir / std::to_string(slot));
  }

  static void sweep_temporaries_in(const fs::path& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return;
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      const auto dash = name.find('-');
      if (dash == std::string::npos || !name.ends_with(".tmp")) continue;
      char* end = nullptr;
      const long pid = std::strtol(name.c_str(), &end, 10);
      if (end != name.c_str() + dash || pid <= 0) continue;
      if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) ::unlink((dir / name).c_str());
    }
    ::closedir(d);
  }

  const fs::path root_;
  results::GroupCommit commits_;
  results::RecordCache records_;
  std::mutex mu_;  // guards prepared_
  bool prepared_ = false;
};

}  // namespace

std::shared_ptr<ResultStorage> make_local_storage(std::string root) {
  return std::make_shared<LocalStorage>(fs::path(std::move(root)));
}

}  // namespace baton

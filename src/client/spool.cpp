#include "client/spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace baton::client {

namespace {

constexpr std::array<char, 4> kMagic = {'B', 'S', 'P', '1'};
constexpr std::size_t kHeader = 12;
// A record is one request body; a length past this is a corrupt header, not a record.
constexpr std::uint32_t kMaxRecord = 1u << 30;

void put_u32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

std::uint32_t crc(std::string_view data) {
  return static_cast<std::uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

std::string errno_text() { return std::strerror(errno); }

bool pread_all(int fd, char* buf, std::size_t n, std::uint64_t offset) {
  while (n > 0) {
    ssize_t got = ::pread(fd, buf, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buf += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

bool write_all(int fd, const char* buf, std::size_t n) {
  while (n > 0) {
    ssize_t put = ::write(fd, buf, n);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return false;
    buf += put;
    n -= static_cast<std::size_t>(put);
  }
  return true;
}

void fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

SpoolFile::SpoolFile(std::filesystem::path path, int fd, std::uint64_t end)
    : path_(std::move(path)), fd_(fd), end_offset_(end) {}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<SpoolFile>> SpoolFile::create(const std::filesystem::path& dir, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::error(fmt::format("cannot create the spool directory {}: {}", dir.string(), ec.message()));
  const auto final_path = dir / (name + ".spool");
  const auto temp_path = dir / (name + ".spool.new");
  int fd = ::open(temp_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error(fmt::format("cannot create the spool file {}: {}", temp_path.string(), errno_text()));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    Status s = Status::error(fmt::format("cannot create the spool file {}: {}", final_path.string(), errno_text()));
    ::close(fd);
    ::unlink(temp_path.c_str());
    return s;
  }
  fsync_dir(dir);
  return std::unique_ptr<SpoolFile>(new SpoolFile(final_path, fd, 0));
}

Result<std::unique_ptr<SpoolFile>> SpoolFile::claim(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::unique_ptr<SpoolFile>();
    return Status::error(fmt::format("cannot open the spool file {}: {}", path.string(), errno_text()));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {  // its process is alive, or another claims it now
    ::close(fd);
    return std::unique_ptr<SpoolFile>();
  }
  // Claimed and removed by another process between our open and our lock?
  struct stat by_fd {}, by_path {};
  if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0 || by_fd.st_ino != by_path.st_ino ||
      by_fd.st_dev != by_path.st_dev) {
    ::close(fd);
    return std::unique_ptr<SpoolFile>();
  }
  std::unique_ptr<SpoolFile> file(new SpoolFile(path, fd, static_cast<std::uint64_t>(by_fd.st_size)));
  if (Status s = file->scan(); !s.ok()) return s;
  return file;
}

std::vector<std::filesystem::path> SpoolFile::list(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".spool") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status SpoolFile::scan() {
  const std::uint64_t size = end_offset_;
  std::uint64_t offset = 0;
  records_ = 0;
  char header[kHeader];
  std::string payload;
  std::string problem;
  while (offset < size) {
    if (size - offset < kHeader || !pread_all(fd_, header, kHeader, offset)) {
      problem = "a torn record header";
      break;
    }
    const std::uint32_t length = get_u32(header + 4);
    if (std::memcmp(header, kMagic.data(), kMagic.size()) != 0 || length > kMaxRecord) {
      problem = "a corrupt record header";
      break;
    }
    if (size - offset - kHeader < length) {
      problem = "a torn record";
      break;
    }
    payload.resize(length);
    if (!pread_all(fd_, payload.data(), length, offset + kHeader) || crc(payload) != get_u32(header + 8)) {
      problem = "a record whose checksum is wrong";
      break;
    }
    offset += kHeader + length;
    ++records_;
  }
  if (offset < size) {
    std::fprintf(stderr,
                 "baton: warning: spool %s: dropped %llu bytes at offset %llu (%s, left by a process that stopped "
                 "while writing it; those events were never acknowledged)\n",
                 path_.c_str(), static_cast<unsigned long long>(size - offset),
                 static_cast<unsigned long long>(offset), problem.c_str());
    if (::ftruncate(fd_, static_cast<off_t>(offset)) != 0) {
      return Status::error(fmt::format("cannot cut the torn tail of the spool file {}: {}", path_.string(), errno_text()));
    }
  }
  end_offset_ = offset;
  return {};
}

Status SpoolFile::append(std::string_view payload) {
  if (payload.size() > kMaxRecord) {
    return Status::error(fmt::format("a record of {} bytes is too large for the spool file {}", payload.size(), path_.string()));
  }
  std::string frame(kHeader, '\0');
  std::memcpy(frame.data(), kMagic.data(), kMagic.size());
  put_u32(frame.data() + 4, static_cast<std::uint32_t>(payload.size()));
  put_u32(frame.data() + 8, crc(payload));
  frame.append(payload);
  if (::lseek(fd_, static_cast<off_t>(end_offset_), SEEK_SET) < 0 || !write_all(fd_, frame.data(), frame.size()) ||
      ::fdatasync(fd_) != 0) {
    Status s = Status::error(fmt::format("cannot write the spool file {}: {}", path_.string(), errno_text()));
    (void)::ftruncate(fd_, static_cast<off_t>(end_offset_));
    return s;
  }
  end_offset_ += frame.size();
  ++records_;
  return {};
}

Result<std::optional<std::string>> SpoolFile::peek() {
  if (read_offset_ >= end_offset_) return std::optional<std::string>();
  char header[kHeader];
  if (!pread_all(fd_, header, kHeader, read_offset_)) {
    return Status::error(fmt::format("cannot read the spool file {} at offset {}: {}", path_.string(), read_offset_,
                                     errno_text()));
  }
  const std::uint32_t length = get_u32(header + 4);
  std::string payload(length, '\0');
  if (!pread_all(fd_, payload.data(), length, read_offset_ + kHeader)) {
    return Status::error(fmt::format("cannot read the spool file {} at offset {}: {}", path_.string(), read_offset_,
                                     errno_text()));
  }
  peeked_size_ = kHeader + length;
  return std::optional<std::string>(std::move(payload));
}

void SpoolFile::advance() {
  read_offset_ += peeked_size_;
  peeked_size_ = 0;
  ++records_read_;
}

void SpoolFile::remove() {
  ::unlink(path_.c_str());
  fsync_dir(path_.parent_path());
}

}  // namespace baton::client

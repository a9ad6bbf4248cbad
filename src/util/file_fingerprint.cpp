#include <baton/fingerprint.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace baton {

namespace {

// Reads exactly up to `size` bytes at `offset`; returns how many were read.
std::size_t read_at(int fd, void* buf, std::size_t size, off_t offset) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, static_cast<char*>(buf) + done, size - done, offset + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

}  // namespace

void FileRef::fingerprint(Hasher& h) const {
  static constexpr std::string_view kTag = "baton.file.v1";
  h.update(kTag);
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path_, ec);
  if (ec) abs = path_;
  hash_value(h, abs.lexically_normal());

  struct stat st {};
  // O_NONBLOCK: a FIFO must not block the fingerprint waiting for a writer.
  int fd = ::open(abs.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const std::int64_t err = errno;
    static constexpr std::string_view kMissing = "missing";
    h.update(kMissing);
    h.update(&err, sizeof err);
    return;
  }
  if (::fstat(fd, &st) != 0) {
    const std::int64_t err = errno;
    h.update(&err, sizeof err);
    ::close(fd);
    return;
  }
  const std::int64_t size = st.st_size;
  const std::int64_t mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  const std::int64_t mode = st.st_mode & S_IFMT;
  h.update(&mode, sizeof mode);
  h.update(&size, sizeof size);
  h.update(&mtime_ns, sizeof mtime_ns);
  if (S_ISREG(st.st_mode) && size > 0) {
    std::vector<char> buf(kFileFingerprintWindow);
    const auto window = static_cast<std::int64_t>(kFileFingerprintWindow);
    std::size_t n = read_at(fd, buf.data(), buf.size(), 0);
    h.update(buf.data(), n);
    if (size > window) {
      const std::int64_t tail_start = std::max<std::int64_t>(window, size - window);
      n = read_at(fd, buf.data(), static_cast<std::size_t>(size - tail_start), tail_start);
      h.update(buf.data(), n);
    }
  }
  ::close(fd);
}

Fingerprint file_fingerprint(const std::filesystem::path& path) {
  Hasher h;
  FileRef(path).fingerprint(h);
  return h.digest();
}

}  // namespace baton

#include "runners/socket_frames.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace baton::runners {

namespace {

// A frame longer than this is a corrupted length, not a message (results this
// large go to result storage, not through the socket).
constexpr std::uint64_t kMaxFrame = std::uint64_t{1} << 40;
constexpr std::size_t kReadChunk = 256 * 1024;

}  // namespace

bool send_all(int fd, std::string_view bytes, const std::function<void()>& on_readable) {
  const char* data = bytes.data();
  std::size_t size = bytes.size();
  while (size > 0) {
    ssize_t n = send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, static_cast<short>(POLLOUT | (on_readable ? POLLIN : 0)), 0};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) return false;
      if ((p.revents & POLLIN) && on_readable) on_readable();
      if (p.revents & (POLLERR | POLLNVAL)) return false;
      continue;
    }
    return false;
  }
  return true;
}

FrameReader::Got FrameReader::next(std::string_view& frame, bool block, std::string& error) {
  for (;;) {
    const std::size_t have = end_ - start_;
    if (have >= sizeof(std::uint64_t)) {
      std::uint64_t length = 0;
      std::memcpy(&length, buf_.data() + start_, sizeof length);
      if (length > kMaxFrame) {
        error = "a frame claims " + std::to_string(length) + " bytes";
        return Got::Malformed;
      }
      if (have - sizeof length >= length) {
        frame = std::string_view(buf_).substr(start_ + sizeof length, length);
        start_ += sizeof length + length;
        return Got::Frame;
      }
      // Room for the whole frame, so a large one is read straight into place.
      const std::size_t need = sizeof length + length;
      if (buf_.size() - start_ < need) {
        if (start_ > 0) {
          std::memmove(buf_.data(), buf_.data() + start_, have);
          end_ = have;
          start_ = 0;
        }
        if (buf_.size() < need) buf_.resize(need);
      }
    }
    if (!block && drained_) {
      drained_ = false;  // the next call asks the socket
      return Got::Empty;
    }
    if (start_ == end_) start_ = end_ = 0;
    if (buf_.size() - end_ < kReadChunk / 4) {
      if (start_ > 0) {
        std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
      }
      if (buf_.size() - end_ < kReadChunk / 4) buf_.resize(end_ + kReadChunk);
    }
    const std::size_t room = buf_.size() - end_;
    ssize_t n = recv(fd_, buf_.data() + end_, room, block ? 0 : MSG_DONTWAIT);
    if (n > 0) {
      end_ += static_cast<std::size_t>(n);
      drained_ = static_cast<std::size_t>(n) < room;
      continue;
    }
    drained_ = false;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!block) return Got::Empty;
      pollfd p{fd_, POLLIN, 0};
      (void)poll(&p, 1, -1);
      continue;
    }
    if (end_ > start_) {
      error = "the stream ended inside a frame (" + std::to_string(end_ - start_) + " bytes of it arrived)";
      return Got::Malformed;
    }
    return Got::Closed;
  }
}

}  // namespace baton::runners

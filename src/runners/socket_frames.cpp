#include "runners/socket_frames.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace baton::runners {

namespace {

// Moves all `size` bytes through `io` (send or recv), resuming after short
// transfers and signals; false when the other end is gone or the socket fails.
template <class Byte, class Io>
bool transfer_all(Byte* data, std::size_t size, Io io) {
  while (size > 0) {
    ssize_t n = io(data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool send_all(int fd, const char* data, std::size_t size) {
  return transfer_all(data, size, [fd](const char* p, std::size_t n) { return send(fd, p, n, MSG_NOSIGNAL); });
}

bool receive_all(int fd, char* data, std::size_t size) {
  return transfer_all(data, size, [fd](char* p, std::size_t n) { return recv(fd, p, n, 0); });
}

}  // namespace

bool send_frame(int fd, std::string_view message) {
  const std::uint64_t length = message.size();
  return send_all(fd, reinterpret_cast<const char*>(&length), sizeof length) &&
         send_all(fd, message.data(), message.size());
}

std::optional<std::string> receive_frame(int fd) {
  std::uint64_t length = 0;
  if (!receive_all(fd, reinterpret_cast<char*>(&length), sizeof length)) return std::nullopt;
  std::string message(length, '\0');
  if (!receive_all(fd, message.data(), message.size())) return std::nullopt;
  return message;
}

FrameWait wait_for_frame(int fd, const std::stop_token& stop) {
  for (;;) {
    if (stop.stop_requested()) return FrameWait::Stopped;
    pollfd p{fd, POLLIN, 0};
    // A stop is noticed within this interval; a message wakes the poll at once.
    int n = poll(&p, 1, stop.stop_possible() ? 50 : -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FrameWait::Closed;
    if (n > 0) return (p.revents & POLLIN) ? FrameWait::Ready : FrameWait::Closed;
  }
}

}  // namespace baton::runners

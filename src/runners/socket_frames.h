#pragma once
// Length-prefixed frames (u64 length, then the bytes) over a stream socket: the
// process pool's socket pairs. A frame holds one message batch (message_batch.h).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace baton::runners {

// Writes all of `bytes` (a whole frame, length included). It never blocks in
// send (MSG_DONTWAIT, whatever the socket's mode): when the socket is full it
// waits for room with poll, calling `on_readable` whenever the socket also has
// bytes to read, so two peers that both write never wait on each other.
// False when the other end is gone.
bool send_all(int fd, std::string_view bytes, const std::function<void()>& on_readable = {});

// Reads frames from a socket into one buffer, whole frames out.
class FrameReader {
 public:
  enum class Got { Frame, Empty, Closed, Malformed };
  explicit FrameReader(int fd) : fd_(fd) {}
  // The next whole frame's bytes (after the length) in `frame`. Empty: none is
  // complete and `block` is false. Closed: end of stream or a socket error
  // (with a partial frame left: Malformed, `error` says what). Without
  // `block`, right after a read that took less than it could (the socket had
  // nothing more), it answers Empty without asking the socket again.
  Got next(std::string_view& frame, bool block, std::string& error);

 private:
  int fd_;
  bool drained_ = false;  // the last recv left the socket empty
  std::string buf_;
  std::size_t start_ = 0;  // first unconsumed byte of buf_
  std::size_t end_ = 0;    // bytes of buf_ holding data
};

}  // namespace baton::runners

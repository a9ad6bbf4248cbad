#pragma once
// Length-prefixed messages over a stream socket (the process pool's socket pairs).
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

namespace baton::runners {

// False when the other end is gone.
bool send_frame(int fd, std::string_view message);
// The next whole message; nullopt at end of stream or on a truncated message.
std::optional<std::string> receive_frame(int fd);

enum class FrameWait { Ready, Stopped, Closed };
// Waits until a message can be read, `stop` is requested, or the socket fails.
FrameWait wait_for_frame(int fd, const std::stop_token& stop);

}  // namespace baton::runners

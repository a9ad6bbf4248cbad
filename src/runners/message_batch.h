#pragma once
// Several protocol messages in one transfer (issue 13): a process-pool socket
// frame or one MPI message carries a batch, so many small tasks cost one system
// call and one wake-up per batch instead of per task.
//
// Layout (little-endian): u8 version | u32 count | count x (u8 kind | u64 size |
// size bytes). On a socket the batch is preceded by its u64 length. The version
// is checked: both ends are the same binary today, but a stale worker or a
// corrupted stream must be a clear error, not a misread.
#include "runners/remote_protocol.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace baton::runners {

inline constexpr std::uint8_t kBatchVersion = 1;

class BatchWriter {
 public:
  // `framed`: leaves room for the u64 length a socket frame starts with.
  explicit BatchWriter(bool framed) : framed_(framed) { reset(); }

  void add(MessageKind kind, std::string_view body);
  std::size_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::size_t bytes() const { return out_.size(); }
  // The finished batch (length and count filled in); the writer starts a new one.
  std::string take();

 private:
  void reset();
  bool framed_;
  std::uint32_t count_ = 0;
  std::string out_;
};

// Calls `each` for every message of `batch` (without a socket length prefix), in
// order. Throws Error naming `peer` ("worker process 123 sent a malformed batch:
// ...") when the batch is truncated, has trailing bytes or another version;
// `each` may throw too. Views point into `batch`.
void read_batch(std::string_view batch, const std::string& peer,
                const std::function<void(MessageKind, std::string_view)>& each);

}  // namespace baton::runners

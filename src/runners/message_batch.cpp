#include "runners/message_batch.h"

#include <baton/error.h>

#include <cstring>

namespace baton::runners {

void BatchWriter::reset() {
  out_.clear();
  count_ = 0;
  if (framed_) out_.append(sizeof(std::uint64_t), '\0');
  out_.push_back(static_cast<char>(kBatchVersion));
  out_.append(sizeof(std::uint32_t), '\0');
}

void BatchWriter::add(MessageKind kind, std::string_view body) {
  WireWriter w(out_);
  w.u8(static_cast<std::uint8_t>(kind));
  w.str(body);
  ++count_;
}

std::string BatchWriter::take() {
  const std::size_t head = framed_ ? sizeof(std::uint64_t) : 0;
  std::memcpy(out_.data() + head + 1, &count_, sizeof count_);
  if (framed_) {
    const std::uint64_t length = out_.size() - head;
    std::memcpy(out_.data(), &length, sizeof length);
  }
  std::string done = std::move(out_);
  out_ = std::string();
  reset();
  return done;
}

void read_batch(std::string_view batch, const std::string& peer,
                const std::function<void(MessageKind, std::string_view)>& each) {
  auto malformed = [&peer](const std::string& what) {
    return Error(peer + " sent a malformed message batch: " + what);
  };
  if (batch.size() < 1 + sizeof(std::uint32_t)) {
    throw malformed("it has " + std::to_string(batch.size()) + " bytes, fewer than its header");
  }
  if (static_cast<std::uint8_t>(batch[0]) != kBatchVersion) {
    throw malformed("version " + std::to_string(static_cast<unsigned>(static_cast<std::uint8_t>(batch[0]))) +
                    ", expected " + std::to_string(kBatchVersion));
  }
  std::uint32_t count = 0;
  std::memcpy(&count, batch.data() + 1, sizeof count);
  std::string_view rest = batch.substr(1 + sizeof count);
  for (std::uint32_t i = 0; i < count; ++i) {
    if (rest.size() < 1 + sizeof(std::uint64_t)) {
      throw malformed("message " + std::to_string(i + 1) + " of " + std::to_string(count) + " is truncated");
    }
    const auto kind = static_cast<MessageKind>(rest[0]);
    std::uint64_t size = 0;
    std::memcpy(&size, rest.data() + 1, sizeof size);
    rest.remove_prefix(1 + sizeof size);
    if (size > rest.size()) {
      throw malformed("message " + std::to_string(i + 1) + " of " + std::to_string(count) + " wants " +
                      std::to_string(size) + " bytes, " + std::to_string(rest.size()) + " are left");
    }
    const std::string_view body = rest.substr(0, size);
    rest.remove_prefix(size);
    each(kind, body);
  }
  if (!rest.empty()) throw malformed(std::to_string(rest.size()) + " bytes after its last message");
}

}  // namespace baton::runners

#pragma once
// The byte sink and source that serializers write to and read from, so a value
// streams to its storage without a second whole copy in memory.
//
// Errors are Status values (I/O that failed, naming the file or key); a sink or
// source that failed stays failed. Neither interface is thread-safe.
#include <baton/status.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace baton {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Appends all `size` bytes or fails.
  virtual Status write(const void* data, std::size_t size) = 0;
  // Pushes buffered bytes to the layer below; a compressing sink ends its frame
  // here, so flush is called once, after the last write.
  virtual Status flush() { return Status(); }
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` bytes; 0 means the end. Short reads are allowed.
  virtual Result<std::size_t> read(void* data, std::size_t size) = 0;
  // Total bytes this source will give, when known (lets readers bound sizes).
  virtual std::optional<std::uint64_t> size() const { return std::nullopt; }
  // The whole remaining content as one span, when the source already holds it in
  // memory (a memory-mapped file): readers then copy from it directly. The span
  // stays valid as long as the source does.
  virtual std::optional<std::span<const std::byte>> contiguous() const { return std::nullopt; }
};

// A sink appending to a std::string it owns (tests, small metadata).
class StringSink final : public ByteSink {
 public:
  Status write(const void* data, std::size_t size) override {
    out_.append(static_cast<const char*>(data), size);
    return Status();
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

// A source over bytes it does not own (they must outlive it).
class SpanSource final : public ByteSource {
 public:
  explicit SpanSource(std::span<const std::byte> bytes) : bytes_(bytes) {}
  explicit SpanSource(std::string_view text)
      : bytes_(reinterpret_cast<const std::byte*>(text.data()), text.size()) {}
  Result<std::size_t> read(void* data, std::size_t size) override;
  std::optional<std::uint64_t> size() const override { return bytes_.size() - pos_; }
  std::optional<std::span<const std::byte>> contiguous() const override { return bytes_.subspan(pos_); }

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
};

// zstd streaming compression around another sink (which must outlive it). The
// frame is ended by flush(); without it the output is incomplete.
std::unique_ptr<ByteSink> make_zstd_sink(ByteSink& inner, int level);
// zstd streaming decompression of another source. A damaged or truncated frame
// is an error naming the compressed offset.
std::unique_ptr<ByteSource> make_zstd_source(ByteSource& inner);

}  // namespace baton

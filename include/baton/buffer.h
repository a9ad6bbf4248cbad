#pragma once
// Buffer: an immutable, shared run of bytes. A Buffer is a shared owner plus a
// pointer and a size, so the bytes can live anywhere that some object keeps
// alive: a heap allocation (MutableBuffer::finish), a memory-mapped file, a
// decoded Parquet page, a std::vector moved in. Copying a Buffer copies the
// handle, never the bytes; slicing is zero-copy. Thread safety: a Buffer is
// immutable and may be shared freely between threads.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace baton {

class Buffer {
 public:
  Buffer() = default;  // empty
  // The bytes [data, data + size) stay valid while `owner` lives.
  Buffer(std::shared_ptr<const void> owner, const uint8_t* data, size_t size)
      : owner_(std::move(owner)), data_(data), size_(size) {}

  // A heap copy of the bytes (64-byte aligned).
  static Buffer copy_of(const void* data, size_t size);
  // Takes a vector's storage without copying.
  template <class T>
  static Buffer from_vector(std::vector<T> v) {
    auto owner = std::make_shared<std::vector<T>>(std::move(v));
    const auto* p = reinterpret_cast<const uint8_t*>(owner->data());
    size_t n = owner->size() * sizeof(T);
    return Buffer(std::shared_ptr<const void>(owner, p), p, n);
  }
  // Maps a whole file read-only (MAP_PRIVATE); the mapping lives as long as any
  // Buffer (or slice) made from it. Throws std::runtime_error naming the path
  // if it cannot be opened or mapped. An empty file gives an empty Buffer.
  static Buffer map_file(const std::string& path);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  template <class T>
  const T* as() const { return reinterpret_cast<const T*>(data_); }
  // Zero-copy view of [offset, offset + size); asserts it is in range.
  Buffer slice(size_t offset, size_t size) const;
  const std::shared_ptr<const void>& owner() const { return owner_; }

 private:
  std::shared_ptr<const void> owner_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// MutableBuffer: a growable, 64-byte aligned, *uninitialized* heap region that
// a builder or decoder writes into directly and then freezes into a Buffer with
// finish() (no copy). Not thread-safe; move-only. Regions of 1 MiB and more
// are mapped pages that, once freed, are kept in a bounded process-wide cache
// (at most 1 GiB, or an eighth of physical memory) for the next region of
// about the same size, so repeated decoding does not pay for fresh pages.
class MutableBuffer {
 public:
  MutableBuffer() = default;
  explicit MutableBuffer(size_t size) { resize(size); }
  MutableBuffer(MutableBuffer&& other) noexcept;
  MutableBuffer& operator=(MutableBuffer&& other) noexcept;
  MutableBuffer(const MutableBuffer&) = delete;
  MutableBuffer& operator=(const MutableBuffer&) = delete;
  ~MutableBuffer();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  template <class T>
  T* as() { return reinterpret_cast<T*>(data_); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  // Grows capacity to at least n bytes (keeps the contents).
  void reserve(size_t n);
  // Sets the size; new bytes are uninitialized. Grows geometrically.
  void resize(size_t n);
  // Sets the size, zero-filling any new bytes.
  void resize_zeroed(size_t n);
  // Freezes the contents into an immutable Buffer; this buffer becomes empty.
  Buffer finish();

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace baton

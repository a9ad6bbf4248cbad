#include "baton/buffer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace baton {
namespace {

constexpr size_t kAlignment = 64;

uint8_t* aligned_allocate(size_t n) {
  if (n == 0) return nullptr;
  size_t rounded = (n + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<uint8_t*>(p);
}

// Keeps a read-only file mapping alive; unmapped when the last Buffer goes.
struct Mapping {
  void* addr = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (addr != nullptr) munmap(addr, size);
  }
};

}  // namespace

Buffer Buffer::copy_of(const void* data, size_t size) {
  MutableBuffer m(size);
  if (size) std::memcpy(m.data(), data, size);
  return m.finish();
}

Buffer Buffer::slice(size_t offset, size_t size) const {
  assert(offset <= size_ && size <= size_ - offset && "Buffer::slice out of range");
  return Buffer(owner_, data_ + offset, size);
}

Buffer Buffer::map_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error(path + ": cannot stat: " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw std::runtime_error(path + ": not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return Buffer();
  }
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int e = errno;
  ::close(fd);  // the mapping keeps the file referenced
  if (addr == MAP_FAILED) throw std::runtime_error(path + ": cannot mmap: " + std::strerror(e));
  auto mapping = std::make_shared<Mapping>();
  mapping->addr = addr;
  mapping->size = size;
  return Buffer(std::shared_ptr<const void>(mapping, addr), static_cast<const uint8_t*>(addr), size);
}

MutableBuffer::MutableBuffer(MutableBuffer&& other) noexcept
    : data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
  other.data_ = nullptr;
  other.size_ = other.capacity_ = 0;
}

MutableBuffer& MutableBuffer::operator=(MutableBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
  }
  return *this;
}

MutableBuffer::~MutableBuffer() { std::free(data_); }

void MutableBuffer::reserve(size_t n) {
  if (n <= capacity_) return;
  uint8_t* p = aligned_allocate(n);
  if (size_) std::memcpy(p, data_, size_);
  std::free(data_);
  data_ = p;
  capacity_ = n;
}

void MutableBuffer::resize(size_t n) {
  if (n > capacity_) reserve(n < 2 * capacity_ ? 2 * capacity_ : n);
  size_ = n;
}

void MutableBuffer::resize_zeroed(size_t n) {
  size_t old = size_;
  resize(n);
  if (n > old) std::memset(data_ + old, 0, n - old);
}

Buffer MutableBuffer::finish() {
  if (size_ == 0) {
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
    return Buffer();
  }
  uint8_t* p = data_;
  size_t n = size_;
  data_ = nullptr;
  size_ = capacity_ = 0;
  std::shared_ptr<const void> owner(p, [](const void* q) { std::free(const_cast<void*>(q)); });
  return Buffer(std::move(owner), p, n);
}

}  // namespace baton

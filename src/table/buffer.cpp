#include <baton/buffer.h>

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>

namespace baton {
namespace {

constexpr size_t kAlignment = 64;

// Large regions (column buffers are megabytes) are mapped directly and, when
// freed, kept in a bounded process-wide cache for the next allocation of about
// the same size. Fresh pages are what decoding a file costs most on a typical
// virtual machine: each 4 KiB page faults and is zeroed by the kernel on first
// touch (~1.5 µs here), more than decoding the values into it. The cache plays
// the part of DuckDB's buffer pool or an allocator's retained pages, for the
// usual decode → transform → write → drop → repeat cycle. It holds at most
// 1 GiB or an eighth of physical memory, whichever is less (least recently
// freed blocks are unmapped first), and its blocks are never returned to the
// OS otherwise: a process that drops its tables keeps up to that much.
class LargeBlockCache {
 public:
  static constexpr size_t kMinSize = size_t{1} << 20;

  static LargeBlockCache& instance() {
    static auto* cache = [] {
      auto* c = new LargeBlockCache();  // never destroyed: buffers may outlive static destruction
      // A fork while another thread holds the lock must not leave the child's
      // copy locked forever.
      ::pthread_atfork([] { instance().mu_.lock(); }, [] { instance().mu_.unlock(); },
                       [] { instance().mu_.unlock(); });
      return c;
    }();
    return *cache;
  }

  // A region of at least n (>= kMinSize) bytes; *size gets its real size.
  uint8_t* allocate(size_t n, size_t* size) {
    const size_t rounded = (n + kPage - 1) / kPage * kPage;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // The smallest cached block that fits without wasting more than a quarter.
      Block* best = nullptr;
      for (Block& b : free_)
        if (b.size >= rounded && b.size - rounded <= rounded / 4 && (best == nullptr || b.size < best->size)) best = &b;
      if (best != nullptr) {
        uint8_t* p = best->data;
        *size = best->size;
        cached_ -= best->size;
        *best = free_.back();
        free_.pop_back();
        return p;
      }
    }
    void* p = ::mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    *size = rounded;
    return static_cast<uint8_t*>(p);
  }

  void release(uint8_t* p, size_t size) {
    if (size > cap_) {
      ::munmap(p, size);
      return;
    }
    std::vector<Block> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (cached_ + size > cap_ && !free_.empty()) {  // oldest first
        evicted.push_back(free_.front());
        cached_ -= free_.front().size;
        free_.erase(free_.begin());
      }
      free_.push_back(Block{p, size});
      cached_ += size;
    }
    for (const Block& b : evicted) ::munmap(b.data, b.size);
  }

 private:
  static constexpr size_t kPage = 4096;
  struct Block {
    uint8_t* data;
    size_t size;
  };
  static size_t default_cap() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    const size_t gib = size_t{1} << 30;
    if (pages <= 0 || page <= 0) return gib;
    return std::min(gib, static_cast<size_t>(pages) * static_cast<size_t>(page) / 8);
  }
  std::mutex mu_;
  std::vector<Block> free_;  // in the order they were freed
  size_t cached_ = 0;
  const size_t cap_ = default_cap();
};

// Allocations below LargeBlockCache::kMinSize come from the heap; the
// capacity tells which way a region was made.
uint8_t* allocate(size_t n, size_t* capacity) {
  if (n == 0) {
    *capacity = 0;
    return nullptr;
  }
  if (n >= LargeBlockCache::kMinSize) return LargeBlockCache::instance().allocate(n, capacity);
  size_t rounded = (n + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr) throw std::bad_alloc();
  *capacity = n;
  return static_cast<uint8_t*>(p);
}

void release(uint8_t* p, size_t capacity) {
  if (p == nullptr) return;
  if (capacity >= LargeBlockCache::kMinSize) LargeBlockCache::instance().release(p, capacity);
  else std::free(p);
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
  // O_NONBLOCK: opening a FIFO (or a device) for reading must not wait for a
  // writer; the file type is checked right after, and only regular files map.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error(path + ": cannot stat: " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* kind = S_ISFIFO(st.st_mode)  ? "a FIFO"
                       : S_ISDIR(st.st_mode) ? "a directory"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                     : "not a regular file";
    throw std::runtime_error(path + ": " + kind + ", not a regular file: only regular files can be read");
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
    release(data_, capacity_);
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
  }
  return *this;
}

MutableBuffer::~MutableBuffer() { release(data_, capacity_); }

void MutableBuffer::reserve(size_t n) {
  if (n <= capacity_) return;
  size_t got = 0;
  uint8_t* p = allocate(n, &got);
  if (size_) std::memcpy(p, data_, size_);
  release(data_, capacity_);
  data_ = p;
  capacity_ = got;
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
    release(data_, capacity_);
    data_ = nullptr;
    capacity_ = 0;
    return Buffer();
  }
  uint8_t* p = data_;
  size_t n = size_;
  size_t capacity = capacity_;
  data_ = nullptr;
  size_ = capacity_ = 0;
  std::shared_ptr<const void> owner(p, [capacity](const void* q) { release(static_cast<uint8_t*>(const_cast<void*>(q)), capacity); });
  return Buffer(std::move(owner), p, n);
}

}  // namespace baton

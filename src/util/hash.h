#pragma once
// XXH3 hashing for baton's internals: one-shot 64/128-bit digests of buffers and a
// streaming 64-bit state (payload checksums). The 128-bit streaming Hasher and the
// Fingerprint value are public (include/baton/hash.h).
//
// Every entry point goes to libxxhash's *_dispatch functions, which choose the
// widest vector unit (SSE2/AVX2/AVX-512) at run time; Debian's plain entry points
// are built for SSE2 only and run at about half the speed on AVX2 machines.
#include <baton/hash.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace baton {

std::uint64_t hash64(const void* data, std::size_t size, std::uint64_t seed = 0);

// Streaming XXH3-64, the payload checksum. Not thread-safe; copyable.
class Hasher64 {
 public:
  Hasher64();
  Hasher64(const Hasher64& other);
  Hasher64& operator=(const Hasher64& other);
  ~Hasher64() = default;

  void update(const void* data, std::size_t size);
  std::uint64_t digest() const;

 private:
  alignas(64) unsigned char state_[640];
};

// 16 lowercase hex digits.
std::string hex64(std::uint64_t value);

}  // namespace baton

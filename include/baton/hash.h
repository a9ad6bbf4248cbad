#pragma once
// 128-bit fingerprints and the streaming hasher that builds them (XXH3-128).
// Light on purpose: no xxhash.h here; the hasher's state lives inline in a buffer
// sized and checked against XXH3_state_t in src/util/hash.cpp, so hashing small
// arguments on the hot path allocates nothing.
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace baton {

// A 128-bit digest. A plain value; `str()` is 32 lowercase hex digits (hi then lo).
struct Fingerprint {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  std::string str() const;
  static std::optional<Fingerprint> parse(std::string_view hex);  // nullopt unless 32 hex digits
  friend auto operator<=>(const Fingerprint&, const Fingerprint&) = default;
};

// Streaming XXH3-128 (runtime-dispatched to the widest SIMD the CPU has).
// Not thread-safe: one hasher per thread of work. Copyable (copies the state), so
// a common prefix can be hashed once and forked.
class Hasher {
 public:
  Hasher();
  explicit Hasher(std::uint64_t seed);
  Hasher(const Hasher& other);
  Hasher& operator=(const Hasher& other);
  ~Hasher() = default;

  void update(const void* data, std::size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // The digest of everything so far; the hasher can keep going afterwards.
  Fingerprint digest() const;

 private:
  // XXH3_state_t is 576 bytes, 64-byte aligned in xxHash 0.8; hash.cpp static_asserts it fits.
  alignas(64) unsigned char state_[640];
};

// One-shot XXH3-128 of a buffer.
Fingerprint hash128(const void* data, std::size_t size, std::uint64_t seed = 0);

}  // namespace baton

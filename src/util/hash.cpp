#include "util/hash.h"

#include <cstring>
#include <new>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t's definition, so the state can live inline
#include <xxhash.h>
#include <xxh_x86dispatch.h>

namespace baton {

namespace {

static_assert(sizeof(XXH3_state_t) <= 640, "Hasher::state_ too small for this xxHash version");
static_assert(alignof(XXH3_state_t) <= 64, "Hasher::state_ under-aligned for this xxHash version");

XXH3_state_t* state_of(unsigned char* buf) { return std::launder(reinterpret_cast<XXH3_state_t*>(buf)); }
const XXH3_state_t* state_of(const unsigned char* buf) {
  return std::launder(reinterpret_cast<const XXH3_state_t*>(buf));
}

// XXH3 states hold a pointer to their secret (extSecret, null for the default
// secret) and no other self-references, so a byte copy is a valid copy; this is
// what XXH3_copyState does too.
void copy_state(unsigned char* dst, const unsigned char* src) {
  XXH3_copyState(state_of(dst), state_of(src));
}

constexpr char kHex[] = "0123456789abcdef";

void put_hex(std::uint64_t v, char* out) {
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[v & 0xF];
    v >>= 4;
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Fingerprint::str() const {
  std::string out(32, '0');
  put_hex(hi, out.data());
  put_hex(lo, out.data() + 16);
  return out;
}

std::optional<Fingerprint> Fingerprint::parse(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  Fingerprint f;
  for (std::size_t i = 0; i < 32; ++i) {
    int d = hex_digit(hex[i]);
    if (d < 0) return std::nullopt;
    std::uint64_t& word = i < 16 ? f.hi : f.lo;
    word = (word << 4) | static_cast<std::uint64_t>(d);
  }
  return f;
}

std::string hex64(std::uint64_t value) {
  std::string out(16, '0');
  put_hex(value, out.data());
  return out;
}

Hasher::Hasher() : Hasher(0) {}
Hasher::Hasher(std::uint64_t seed) {
  new (state_) XXH3_state_t;
  XXH3_INITSTATE(state_of(state_));
  XXH3_128bits_reset_withSeed(state_of(state_), seed);
}
Hasher::Hasher(const Hasher& other) {
  new (state_) XXH3_state_t;
  copy_state(state_, other.state_);
}
Hasher& Hasher::operator=(const Hasher& other) {
  if (this != &other) copy_state(state_, other.state_);
  return *this;
}
void Hasher::update(const void* data, std::size_t size) {
  if (size == 0) return;  // xxHash accepts (nullptr, 0), but keep UBSan quiet on empty views
  XXH3_128bits_update_dispatch(state_of(state_), data, size);
}
Fingerprint Hasher::digest() const {
  XXH128_hash_t h = XXH3_128bits_digest(state_of(state_));
  return {h.high64, h.low64};
}

Fingerprint hash128(const void* data, std::size_t size, std::uint64_t seed) {
  static const char kEmpty = 0;
  XXH128_hash_t h = XXH3_128bits_withSeed_dispatch(size == 0 ? &kEmpty : data, size, seed);
  return {h.high64, h.low64};
}

std::uint64_t hash64(const void* data, std::size_t size, std::uint64_t seed) {
  static const char kEmpty = 0;
  return XXH3_64bits_withSeed_dispatch(size == 0 ? &kEmpty : data, size, seed);
}

Hasher64::Hasher64() {
  new (state_) XXH3_state_t;
  XXH3_INITSTATE(state_of(state_));
  XXH3_64bits_reset(state_of(state_));
}
Hasher64::Hasher64(const Hasher64& other) {
  new (state_) XXH3_state_t;
  copy_state(state_, other.state_);
}
Hasher64& Hasher64::operator=(const Hasher64& other) {
  if (this != &other) copy_state(state_, other.state_);
  return *this;
}
void Hasher64::update(const void* data, std::size_t size) {
  if (size == 0) return;
  XXH3_64bits_update_dispatch(state_of(state_), data, size);
}
std::uint64_t Hasher64::digest() const { return XXH3_64bits_digest(state_of(state_)); }

}  // namespace baton

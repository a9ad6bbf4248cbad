#include "table/bitmap_util.h"

#include <array>

namespace baton::detail {
namespace {

// kByteToMask[b] holds byte k = bit k of b (0 or 1), little-endian.
constexpr std::array<uint64_t, 256> make_byte_to_mask() {
  std::array<uint64_t, 256> t{};
  for (unsigned b = 0; b < 256; ++b)
    for (unsigned k = 0; k < 8; ++k) t[b] |= static_cast<uint64_t>((b >> k) & 1u) << (8 * k);
  return t;
}
constexpr std::array<uint64_t, 256> kByteToMask = make_byte_to_mask();

}  // namespace

void copy_bits(const uint8_t* src, int64_t off, int64_t n, uint8_t* dst) {
  if (n <= 0) return;
  const int64_t nbytes = (n + 7) / 8;
  const uint8_t* s = src + off / 8;
  const int shift = static_cast<int>(off & 7);
  if (shift == 0) {
    std::memcpy(dst, s, static_cast<size_t>(nbytes));
    return;
  }
  const int64_t avail = (off + n + 7) / 8 - off / 8;  // source bytes that hold our bits
  for (int64_t k = 0; k < nbytes; ++k) {
    unsigned lo = static_cast<unsigned>(s[k]) >> shift;
    unsigned hi = k + 1 < avail ? static_cast<unsigned>(s[k + 1]) << (8 - shift) : 0u;
    dst[k] = static_cast<uint8_t>(lo | hi);
  }
}

Buffer and_validity(const Column& a, const Column* b, int64_t* null_count) {
  const int64_t n = a.length();
  const bool an = a.has_nulls(), bn = b != nullptr && b->has_nulls();
  if (!an && !bn) {
    *null_count = 0;
    return Buffer();
  }
  const size_t nbytes = static_cast<size_t>((n + 7) / 8);
  MutableBuffer out(nbytes);
  if (an && bn) {
    copy_bits(a.validity_bits(), a.validity_offset(), n, out.data());
    std::vector<uint8_t> tmp(nbytes);
    copy_bits(b->validity_bits(), b->validity_offset(), n, tmp.data());
    for (size_t k = 0; k < nbytes; ++k) out.data()[k] &= tmp[k];
    *null_count = n - count_set_bits(out.data(), 0, n);
  } else {
    const Column& c = an ? a : *b;
    copy_bits(c.validity_bits(), c.validity_offset(), n, out.data());
    *null_count = c.null_count();
  }
  return out.finish();
}

void valid_mask(const Column& c, int64_t start, int64_t n, uint8_t* mask) {
  if (!c.has_nulls()) {
    std::memset(mask, 1, static_cast<size_t>(n));
    return;
  }
  const uint8_t* bits = c.validity_bits();
  const int64_t off = c.validity_offset() + start;
  int64_t k = 0;
  for (; k < n && ((off + k) & 7) != 0; ++k) mask[k] = bit_get(bits, off + k);
  // Whole bitmap bytes: eight mask bytes from a table.
  for (; k + 8 <= n; k += 8) std::memcpy(mask + k, &kByteToMask[bits[(off + k) >> 3]], 8);
  for (; k < n; ++k) mask[k] = bit_get(bits, off + k);
}

Buffer bitmap_from_mask(const uint8_t* mask, int64_t n, int64_t* null_count) {
  int64_t valid = 0;
  for (int64_t k = 0; k < n; ++k) valid += mask[k] != 0;
  *null_count = n - valid;
  if (valid == n) return Buffer();
  MutableBuffer out;
  out.resize_zeroed(static_cast<size_t>((n + 7) / 8));
  uint8_t* bits = out.data();
  for (int64_t k = 0; k < n; ++k)
    bits[k >> 3] |= static_cast<uint8_t>((mask[k] != 0) << (k & 7));
  return out.finish();
}

}  // namespace baton::detail

#include "parquet/encodings.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>

namespace baton::parquet_detail {

uint64_t read_uleb128(const uint8_t*& p, const uint8_t* end) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end) throw EncodingError("truncated varint");
    uint8_t b = *p++;
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return result;
  }
  throw EncodingError("varint longer than 10 bytes");
}

namespace {

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Reads up to 8 bytes at p without passing end (zero-filled beyond).
inline uint64_t load64_tail(const uint8_t* p, const uint8_t* end) {
  uint64_t v = 0;
  size_t n = static_cast<size_t>(std::min<ptrdiff_t>(8, end - p));
  std::memcpy(&v, p, n);
  return v;
}

// Unpacks values of BW bits (BW <= 56 so that one 64-bit load covers a value
// at any bit offset). The compile-time width lets the compiler turn the shifts
// and masks into constants; the main loop does unaligned 8-byte loads while at
// least 8 bytes remain, the tail reads byte-wise.
// Eight values of BW bits fill exactly BW bytes, so within a group every
// value's byte offset and shift are compile-time constants.
template <int BW, class T, size_t... K>
inline void unpack_group(const uint8_t* p, T* out, std::index_sequence<K...>) {
  constexpr uint64_t mask = (uint64_t{1} << BW) - 1;
  ((out[K] = static_cast<T>((load64(p + (K * BW) / 8) >> ((K * BW) % 8)) & mask)), ...);
}

template <int BW, class T>
void unpack_fixed(const uint8_t* src, size_t src_size, uint64_t first, T* out, size_t count) {
  if constexpr (BW == 0) {
    std::fill(out, out + count, T{0});
  } else {
    constexpr uint64_t mask = (BW == 64) ? ~uint64_t{0} : ((uint64_t{1} << BW) - 1);
    const uint8_t* end = src + src_size;
    size_t i = 0;
    // A call that starts inside a group (the caller's block ended there)
    // takes values one at a time up to the group boundary, then whole groups.
    const size_t head = std::min<size_t>(count, static_cast<size_t>((8 - first % 8) % 8));
    for (; i < head; ++i) {
      const uint64_t b = (first + i) * BW;
      out[i] = static_cast<T>((load64_tail(src + (b >> 3), end) >> (b & 7)) & mask);
    }
    uint64_t bit = (first + i) * BW;
    if (count - i >= 8) {
      // Whole groups while the last load of a group stays inside the buffer.
      const uint8_t* p = src + ((first + i) / 8) * BW;
      constexpr size_t kReach = (7 * BW) / 8 + 8;  // bytes a group's loads touch
      while (i + 8 <= count && static_cast<size_t>(end - p) >= kReach) {
        unpack_group<BW>(p, out + i, std::make_index_sequence<8>{});
        p += BW;
        i += 8;
      }
      bit = (first + i) * BW;
    }
    // Fast part: the 8 bytes at bit/8 lie inside the buffer.
    if (src_size >= 8) {
      uint64_t fast_bits_end = (static_cast<uint64_t>(src_size) - 8) * 8;  // bit offsets < this have 8 bytes ahead
      for (; i < count && bit <= fast_bits_end; ++i, bit += BW) {
        uint64_t w = load64(src + (bit >> 3)) >> (bit & 7);
        out[i] = static_cast<T>(w & mask);
      }
    }
    for (; i < count; ++i, bit += BW) {
      uint64_t w = load64_tail(src + (bit >> 3), end) >> (bit & 7);
      out[i] = static_cast<T>(w & mask);
    }
  }
}

template <class T, size_t... I>
constexpr auto make_unpack_table(std::index_sequence<I...>) {
  using Fn = void (*)(const uint8_t*, size_t, uint64_t, T*, size_t);
  return std::array<Fn, sizeof...(I)>{&unpack_fixed<static_cast<int>(I), T>...};
}

// Widths above 56: a value may straddle 9 bytes.
void unpack_wide(const uint8_t* src, size_t src_size, int bw, uint64_t first, uint64_t* out, size_t count) {
  const uint8_t* end = src + src_size;
  uint64_t mask = bw == 64 ? ~uint64_t{0} : ((uint64_t{1} << bw) - 1);
  uint64_t bit = first * static_cast<uint64_t>(bw);
  for (size_t i = 0; i < count; ++i, bit += static_cast<uint64_t>(bw)) {
    const uint8_t* p = src + (bit >> 3);
    unsigned shift = bit & 7;
    uint64_t w = load64_tail(p, end) >> shift;
    if (shift != 0 && shift + static_cast<unsigned>(bw) > 64 && p + 8 < end) w |= static_cast<uint64_t>(p[8]) << (64 - shift);
    out[i] = w & mask;
  }
}

void check_packed_size(size_t src_size, int bw, uint64_t first, size_t count) {
  uint64_t bits_needed = (first + count) * static_cast<uint64_t>(bw);
  if ((bits_needed + 7) / 8 > src_size) throw EncodingError("bit-packed data is truncated");
}

}  // namespace

void unpack_bits32(const uint8_t* src, size_t src_size, int bw, uint64_t first, uint32_t* out, size_t count) {
  static constexpr auto table = make_unpack_table<uint32_t>(std::make_index_sequence<33>{});
  if (bw < 0 || bw > 32) throw EncodingError("bit width " + std::to_string(bw) + " exceeds 32");
  check_packed_size(src_size, bw, first, count);
  table[static_cast<size_t>(bw)](src, src_size, first, out, count);
}

// One-bit values (levels, booleans) a byte at a time: 8 output bytes per input
// byte from a table.
constexpr std::array<uint64_t, 256> make_bit_spread_table() {
  std::array<uint64_t, 256> t{};
  for (unsigned b = 0; b < 256; ++b)
    for (unsigned k = 0; k < 8; ++k)
      if ((b >> k) & 1) t[b] |= uint64_t{1} << (8 * k);
  return t;
}

void unpack_bits8(const uint8_t* src, size_t src_size, int bw, uint64_t first, uint8_t* out, size_t count) {
  static constexpr auto table = make_unpack_table<uint8_t>(std::make_index_sequence<9>{});
  static constexpr auto spread = make_bit_spread_table();
  if (bw < 0 || bw > 8) throw EncodingError("bit width " + std::to_string(bw) + " exceeds 8");
  check_packed_size(src_size, bw, first, count);
  if (bw == 1 && first % 8 == 0) {
    const uint8_t* s = src + first / 8;
    size_t full = count / 8;
    for (size_t i = 0; i < full; ++i) std::memcpy(out + 8 * i, &spread[s[i]], 8);
    size_t done = full * 8;
    if (done < count) table[1](src, src_size, first + done, out + done, count - done);
    return;
  }
  table[static_cast<size_t>(bw)](src, src_size, first, out, count);
}

void unpack_bits64(const uint8_t* src, size_t src_size, int bw, uint64_t first, uint64_t* out, size_t count) {
  static constexpr auto table = make_unpack_table<uint64_t>(std::make_index_sequence<57>{});
  if (bw < 0 || bw > 64) throw EncodingError("bit width " + std::to_string(bw) + " exceeds 64");
  check_packed_size(src_size, bw, first, count);
  if (bw <= 56)
    table[static_cast<size_t>(bw)](src, src_size, first, out, count);
  else
    unpack_wide(src, src_size, bw, first, out, count);
}

// ---- RLE / bit-packed hybrid ------------------------------------------------

RleBitPackedDecoder::RleBitPackedDecoder(const uint8_t* data, size_t size, int bit_width)
    : p_(data), end_(data + size), bit_width_(bit_width) {
  if (bit_width < 0 || bit_width > 32) throw EncodingError("RLE bit width " + std::to_string(bit_width) + " exceeds 32");
}

bool RleBitPackedDecoder::next_run() {
  if (p_ >= end_) return false;
  uint64_t header = read_uleb128(p_, end_);
  if (header & 1) {
    uint64_t groups = header >> 1;
    uint64_t values = groups * 8;
    if (groups > (uint64_t{1} << 58)) throw EncodingError("bit-packed run too long");
    size_t avail = static_cast<size_t>(end_ - p_);
    uint64_t bytes = groups * static_cast<uint64_t>(bit_width_);
    packed_ = true;
    packed_at_ = p_;
    packed_index_ = 0;
    if (bytes > avail) {
      // The last run may be cut short by writers that do not pad; keep the
      // values that are wholly present.
      values = bit_width_ == 0 ? values : (static_cast<uint64_t>(avail) * 8) / static_cast<uint64_t>(bit_width_);
      p_ = end_;
    } else {
      p_ += bytes;
    }
    run_left_ = values;
  } else {
    run_left_ = header >> 1;
    size_t nbytes = static_cast<size_t>((bit_width_ + 7) / 8);
    if (static_cast<size_t>(end_ - p_) < nbytes) throw EncodingError("truncated RLE run value");
    uint32_t v = 0;
    for (size_t i = 0; i < nbytes; ++i) v |= static_cast<uint32_t>(p_[i]) << (8 * i);
    p_ += nbytes;
    if (bit_width_ < 32 && (v >> bit_width_) != 0) throw EncodingError("RLE run value " + std::to_string(v) + " wider than the bit width " + std::to_string(bit_width_));
    rle_value_ = v;
    packed_ = false;
  }
  return true;
}

template <class T>
void RleBitPackedDecoder::get_impl(T* out, size_t count) {
  size_t done = 0;
  while (done < count) {
    if (run_left_ == 0) {
      if (!next_run()) throw EncodingError("RLE data ends after " + std::to_string(done) + " of " + std::to_string(count) + " values");
      continue;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(run_left_, count - done));
    if (packed_) {
      // The unpacker may load past the run (not past the data) so that short
      // runs take its word-wide path; the values it returns are the run's.
      const auto readable = static_cast<size_t>(end_ - packed_at_);
      if constexpr (sizeof(T) == 1)
        unpack_bits8(packed_at_, readable, bit_width_, packed_index_, out + done, n);
      else
        unpack_bits32(packed_at_, readable, bit_width_, packed_index_, out + done, n);
      packed_index_ += n;
    } else {
      std::fill(out + done, out + done + n, static_cast<T>(rle_value_));
    }
    run_left_ -= n;
    done += n;
  }
}

void RleBitPackedDecoder::get(uint32_t* out, size_t count) { get_impl(out, count); }
void RleBitPackedDecoder::get(uint8_t* out, size_t count) {
  if (bit_width_ > 8) throw EncodingError("RLE bit width " + std::to_string(bit_width_) + " too wide for levels");
  get_impl(out, count);
}

// ---- DELTA_BINARY_PACKED ----------------------------------------------------

DeltaBinaryPackedDecoder::DeltaBinaryPackedDecoder(const uint8_t* data, size_t size) : begin_(data), p_(data), end_(data + size) {
  block_size_ = read_uleb128(p_, end_);
  miniblocks_ = read_uleb128(p_, end_);
  total_count_ = read_uleb128(p_, end_);
  uint64_t z = read_uleb128(p_, end_);
  last_ = (z >> 1) ^ (~(z & 1) + 1);
  if (block_size_ == 0 || block_size_ % 128 != 0 || block_size_ > (1u << 20))
    throw EncodingError("DELTA_BINARY_PACKED block size " + std::to_string(block_size_) + " is not a multiple of 128 up to 1Mi");
  if (miniblocks_ == 0 || block_size_ % miniblocks_ != 0 || (block_size_ / miniblocks_) % 32 != 0)
    throw EncodingError("DELTA_BINARY_PACKED has " + std::to_string(miniblocks_) + " miniblocks per block of " + std::to_string(block_size_));
  per_miniblock_ = block_size_ / miniblocks_;
  miniblock_index_ = miniblocks_;  // a block header comes first
  widths_.resize(static_cast<size_t>(miniblocks_));
}

bool DeltaBinaryPackedDecoder::next_miniblock() {
  if (miniblock_index_ == miniblocks_) {
    uint64_t z = read_uleb128(p_, end_);
    min_delta_ = (z >> 1) ^ (~(z & 1) + 1);
    if (static_cast<uint64_t>(end_ - p_) < miniblocks_) throw EncodingError("DELTA_BINARY_PACKED block header truncated");
    std::memcpy(widths_.data(), p_, static_cast<size_t>(miniblocks_));
    p_ += miniblocks_;
    miniblock_index_ = 0;
  }
  int w = widths_[static_cast<size_t>(miniblock_index_)];
  ++miniblock_index_;
  if (w > 64) throw EncodingError("DELTA_BINARY_PACKED miniblock bit width " + std::to_string(w));
  uint64_t needed = std::min<uint64_t>(per_miniblock_, total_count_ - emitted_);
  uint64_t full_bytes = per_miniblock_ * static_cast<uint64_t>(w) / 8;
  uint64_t need_bytes = (needed * static_cast<uint64_t>(w) + 7) / 8;
  size_t avail = static_cast<size_t>(end_ - p_);
  if (need_bytes > avail) throw EncodingError("DELTA_BINARY_PACKED miniblock truncated");
  if (unpacked_.size() < per_miniblock_) unpacked_.resize(static_cast<size_t>(per_miniblock_));
  unpack_bits64(p_, static_cast<size_t>(std::min<uint64_t>(full_bytes, avail)), w, 0, unpacked_.data(), static_cast<size_t>(needed));
  p_ += std::min<uint64_t>(full_bytes, avail);
  unpacked_pos_ = 0;
  unpacked_len_ = static_cast<size_t>(needed);
  return true;
}

template <class T>
void DeltaBinaryPackedDecoder::decode(T* out, size_t count) {
  if (count > total_count_ - emitted_)
    throw EncodingError("DELTA_BINARY_PACKED holds " + std::to_string(total_count_) + " values, " + std::to_string(emitted_ + count) + " needed");
  size_t i = 0;
  if (first_pending_ && count > 0) {
    out[0] = static_cast<T>(last_);
    first_pending_ = false;
    ++emitted_;
    i = 1;
  }
  uint64_t last = last_;
  while (i < count) {
    if (unpacked_pos_ == unpacked_len_) next_miniblock();
    size_t n = std::min(unpacked_len_ - unpacked_pos_, count - i);
    const uint64_t* d = unpacked_.data() + unpacked_pos_;
    uint64_t md = min_delta_;
    for (size_t j = 0; j < n; ++j) {
      last += md + d[j];
      out[i + j] = static_cast<T>(last);
    }
    unpacked_pos_ += n;
    emitted_ += n;
    i += n;
  }
  last_ = last;
}

template void DeltaBinaryPackedDecoder::decode<int32_t>(int32_t*, size_t);
template void DeltaBinaryPackedDecoder::decode<int64_t>(int64_t*, size_t);

// ---- BYTE_STREAM_SPLIT -------------------------------------------------------

void byte_stream_split_decode(const uint8_t* src, size_t src_size, size_t width, size_t count, uint8_t* out) {
  if (width == 0) throw EncodingError("BYTE_STREAM_SPLIT of zero-width values");
  if (src_size % width != 0) throw EncodingError("BYTE_STREAM_SPLIT data of " + std::to_string(src_size) + " bytes is not a multiple of the value width " + std::to_string(width));
  size_t stride = src_size / width;
  if (stride < count) throw EncodingError("BYTE_STREAM_SPLIT holds " + std::to_string(stride) + " values, " + std::to_string(count) + " needed");
  for (size_t b = 0; b < width; ++b) {
    const uint8_t* s = src + b * stride;
    uint8_t* o = out + b;
    for (size_t i = 0; i < count; ++i) o[i * width] = s[i];
  }
}

// ---- encoders (the writer's side of the same formats)

int bit_width_for(uint64_t max_value) {
  int bw = 0;
  while (max_value > 0) {
    ++bw;
    max_value >>= 1;
  }
  return bw;
}

namespace {

// Packs 8 values of BW bits LSB-first into BW bytes; fully unrolled, so the
// shifts and stores are constants.
template <int BW>
void pack8(const uint32_t* p, uint8_t* d) {
  uint64_t acc = 0;
  int bits = 0;
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) {
    acc |= static_cast<uint64_t>(p[j]) << bits;
    bits += BW;
    if (bits >= 32) {
      const auto word = static_cast<uint32_t>(acc);
      std::memcpy(d, &word, 4);  // little-endian host
      d += 4;
      acc >>= 32;
      bits -= 32;
    }
  }
  if (bits > 0) std::memcpy(d, &acc, static_cast<size_t>(bits / 8));
}

using Pack8 = void (*)(const uint32_t*, uint8_t*);

template <size_t... BW>
constexpr std::array<Pack8, sizeof...(BW)> make_pack8_table(std::index_sequence<BW...>) {
  return {&pack8<static_cast<int>(BW)>...};
}
constexpr auto kPack8 = make_pack8_table(std::make_index_sequence<33>{});

// Packs 8 * groups values of `bw` bits LSB-first into dst (groups * bw
// bytes); values past count are zero.
void bit_pack(const uint32_t* v, int64_t count, int64_t groups, int bw, uint8_t* dst) {
  if (bw == 0) return;
  const Pack8 pack = kPack8[static_cast<size_t>(bw)];
  const int64_t full = count / 8;
  for (int64_t g = 0; g < full; ++g) pack(v + g * 8, dst + g * bw);
  if (full < groups) {
    uint32_t tail[8] = {};
    for (int64_t i = full * 8; i < count; ++i) tail[i - full * 8] = v[i];
    pack(tail, dst + full * bw);
  }
}

// True if the 8 values at p are equal (branch-free).
inline bool all8_equal(const uint32_t* p) {
  uint32_t diff = 0;
  for (int k = 1; k < 8; ++k) diff |= p[k] ^ p[0];
  return diff == 0;
}

uint8_t* put_varint_raw(uint8_t* o, uint64_t v) {
  while (v >= 0x80) {
    *o++ = static_cast<uint8_t>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *o++ = static_cast<uint8_t>(v);
  return o;
}

}  // namespace

void encode_hybrid(const uint32_t* v, int64_t n, int bw, std::string& out) {
  if (n <= 0) return;
  const int value_bytes = (bw + 7) / 8;
  // Into scratch sized for the worst case (every 8 values a run header and
  // value, or a group), appended once: no per-byte growth checks.
  thread_local std::string scratch;
  const size_t bound = static_cast<size_t>((n / 8 + 2) * (bw + 16));
  if (scratch.size() < bound) scratch.resize(bound);
  uint8_t* const begin = reinterpret_cast<uint8_t*>(scratch.data());
  uint8_t* o = begin;
  auto rle = [&](int64_t count, uint32_t x) {
    o = put_varint_raw(o, static_cast<uint64_t>(count) << 1);
    for (int b = 0; b < value_bytes; ++b) *o++ = static_cast<uint8_t>((x >> (8 * b)) & 0xff);
  };
  if (bw == 0) {
    rle(n, 0);
  } else {
    int64_t i = 0;
    while (i < n) {
      // A run of at least 8 equal values at i: one RLE run, as long as it goes.
      if (i + 8 <= n && all8_equal(v + i)) {
        const uint32_t x = v[i];
        int64_t j = i + 8;
        while (j + 8 <= n && all8_equal(v + j) && v[j] == x) j += 8;
        while (j < n && v[j] == x) ++j;
        rle(j - i, x);
        i = j;
        continue;
      }
      // Bit-pack groups of 8 until a group boundary starts 8 equal values
      // (worth an RLE run); a last, partial group is padded with zeros.
      const int64_t start = i;
      i += 8;
      while (i + 8 <= n && !all8_equal(v + i)) i += 8;
      if (i + 8 > n && i < n) i += 8;  // the tail joins this run
      const int64_t count = std::min(i, n) - start;
      const int64_t groups = (count + 7) / 8;
      o = put_varint_raw(o, (static_cast<uint64_t>(groups) << 1) | 1);
      bit_pack(v + start, count, groups, bw, o);
      o += groups * bw;
      if (i > n) i = n;
    }
  }
  out.append(reinterpret_cast<const char*>(begin), static_cast<size_t>(o - begin));
}

}  // namespace baton::parquet_detail

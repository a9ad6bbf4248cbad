// The Parquet writer: one row group at a time, each column chunk encoded on
// its own (optionally in parallel) into memory, then appended to the output.
#include "parquet/writer_internal.h"

#include <fcntl.h>
#include <snappy-sinksource.h>
#include <snappy.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <string_view>
#include <type_traits>
#include <utility>

#include "table/bitmap_util.h"
#include "parquet/thrift_compact_writer.h"

namespace baton {
namespace parquet_detail {
namespace {

using T = ThriftCompactWriter::Type;

// parquet.thrift enum values used here.
enum PhysicalType : int32_t { kBoolean = 0, kInt32 = 1, kInt64 = 2, kDouble = 5, kByteArray = 6 };
enum Encoding : int32_t { kPlain = 0, kRle = 3, kRleDictionary = 8 };
enum PageType : int32_t { kDataPage = 0, kDictionaryPage = 2 };
enum ConvertedType : int32_t { kUtf8 = 0, kDate = 6, kTimestampMicros = 10 };

constexpr const char* kCreatedBy = "baton version 0.1.0 (build baton)";

int32_t physical_type(const DataType& t) {
  switch (t.id) {
    case TypeId::Bool: return kBoolean;
    case TypeId::Int32: case TypeId::Date: return kInt32;
    case TypeId::Int64: case TypeId::Timestamp: return kInt64;
    case TypeId::Float64: return kDouble;
    case TypeId::String: return kByteArray;
  }
  return kInt64;
}

int32_t codec_id(ParquetCompression c) {
  switch (c) {
    case ParquetCompression::Uncompressed: return 0;
    case ParquetCompression::Snappy: return 1;
    case ParquetCompression::Zstd: return 6;
  }
  return 0;
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_u32(std::string& out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // little-endian host (x86-64, aarch64)
  out.append(b, 4);
}

constexpr int64_t kValueBlock = 4096;

// Hands the valid values of a fixed-width column to fn(dense, m) in order, in
// blocks: straight from the column when it has no nulls, else compacted
// (branch-free) through a small buffer. fn returns false to stop, and so does
// this.
template <class V, class Fn>
bool for_valid_blocks(const Column& c, Fn&& fn) {
  const V* v = c.data<V>();
  const int64_t n = c.length();
  if (!c.has_nulls()) {
    for (int64_t s = 0; s < n; s += kValueBlock)
      if (!fn(v + s, std::min(kValueBlock, n - s))) return false;
    return true;
  }
  V dense[kValueBlock];
  uint8_t mask[kValueBlock];
  for (int64_t s = 0; s < n; s += kValueBlock) {
    const int64_t m = std::min(kValueBlock, n - s);
    detail::valid_mask(c, s, m, mask);
    int64_t k = 0;
    for (int64_t i = 0; i < m; ++i) {
      dense[k] = v[s + i];
      k += mask[i];
    }
    if (k > 0 && !fn(static_cast<const V*>(dense), k)) return false;
  }
  return true;
}

// ---- statistics --------------------------------------------------------

struct ChunkStats {
  int64_t null_count = 0;
  bool has_minmax = false;
  std::string min, max;  // PLAIN-encoded
};

template <class V>
std::string plain_bytes(V v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof v);
}

// Branch-free min/max over a dense array, compiled for AVX2 as well (64-bit
// integer compares need it to vectorize) and for the x86-64 baseline.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define BATON_WRITER_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define BATON_WRITER_MULTIVERSION
#endif

template <class V>
void minmax_loop(const V* __restrict v, int64_t n, V& lo, V& hi) {
  V a = lo, b = hi;
  for (int64_t i = 0; i < n; ++i) {
    a = v[i] < a ? v[i] : a;
    b = v[i] > b ? v[i] : b;
  }
  lo = a;
  hi = b;
}
BATON_WRITER_MULTIVERSION void minmax(const int64_t* v, int64_t n, int64_t& lo, int64_t& hi) { minmax_loop(v, n, lo, hi); }
BATON_WRITER_MULTIVERSION void minmax(const int32_t* v, int64_t n, int32_t& lo, int32_t& hi) { minmax_loop(v, n, lo, hi); }
BATON_WRITER_MULTIVERSION void minmax(const double* v, int64_t n, double& lo, double& hi) { minmax_loop(v, n, lo, hi); }
void minmax(const uint8_t* v, int64_t n, uint8_t& lo, uint8_t& hi) { minmax_loop(v, n, lo, hi); }

ChunkStats compute_stats(const Column& c) {
  ChunkStats s;
  s.null_count = c.null_count();
  const int64_t n = c.length();
  auto fixed = [&](auto tag) {
    using V = decltype(tag);
    const V* __restrict v = c.data<V>();
    // Branch-free min/max: starting from +inf/-inf (or the integer limits),
    // NaN never wins a comparison, so it is left out as the format asks.
    V lo, hi;
    if constexpr (std::is_floating_point_v<V>) {
      lo = std::numeric_limits<V>::infinity();
      hi = -lo;
    } else {
      lo = std::numeric_limits<V>::max();
      hi = std::numeric_limits<V>::lowest();
    }
    bool any = false;
    if (!c.has_nulls()) {
      minmax(v, n, lo, hi);
      if constexpr (std::is_floating_point_v<V>) {
        any = lo <= hi;  // false when every value is NaN
        if (!any) {      // all NaN, or only infinities? recheck the rare edge exactly
          for (int64_t i = 0; i < n && !any; ++i) any = !std::isnan(v[i]);
        }
      } else {
        any = n > 0;
      }
    } else if constexpr (std::is_floating_point_v<V>) {
      for (int64_t i = 0; i < n; ++i) {
        if (!c.is_valid(i)) continue;
        V x = v[i];
        if (std::isnan(x)) continue;
        any = true;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
      }
    } else {
      for_valid_blocks<V>(c, [&](const V* dense, int64_t m) {
        for (int64_t i = 0; i < m; ++i) {
          lo = dense[i] < lo ? dense[i] : lo;
          hi = dense[i] > hi ? dense[i] : hi;
        }
        any = true;
        return true;
      });
    }
    if (!any) return;
    if constexpr (std::is_floating_point_v<V>) {
      // The format asks for -0.0 as a zero min and +0.0 as a zero max.
      if (lo == 0) lo = -0.0;
      if (hi == 0) hi = 0.0;
    }
    s.has_minmax = true;
    s.min = plain_bytes(lo);
    s.max = plain_bytes(hi);
  };
  switch (c.type().id) {
    case TypeId::Int32: case TypeId::Date: fixed(int32_t{}); break;
    case TypeId::Int64: case TypeId::Timestamp: fixed(int64_t{}); break;
    case TypeId::Float64: fixed(double{}); break;
    case TypeId::Bool: {
      fixed(uint8_t{});
      if (s.has_minmax) {  // normalize to 0/1
        s.min = std::string(1, s.min[0] ? 1 : 0);
        s.max = std::string(1, s.max[0] ? 1 : 0);
      }
      break;
    }
    case TypeId::String: {
      bool any = false;
      std::string_view lo, hi;
      for (int64_t i = 0; i < n; ++i) {
        if (!c.is_valid(i)) continue;
        std::string_view x = c.string_at(i);
        if (!any) {
          lo = hi = x;
          any = true;
        } else {
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
      }
      // Long values would bloat the footer; exact bounds or none.
      if (any && lo.size() <= 64 && hi.size() <= 64) {
        s.has_minmax = true;
        s.min = std::string(lo);
        s.max = std::string(hi);
      }
      break;
    }
  }
  return s;
}

// ---- dictionary ---------------------------------------------------------

constexpr uint32_t kNoIndex = std::numeric_limits<uint32_t>::max();

// Open-addressing hash table from a value to its dictionary index.
template <class Key, class Hash, class Eq>
class DictTable {
 public:
  explicit DictTable(size_t capacity_pow2) : slots_(capacity_pow2, kNoIndex), mask_(capacity_pow2 - 1) {}
  // Returns the index of `k`, appending it to `keys` if absent.
  uint32_t find_or_insert(const Key& k, std::vector<Key>& keys) {
    size_t h = Hash{}(k) & mask_;
    while (true) {
      uint32_t s = slots_[h];
      if (s == kNoIndex) {
        const auto next = static_cast<uint32_t>(keys.size());
        slots_[h] = next;
        keys.push_back(k);
        if (keys.size() * 2 > slots_.size()) grow(keys);
        return next;
      }
      if (Eq{}(keys[s], k)) return s;
      h = (h + 1) & mask_;
    }
  }

 private:
  void grow(const std::vector<Key>& keys) {
    std::vector<uint32_t> bigger(slots_.size() * 2, kNoIndex);
    size_t m = bigger.size() - 1;
    for (uint32_t i = 0; i < keys.size(); ++i) {
      size_t h = Hash{}(keys[i]) & m;
      while (bigger[h] != kNoIndex) h = (h + 1) & m;
      bigger[h] = i;
    }
    slots_.swap(bigger);
    mask_ = m;
  }
  std::vector<uint32_t> slots_;
  size_t mask_;
};

// Open addressing for 8-byte keys, the key stored in the slot (no indirection
// on a probe); Fibonacci hashing takes the product's high bits, which depend on
// every bit of the key (doubles often have all-zero low bits). Kept at most a
// quarter full so that a probe almost always ends at its first slot.
class U64DictTable {
 public:
  U64DictTable() { resize(12); }
  // The hit path inline, the insert out of line.
  __attribute__((always_inline)) uint32_t find_or_insert(uint64_t k, std::vector<uint64_t>& keys) {
    size_t h = hash(k);
    while (true) {
      const Slot& s = slots_[h];
      if (s.key == k && s.id != kNoIndex) return s.id;
      if (s.id == kNoIndex) return insert(h, k, keys);
      h = (h + 1) & mask_;
    }
  }

 private:
  __attribute__((noinline)) uint32_t insert(size_t h, uint64_t k, std::vector<uint64_t>& keys) {
    const auto id = static_cast<uint32_t>(keys.size());
    slots_[h] = Slot{k, id};
    keys.push_back(k);
    if (keys.size() * 4 > slots_.size()) rehash(keys);
    return id;
  }

  struct Slot {
    uint64_t key;
    uint32_t id;
  };
  size_t hash(uint64_t k) const { return static_cast<size_t>((k * 0x9e3779b97f4a7c15ULL) >> shift_); }
  void resize(int bits) {
    slots_.assign(size_t{1} << bits, Slot{0, kNoIndex});
    mask_ = slots_.size() - 1;
    shift_ = 64 - bits;
    bits_ = bits;
  }
  void rehash(const std::vector<uint64_t>& keys) {
    resize(bits_ + 1);
    for (uint32_t i = 0; i < keys.size(); ++i) {
      size_t h = hash(keys[i]);
      while (slots_[h].id != kNoIndex) h = (h + 1) & mask_;
      slots_[h] = Slot{keys[i], i};
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 0, bits_ = 0;
};

struct SvHash {
  size_t operator()(std::string_view s) const { return static_cast<size_t>(XXH3_64bits(s.data(), s.size())); }
};
struct SvEq {
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

// Dictionary encoding of a chunk's valid values: indices[k] for the k-th valid
// value, and the PLAIN dictionary page body.
struct Dictionary {
  std::vector<uint32_t> indices;
  std::string page;  // PLAIN values
  uint32_t size = 0;
};

// The early give-up of a dictionary: after this many values, a chunk most of
// whose values were new (timestamps, ratios) goes PLAIN without a full pass.
constexpr int64_t kDictionaryProbe = 32768;

// Integers whose values span at most this many: a direct map from value - lo
// to the index replaces the hash table (256 KiB of map, in L2).
constexpr uint64_t kDirectRange = uint64_t{1} << 16;

template <class V>
bool dictionary_direct(const Column& c, int64_t lo, uint64_t range, std::vector<uint64_t>& keys, Dictionary& d) {
  thread_local std::vector<uint32_t> map;
  map.assign(static_cast<size_t>(range) + 1, kNoIndex);
  uint32_t* idx = d.indices.data();
  int64_t k = 0;
  return for_valid_blocks<V>(c, [&](const V* v, int64_t m) {
    for (int64_t i = 0; i < m; ++i) {
      // Unsigned: v - lo is in [0, range] and must not overflow as signed.
      const auto at = static_cast<size_t>(static_cast<uint64_t>(static_cast<int64_t>(v[i])) - static_cast<uint64_t>(lo));
      uint32_t id = map[at];
      if (id == kNoIndex) {
        id = static_cast<uint32_t>(keys.size());
        map[at] = id;
        keys.push_back(static_cast<uint64_t>(static_cast<int64_t>(v[i])));
      }
      idx[k + i] = id;
    }
    k += m;
    return true;
  });
}

template <class V>
bool dictionary_hashed(const Column& c, int64_t valid, int64_t max_entries, std::vector<uint64_t>& keys, Dictionary& d) {
  U64DictTable table;
  uint32_t* idx = d.indices.data();
  int64_t k = 0;
  bool decided = valid <= kDictionaryProbe;
  return for_valid_blocks<V>(c, [&](const V* v, int64_t m) {
    for (int64_t i = 0; i < m; ++i) {
      uint64_t key = 0;
      std::memcpy(&key, v + i, sizeof(V));
      idx[k + i] = table.find_or_insert(key, keys);
    }
    k += m;
    if (static_cast<int64_t>(keys.size()) > max_entries) return false;
    if (!decided && k >= kDictionaryProbe) {
      decided = true;
      if (static_cast<int64_t>(keys.size()) * 2 > k) return false;
    }
    return true;
  });
}

// Strings of up to 7 bytes keyed inline (bytes, then the length in the top
// byte); false with *too_long set when a longer one turns up.
bool dictionary_short_strings(const Column& c, int64_t valid, int64_t page_limit, Dictionary& d,
                              std::vector<std::string_view>& views, int64_t* plain_bytes, bool* too_long) {
  const int64_t* off = c.string_offsets();
  const char* data = c.string_data();
  const int64_t n = c.length();
  U64DictTable table;
  std::vector<uint64_t> keys;
  uint32_t* idx = d.indices.data();
  int64_t k = 0, dict_bytes = 0, plain = 0;
  uint8_t mask[kValueBlock];
  for (int64_t s = 0; s < n; s += kValueBlock) {
    const int64_t m = std::min(kValueBlock, n - s);
    detail::valid_mask(c, s, m, mask);
    for (int64_t j = 0; j < m; ++j) {
      if (!mask[j]) continue;
      const int64_t a = off[s + j], len = off[s + j + 1] - a;
      if (len > 7) {
        *too_long = true;
        return false;
      }
      uint64_t key = static_cast<uint64_t>(len) << 56;
      for (int64_t b = 0; b < len; ++b) key |= static_cast<uint64_t>(static_cast<uint8_t>(data[a + b])) << (8 * b);
      const size_t before = keys.size();
      const uint32_t id = table.find_or_insert(key, keys);
      if (keys.size() != before) {
        views.emplace_back(data + a, static_cast<size_t>(len));
        dict_bytes += 4 + len;
        if (dict_bytes > page_limit) return false;
      }
      plain += 4 + len;
      idx[k++] = id;
    }
    if (valid > kDictionaryProbe && k >= kDictionaryProbe && k - m < kDictionaryProbe &&
        static_cast<int64_t>(keys.size()) * 2 > k)
      return false;
  }
  *plain_bytes = plain;
  return true;
}

bool dictionary_strings(const Column& c, int64_t valid, int64_t page_limit, Dictionary& d,
                        std::vector<std::string_view>& views, int64_t* plain_bytes) {
  DictTable<std::string_view, SvHash, SvEq> table(1024);
  const int64_t n = c.length();
  int64_t k = 0, dict_bytes = 0, plain = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!c.is_valid(i)) continue;
    std::string_view s = c.string_at(i);
    plain += 4 + static_cast<int64_t>(s.size());
    const size_t before = views.size();
    const uint32_t id = table.find_or_insert(s, views);
    if (views.size() != before) {
      dict_bytes += 4 + static_cast<int64_t>(s.size());
      if (dict_bytes > page_limit) return false;
    }
    d.indices[static_cast<size_t>(k++)] = id;
    if (k == kDictionaryProbe && static_cast<int64_t>(views.size()) * 2 > k && k < valid) return false;
  }
  *plain_bytes = plain;
  return true;
}

// Builds the dictionary if it pays; false if not (too many distinct values,
// too large, or not smaller than PLAIN). `stats`, when given, holds the
// chunk's min/max (integers: a small range takes the direct map).
bool try_dictionary(const Column& c, const ParquetWriteOptions& o, const ChunkStats* stats, Dictionary& d) {
  const int64_t n = c.length();
  const int64_t valid = n - c.null_count();
  if (valid == 0 || c.type().id == TypeId::Bool) return false;
  if (d.indices.size() < static_cast<size_t>(valid)) d.indices.resize(static_cast<size_t>(valid));
  int64_t plain_bytes = 0;
  if (c.type().id == TypeId::String) {
    std::vector<std::string_view> views;
    bool too_long = false;
    bool ok = dictionary_short_strings(c, valid, o.dictionary_page_limit, d, views, &plain_bytes, &too_long);
    if (!ok && too_long) {
      views.clear();
      ok = dictionary_strings(c, valid, o.dictionary_page_limit, d, views, &plain_bytes);
    }
    if (!ok) return false;
    size_t bytes = 0;
    for (auto s : views) bytes += 4 + s.size();
    d.size = static_cast<uint32_t>(views.size());
    d.page.reserve(bytes);
    for (auto s : views) {
      put_u32(d.page, static_cast<uint32_t>(s.size()));
      d.page.append(s);
    }
  } else {
    const size_t w = c.type().byte_width();
    const int64_t max_entries = o.dictionary_page_limit / static_cast<int64_t>(w);
    thread_local std::vector<uint64_t> keys;
    keys.clear();
    bool ok;
    if (w == 4) {
      int64_t lo = 0;
      uint64_t range = kDirectRange + 1;
      if (stats != nullptr && stats->has_minmax) {
        int32_t a, b;
        std::memcpy(&a, stats->min.data(), 4);
        std::memcpy(&b, stats->max.data(), 4);
        lo = a;
        range = static_cast<uint64_t>(static_cast<int64_t>(b) - a);
      }
      if (range < kDirectRange)
        ok = dictionary_direct<int32_t>(c, lo, range, keys, d) && static_cast<int64_t>(keys.size()) <= max_entries;
      else
        ok = dictionary_hashed<uint32_t>(c, valid, max_entries, keys, d);
    } else {
      int64_t lo = 0;
      uint64_t range = kDirectRange + 1;
      if (stats != nullptr && stats->has_minmax && c.type().id != TypeId::Float64) {
        int64_t a, b;
        std::memcpy(&a, stats->min.data(), 8);
        std::memcpy(&b, stats->max.data(), 8);
        lo = a;
        range = static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
      }
      if (range < kDirectRange)
        ok = dictionary_direct<int64_t>(c, lo, range, keys, d) && static_cast<int64_t>(keys.size()) <= max_entries;
      else
        ok = dictionary_hashed<uint64_t>(c, valid, max_entries, keys, d);
    }
    if (!ok) return false;
    plain_bytes = valid * static_cast<int64_t>(w);
    d.size = static_cast<uint32_t>(keys.size());
    d.page.resize(keys.size() * w);
    for (size_t j = 0; j < keys.size(); ++j) std::memcpy(d.page.data() + j * w, &keys[j], w);
  }
  const int bw = bit_width_for(d.size > 0 ? d.size - 1 : 0);
  const int64_t dict_cost = static_cast<int64_t>(d.page.size()) + valid * bw / 8 + 16;
  return dict_cost < plain_bytes * 3 / 4;
}

// ---- pages --------------------------------------------------------------

// A page body in up to two pieces (definition levels and the values, which
// may be the column's own memory), and its compressed form in up to three.
struct Pieces {
  std::string_view part[3];
  size_t size() const { return part[0].size() + part[1].size() + part[2].size(); }
};

// snappy::Source over two pieces, so that PLAIN values are compressed straight
// from the column without first being copied after the levels.
class TwoPieceSource : public snappy::Source {
 public:
  TwoPieceSource(std::string_view a, std::string_view b) : a_(a), b_(b) {}
  size_t Available() const override { return a_.size() + b_.size(); }
  const char* Peek(size_t* len) override {
    if (!a_.empty()) {
      *len = a_.size();
      return a_.data();
    }
    *len = b_.size();
    return b_.data();
  }
  void Skip(size_t n) override {
    const size_t from_a = std::min(n, a_.size());
    a_.remove_prefix(from_a);
    b_.remove_prefix(n - from_a);
  }

 private:
  std::string_view a_, b_;
};

class Compressor {
 public:
  explicit Compressor(const ParquetWriteOptions& o) : codec_(o.compression), level_(o.zstd_level) {}
  ~Compressor() {
    if (zstd_ != nullptr) ZSTD_freeCCtx(zstd_);
  }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  // The compressed form of head + tail (the pieces themselves when
  // uncompressed), valid until the next call on this thread.
  // `data_page`: only data pages decide whether the chunk is compressible (a
  // dictionary page says little about the index pages that follow it).
  Pieces compress(std::string_view head, std::string_view tail, bool data_page) {
    const size_t n = head.size() + tail.size();
    switch (codec_) {
      case ParquetCompression::Uncompressed: return Pieces{{head, tail, {}}};
      case ParquetCompression::Snappy: {
        if (store_only_ && data_page) return snappy_literal(head, tail);
        char* out = scratch(snappy::MaxCompressedLength(n));
        size_t len = 0;
        if (tail.empty()) {
          snappy::RawCompress(head.data(), head.size(), out, &len);
        } else {
          TwoPieceSource src(head, tail);
          snappy::UncheckedByteArraySink sink(out);
          len = snappy::Compress(&src, &sink);
        }
        // A chunk whose first data page barely compresses (dictionary indices,
        // random doubles) is stored as snappy literals from then on, that page
        // included: valid snappy that costs a copy instead of a futile match
        // search, and that a reader can use in place.
        if (data_page && !decided_) {
          decided_ = true;
          if (n >= 4096 && len * 100 > n * 95) {
            store_only_ = true;
            return snappy_literal(head, tail);
          }
        }
        return Pieces{{std::string_view(out, len), {}, {}}};
      }
      case ParquetCompression::Zstd: {
        if (zstd_ == nullptr) zstd_ = ZSTD_createCCtx();
        std::string_view in = head;
        if (!tail.empty()) {
          joined_.assign(head);
          joined_.append(tail);
          in = joined_;
        }
        const size_t bound = ZSTD_compressBound(n);
        char* out = scratch(bound);
        size_t len = ZSTD_compressCCtx(zstd_, out, bound, in.data(), in.size(), level_);
        if (ZSTD_isError(len)) throw ParquetError(std::string("zstd compression failed: ") + ZSTD_getErrorName(len));
        return Pieces{{std::string_view(out, len), {}, {}}};
      }
    }
    return Pieces{{head, tail, {}}};
  }

 private:
  // Output space reused by every chunk a thread encodes (never shrunk, so
  // never re-zeroed).
  static char* scratch(size_t n) {
    thread_local std::string buf;
    if (buf.size() < n) buf.resize(n);
    return buf.data();
  }

  // The snappy raw format with the whole input as one literal element:
  // varint(length), then tag 0xf0 | (k-1)<<2 ... (k = bytes of length-1).
  Pieces snappy_literal(std::string_view head, std::string_view tail) {
    literal_header_.clear();
    const uint64_t n = head.size() + tail.size();
    put_varint(literal_header_, n);
    if (n > 0) {
      const uint64_t m = n - 1;
      if (m < 60) {
        literal_header_.push_back(static_cast<char>(m << 2));
      } else {
        int k = m < (1u << 8) ? 1 : m < (1u << 16) ? 2 : m < (1u << 24) ? 3 : 4;
        literal_header_.push_back(static_cast<char>((59 + k) << 2));
        for (int b = 0; b < k; ++b) literal_header_.push_back(static_cast<char>((m >> (8 * b)) & 0xff));
      }
    }
    return Pieces{{literal_header_, head, tail}};
  }

  ParquetCompression codec_;
  int level_;
  bool store_only_ = false;
  bool decided_ = false;
  ZSTD_CCtx* zstd_ = nullptr;
  std::string literal_header_, joined_;
};

struct EncodedChunk {
  std::string bytes;           // [dictionary page] data pages, headers included
  int64_t data_page_rel = 0;   // offset of the first data page in `bytes`
  bool has_dictionary = false;
  int64_t uncompressed_size = 0;  // headers + uncompressed bodies
  int64_t compressed_size = 0;    // bytes.size(), kept after the bytes are written out
  int64_t num_values = 0;
  ChunkStats stats;
};

void write_page(Compressor& comp, int32_t type, std::string_view head, std::string_view tail, int32_t num_values,
                int32_t encoding, EncodedChunk& chunk) {
  const size_t body_size = head.size() + tail.size();
  const Pieces compressed = comp.compress(head, tail, type == kDataPage);
  std::string header;
  ThriftCompactWriter w(&header);
  w.field_i32(1, type);
  w.field_i32(2, static_cast<int32_t>(body_size));
  w.field_i32(3, static_cast<int32_t>(compressed.size()));
  if (type == kDataPage) {
    w.begin_struct(5);
    w.field_i32(1, num_values);
    w.field_i32(2, encoding);
    w.field_i32(3, kRle);  // definition levels
    w.field_i32(4, kRle);  // repetition levels (none written)
    w.end_struct();
  } else {
    w.begin_struct(7);
    w.field_i32(1, num_values);
    w.field_i32(2, kPlain);
    w.end_struct();
  }
  w.end_struct();
  chunk.bytes += header;
  for (std::string_view p : compressed.part) chunk.bytes.append(p);
  chunk.uncompressed_size += static_cast<int64_t>(header.size() + body_size);
}

// Definition levels of rows [r0, r1) with the 4-byte length prefix.
void append_def_levels(const Column& c, int64_t r0, int64_t r1, std::string& out, std::vector<uint32_t>& scratch) {
  const size_t at = out.size();
  put_u32(out, 0);
  const int64_t n = r1 - r0;
  if (!c.has_nulls()) {
    // One RLE run of n ones.
    uint64_t v = static_cast<uint64_t>(n) << 1;
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
    out.push_back(1);
  } else {
    // Levels of bit width 1 are the validity bits: bit-packed groups are the
    // bitmap's bytes as they are, and runs of 0x00 / 0xff bytes become RLE runs.
    const size_t nbytes = static_cast<size_t>((n + 7) / 8);
    scratch.resize(nbytes / 4 + 1);
    auto* bits = reinterpret_cast<uint8_t*>(scratch.data());
    detail::copy_bits(c.validity_bits(), c.validity_offset() + r0, n, bits);
    if (n % 8 != 0) bits[nbytes - 1] &= static_cast<uint8_t>((1u << (n % 8)) - 1);
    const size_t full = static_cast<size_t>(n / 8);
    auto uniform_run = [&](size_t i) {  // bytes in the run of equal 0x00/0xff bytes at i
      size_t j = i;
      if (bits[i] == 0x00 || bits[i] == 0xff)
        while (j < full && bits[j] == bits[i]) ++j;
      return j - i;
    };
    size_t i = 0;
    while (i < full) {
      const size_t run = uniform_run(i);
      if (run >= 1) {
        put_varint(out, static_cast<uint64_t>(run * 8) << 1);
        out.push_back(static_cast<char>(bits[i] & 1));
        i += run;
        continue;
      }
      const size_t start = i;
      ++i;
      while (i < full && uniform_run(i) < 1) ++i;
      put_varint(out, (static_cast<uint64_t>(i - start) << 1) | 1);
      out.append(reinterpret_cast<const char*>(bits + start), i - start);
    }
    if (full < nbytes) {  // the last, partial group, padded with zeros
      put_varint(out, (uint64_t{1} << 1) | 1);
      out.push_back(static_cast<char>(bits[full]));
    }
  }
  uint32_t len = static_cast<uint32_t>(out.size() - at - 4);
  std::memcpy(out.data() + at, &len, 4);
}

// PLAIN values of the valid rows in [r0, r1).
void append_plain(const Column& c, int64_t r0, int64_t r1, std::string& out) {
  const TypeId t = c.type().id;
  if (t == TypeId::String) {
    const int64_t* o = c.string_offsets();
    for (int64_t i = r0; i < r1; ++i) {
      if (!c.is_valid(i)) continue;
      put_u32(out, static_cast<uint32_t>(o[i + 1] - o[i]));
      out.append(c.string_data() + o[i], static_cast<size_t>(o[i + 1] - o[i]));
    }
    return;
  }
  if (t == TypeId::Bool) {
    const uint8_t* v = c.data<uint8_t>();
    uint8_t byte = 0;
    int bits = 0;
    for (int64_t i = r0; i < r1; ++i) {
      if (!c.is_valid(i)) continue;
      byte = static_cast<uint8_t>(byte | ((v[i] != 0) << bits));
      if (++bits == 8) {
        out.push_back(static_cast<char>(byte));
        byte = 0;
        bits = 0;
      }
    }
    if (bits) out.push_back(static_cast<char>(byte));
    return;
  }
  const size_t w = c.type().byte_width();
  const char* base = reinterpret_cast<const char*>(c.values().data()) + static_cast<size_t>(c.offset()) * w;
  if (!c.has_nulls()) {
    out.append(base + static_cast<size_t>(r0) * w, static_cast<size_t>(r1 - r0) * w);
    return;
  }
  const size_t at = out.size();
  out.resize(at + static_cast<size_t>(r1 - r0) * w);
  char* dst = out.data() + at;
  size_t k = 0;
  for (int64_t i = r0; i < r1; ++i) {  // branch-free compaction
    std::memcpy(dst + k * w, base + static_cast<size_t>(i) * w, w);
    k += c.is_valid(i);
  }
  out.resize(at + k * w);
}

// `bytes` is an empty buffer to fill (its capacity is reused).
EncodedChunk encode_chunk(const Column& c, const ParquetWriteOptions& o, std::string bytes) {
  EncodedChunk chunk;
  chunk.bytes = std::move(bytes);
  chunk.bytes.clear();
  chunk.num_values = c.length();
  Compressor comp(o);
  // Reused between the chunks a thread encodes: the index array is as long as
  // the chunk, and fresh pages for it each time cost more than the encoding.
  thread_local Dictionary dict;
  dict.page.clear();
  dict.size = 0;
  // Integers: min/max first (one vectorized pass); a small range lets the
  // dictionary use a direct map instead of hashing.
  const TypeId type = c.type().id;
  const bool integer = type == TypeId::Int32 || type == TypeId::Date || type == TypeId::Int64 || type == TypeId::Timestamp;
  ChunkStats int_stats;
  if (integer && (o.statistics || o.dictionary)) int_stats = compute_stats(c);
  const bool use_dict = o.dictionary && try_dictionary(c, o, integer ? &int_stats : nullptr, dict);
  chunk.stats.null_count = c.null_count();
  if (o.statistics) {
    if (integer) {
      chunk.stats = std::move(int_stats);
    } else if (use_dict && c.type().id == TypeId::String) {
      // Each distinct string once, from the PLAIN dictionary page.
      std::string_view lo, hi;
      const char* p = dict.page.data();
      for (uint32_t j = 0; j < dict.size; ++j) {
        uint32_t len;
        std::memcpy(&len, p, 4);
        std::string_view x(p + 4, len);
        p += 4 + len;
        if (j == 0) lo = hi = x;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      chunk.stats.null_count = c.null_count();
      if (dict.size > 0 && lo.size() <= 64 && hi.size() <= 64) {  // as compute_stats: exact bounds or none
        chunk.stats.has_minmax = true;
        chunk.stats.min = std::string(lo);
        chunk.stats.max = std::string(hi);
      }
    } else if (use_dict) {
      // The dictionary page holds each distinct value once, as a PLAIN array:
      // min/max over it is the chunk's, for a fraction of the work.
      Buffer values(nullptr, reinterpret_cast<const uint8_t*>(dict.page.data()), dict.page.size());
      chunk.stats = compute_stats(Column::from_buffers(c.type(), dict.size, Buffer(), values, 0));
      chunk.stats.null_count = c.null_count();
    } else {
      chunk.stats = compute_stats(c);
    }
  }
  if (use_dict) {
    chunk.has_dictionary = true;
    write_page(comp, kDictionaryPage, dict.page, {}, static_cast<int32_t>(dict.size), kPlain, chunk);
    chunk.data_page_rel = static_cast<int64_t>(chunk.bytes.size());
  }
  const int64_t n = c.length();
  const int64_t page_rows = std::max<int64_t>(1, o.page_rows);
  const int64_t width = c.type().id == TypeId::String ? 0 : std::max<size_t>(c.type().byte_width(), 1);
  std::string body;
  std::vector<uint32_t> scratch;
  const int bw = use_dict ? bit_width_for(dict.size > 0 ? dict.size - 1 : 0) : 0;
  int64_t valid_before = 0;  // valid values before the current page (dictionary index position)
  int64_t r0 = 0;
  do {
    // Page extent: by rows, and by bytes for PLAIN values.
    int64_t r1 = std::min(n, r0 + page_rows);
    if (!use_dict && width > 0) {
      r1 = std::min(r1, r0 + std::max<int64_t>(1, o.page_bytes / width));
    } else if (!use_dict) {
      const int64_t* off = c.string_offsets();
      int64_t lo = r0 + 1, hi = r1;  // first row where the bytes pass page_bytes
      while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (off[mid] - off[r0] >= o.page_bytes) hi = mid;
        else lo = mid + 1;
      }
      r1 = std::min(r1, std::max(lo, r0 + 1));
    }
    body.clear();
    append_def_levels(c, r0, r1, body, scratch);
    int64_t valid = (r1 - r0) - (c.has_nulls() ? (r1 - r0) - count_set_bits(c.validity_bits(), c.validity_offset() + r0, r1 - r0) : 0);
    std::string_view values;  // PLAIN values used in place (fixed width, no nulls)
    if (use_dict) {
      body.push_back(static_cast<char>(bw));
      encode_hybrid(dict.indices.data() + valid_before, valid, bw, body);
    } else if (width > 0 && !c.has_nulls() && c.type().id != TypeId::Bool) {
      const auto w = static_cast<size_t>(width);
      values = std::string_view(reinterpret_cast<const char*>(c.values().data()) + static_cast<size_t>(c.offset() + r0) * w,
                                static_cast<size_t>(r1 - r0) * w);
    } else {
      append_plain(c, r0, r1, body);
    }
    valid_before += valid;
    write_page(comp, kDataPage, body, values, static_cast<int32_t>(r1 - r0), use_dict ? kRleDictionary : kPlain, chunk);
    r0 = r1;
  } while (r0 < n);
  return chunk;
}

// ---- file --------------------------------------------------------------

struct ChunkMeta {
  EncodedChunk enc;
  int64_t file_pos = 0;
};

void write_schema_element(ThriftCompactWriter& w, const std::string& name, const DataType& t) {
  w.begin_struct_elem();
  w.field_i32(1, physical_type(t));
  w.field_i32(3, 1);  // OPTIONAL
  w.field_binary(4, name);
  switch (t.id) {
    case TypeId::String:
      w.field_i32(6, kUtf8);
      w.begin_struct(10);  // logicalType
      w.begin_struct(1);   // STRING
      w.end_struct();
      w.end_struct();
      break;
    case TypeId::Date:
      w.field_i32(6, kDate);
      w.begin_struct(10);
      w.begin_struct(6);  // DATE
      w.end_struct();
      w.end_struct();
      break;
    case TypeId::Timestamp:
      w.field_i32(6, kTimestampMicros);
      w.begin_struct(10);
      w.begin_struct(8);  // TIMESTAMP
      w.field_bool(1, t.utc);
      w.begin_struct(2);  // unit
      w.begin_struct(2);  // MICROS
      w.end_struct();
      w.end_struct();
      w.end_struct();
      w.end_struct();
      break;
    default:
      break;
  }
  w.end_struct();
}

void write_column_chunk(ThriftCompactWriter& w, const std::string& name, const DataType& t, const ChunkMeta& m,
                        const ParquetWriteOptions& o) {
  const EncodedChunk& e = m.enc;
  w.begin_struct_elem();
  w.field_i64(2, 0);  // file_offset: deprecated, required
  w.begin_struct(3);  // ColumnMetaData
  w.field_i32(1, physical_type(t));
  if (e.has_dictionary) {
    w.begin_list(2, T::I32, 3);
    w.elem_i32(kPlain);
    w.elem_i32(kRle);
    w.elem_i32(kRleDictionary);
  } else {
    w.begin_list(2, T::I32, 2);
    w.elem_i32(kPlain);
    w.elem_i32(kRle);
  }
  w.begin_list(3, T::Binary, 1);
  w.elem_binary(name);
  w.field_i32(4, codec_id(o.compression));
  w.field_i64(5, e.num_values);
  w.field_i64(6, e.uncompressed_size);
  w.field_i64(7, e.compressed_size);
  w.field_i64(9, m.file_pos + e.data_page_rel);
  if (e.has_dictionary) w.field_i64(11, m.file_pos);
  if (o.statistics) {
    w.begin_struct(12);
    const bool legacy = t.id != TypeId::String;  // legacy min/max order is undefined for strings
    if (e.stats.has_minmax && legacy) {
      w.field_binary(1, e.stats.max);
      w.field_binary(2, e.stats.min);
    }
    w.field_i64(3, e.stats.null_count);
    if (e.stats.has_minmax) {
      w.field_binary(5, e.stats.max);
      w.field_binary(6, e.stats.min);
    }
    w.end_struct();
  }
  w.end_struct();  // ColumnMetaData
  w.end_struct();  // ColumnChunk
}

struct RowGroupMeta {
  std::vector<ChunkMeta> chunks;
  int64_t num_rows = 0;
};

std::string footer(const std::vector<std::string>& names, const std::vector<DataType>& types, int64_t num_rows,
                   const std::vector<RowGroupMeta>& groups, const ParquetWriteOptions& o) {
  std::string out;
  ThriftCompactWriter w(&out);
  const int32_t ncols = static_cast<int32_t>(names.size());
  w.field_i32(1, 1);  // version
  w.begin_list(2, T::Struct, ncols + 1);
  w.begin_struct_elem();  // root
  w.field_binary(4, "schema");
  w.field_i32(5, ncols);
  w.end_struct();
  for (int32_t i = 0; i < ncols; ++i) write_schema_element(w, names[static_cast<size_t>(i)], types[static_cast<size_t>(i)]);
  w.field_i64(3, num_rows);
  w.begin_list(4, T::Struct, static_cast<int32_t>(groups.size()));
  for (size_t g = 0; g < groups.size(); ++g) {
    const RowGroupMeta& rg = groups[g];
    w.begin_struct_elem();
    w.begin_list(1, T::Struct, ncols);
    int64_t uncompressed = 0, compressed = 0;
    for (int32_t i = 0; i < ncols; ++i) {
      const ChunkMeta& m = rg.chunks[static_cast<size_t>(i)];
      write_column_chunk(w, names[static_cast<size_t>(i)], types[static_cast<size_t>(i)], m, o);
      uncompressed += m.enc.uncompressed_size;
      compressed += m.enc.compressed_size;
    }
    w.field_i64(2, uncompressed);
    w.field_i64(3, rg.num_rows);
    if (!rg.chunks.empty()) w.field_i64(5, rg.chunks[0].file_pos);
    w.field_i64(6, compressed);
    w.field_i16(7, static_cast<int16_t>(g));
    w.end_struct();
  }
  if (!o.key_value_metadata.empty()) {
    w.begin_list(5, T::Struct, static_cast<int32_t>(o.key_value_metadata.size()));
    for (const auto& [k, v] : o.key_value_metadata) {
      w.begin_struct_elem();
      w.field_binary(1, k);
      w.field_binary(2, v);
      w.end_struct();
    }
  }
  w.field_binary(6, kCreatedBy);
  w.begin_list(7, T::Struct, ncols);
  for (int32_t i = 0; i < ncols; ++i) {
    w.begin_struct_elem();  // ColumnOrder
    w.begin_struct(1);      // TYPE_ORDER
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();
  return out;
}

// Where bytes go; `write` throws ParquetError on failure.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const char* data, size_t size) = 0;
  // Called after whole column chunks were written: a file may start writing
  // them back to disk, so that the final fsync has little left to wait for.
  virtual void written_back_hint() {}
  int64_t pos() const { return pos_; }

 protected:
  int64_t pos_ = 0;
};

class StringSink : public Sink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  void write(const char* data, size_t size) override {
    out_->append(data, size);
    pos_ += static_cast<int64_t>(size);
  }

 private:
  std::string* out_;
};

class StreamSink : public Sink {
 public:
  StreamSink(std::ostream& out, std::string name) : out_(out), name_(std::move(name)) {}
  void write(const char* data, size_t size) override {
    out_.write(data, static_cast<std::streamsize>(size));
    if (!out_) throw ParquetError(name_ + ": write failed at offset " + std::to_string(pos_));
    pos_ += static_cast<int64_t>(size);
  }

 private:
  std::ostream& out_;
  std::string name_;
};

class FdSink : public Sink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  void written_back_hint() override {
    // Asynchronous: starts writeback of what accumulated, does not wait.
    constexpr int64_t kStep = 8 << 20;
    if (pos_ - started_ < kStep) return;
    ::sync_file_range(fd_, started_, pos_ - started_, SYNC_FILE_RANGE_WRITE);  // best effort; fsync decides
    started_ = pos_;
  }
  void write(const char* data, size_t size) override {
    while (size > 0) {
      ssize_t k = ::write(fd_, data, size);
      if (k < 0) {
        if (errno == EINTR) continue;
        throw ParquetError(name_ + ": write failed at offset " + std::to_string(pos_) + ": " + std::strerror(errno));
      }
      data += k;
      size -= static_cast<size_t>(k);
      pos_ += k;
    }
  }

 private:
  int fd_;
  std::string name_;
  int64_t started_ = 0;  // writeback requested up to here
};

// Appends row groups to a sink and finally the footer.
class FileEncoder {
 public:
  FileEncoder(Sink& sink, const ParquetWriteOptions& o) : sink_(sink), o_(o) { sink_.write("PAR1", 4); }

  void add(const Table& batch) {
    if (!has_schema_) {
      names_ = batch.column_names();
      for (const auto& c : batch.columns()) types_.push_back(c.type());
      has_schema_ = true;
    } else {
      bool same = batch.column_names() == names_;
      for (size_t i = 0; same && i < types_.size(); ++i) same = batch.column(i).type() == types_[i];
      if (!same) throw ParquetError("batch schema differs from the first batch's");
    }
    const int64_t rows = batch.num_rows();
    const int64_t group_rows = std::max<int64_t>(1, o_.row_group_rows);
    const size_t ncols = batch.num_columns();
    const size_t first_group = groups_.size();
    for (int64_t r0 = 0; r0 < rows; r0 += group_rows) {
      RowGroupMeta rg;
      rg.num_rows = std::min(rows, r0 + group_rows) - r0;
      rg.chunks.resize(ncols);
      groups_.push_back(std::move(rg));
    }
    const size_t total = (groups_.size() - first_group) * ncols;
    if (total == 0) {  // no rows, or no columns: row groups without chunks
      rows_ += rows;
      return;
    }

    // One task per column chunk of every row group of the batch. Chunks go to
    // the sink in file order, written by whichever task completes the next one
    // due: encoding overlaps writing, and only chunks finished ahead of the
    // next one due wait in memory.
    std::vector<EncodedChunk> done(total);
    std::vector<uint8_t> ready(total, 0);
    std::vector<std::exception_ptr> errors(total);
    std::exception_ptr write_error;
    std::mutex mu;
    size_t next = 0;       // the next chunk due
    bool writing = false;  // a task is writing chunks out
    bool halted = false;   // a chunk failed: nothing after it is written
    auto commit = [&](size_t j) {
      std::unique_lock<std::mutex> lock(mu);
      ready[j] = 1;
      if (writing) return;  // the writer will find it
      writing = true;
      while (!halted) {
        size_t end = next;
        while (end < total && ready[end]) ++end;
        if (end == next) break;
        const size_t from = next;
        lock.unlock();
        size_t k = from;
        bool stop = false;
        try {
          for (; k < end; ++k) {
            if (errors[k]) {
              stop = true;
              break;
            }
            ChunkMeta& m = groups_[first_group + k / ncols].chunks[k % ncols];
            m.enc = std::move(done[k]);
            m.file_pos = sink_.pos();
            m.enc.compressed_size = static_cast<int64_t>(m.enc.bytes.size());
            sink_.write(m.enc.bytes.data(), m.enc.bytes.size());
            give_back(std::move(m.enc.bytes), lock);
            m.enc.bytes = std::string();
          }
          sink_.written_back_hint();
        } catch (...) {
          lock.lock();
          write_error = std::current_exception();
          halted = true;
          break;
        }
        lock.lock();
        next = k;
        if (stop) halted = true;
      }
      writing = false;
    };
    std::vector<std::function<void()>> tasks;
    tasks.reserve(total);
    for (size_t j = 0; j < total; ++j) {
      tasks.emplace_back([&, j] {
        const size_t g = j / ncols, i = j % ncols;
        try {
          const int64_t r0 = static_cast<int64_t>(g) * group_rows;
          std::string bytes = take_buffer(mu);
          done[j] = encode_chunk(batch.column(i).slice(r0, groups_[first_group + g].num_rows), o_, std::move(bytes));
        } catch (...) {
          errors[j] = std::current_exception();
        }
        commit(j);
      });
    }
    if (o_.parallel_for && tasks.size() > 1) o_.parallel_for(tasks);
    else for (auto& t : tasks) t();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
    if (write_error) std::rethrow_exception(write_error);
    if (next != total) throw ParquetError("internal: " + std::to_string(total - next) + " column chunks were not written");
    rows_ += rows;
  }

  void finish() {
    std::string meta = footer(names_, types_, rows_, groups_, o_);
    sink_.write(meta.data(), meta.size());
    char len[4];
    uint32_t n = static_cast<uint32_t>(meta.size());
    std::memcpy(len, &n, 4);
    sink_.write(len, 4);
    sink_.write("PAR1", 4);
  }

  int64_t rows() const { return rows_; }

 private:
  Sink& sink_;
  const ParquetWriteOptions& o_;
  bool has_schema_ = false;
  std::vector<std::string> names_;
  std::vector<DataType> types_;
  std::vector<RowGroupMeta> groups_;
  int64_t rows_ = 0;

  // Chunk buffers are recycled between the chunks of this writer: a chunk is
  // megabytes, and fresh pages for each would cost more than filling them.
  std::string take_buffer(std::mutex& mu) {
    std::lock_guard<std::mutex> lock(mu);
    if (pool_.empty()) return std::string();
    std::string b = std::move(pool_.back());
    pool_.pop_back();
    return b;
  }
  // Called with `lock` released; takes it briefly.
  void give_back(std::string bytes, std::unique_lock<std::mutex>& lock) {
    bytes.clear();
    lock.lock();
    try {
      pool_.push_back(std::move(bytes));
    } catch (...) {  // out of memory: the buffer is just freed, not recycled
    }
    lock.unlock();
  }
  std::vector<std::string> pool_;
};

void write_table(const Table& table, Sink& sink, const ParquetWriteOptions& o) {
  FileEncoder enc(sink, o);
  enc.add(table);
  enc.finish();
}

}  // namespace

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

std::string write_parquet_to_string(const Table& table, const ParquetWriteOptions& options) {
  std::string out;
  StringSink sink(&out);
  write_table(table, sink, options);
  return out;
}

}  // namespace parquet_detail

void write_parquet(const Table& table, std::ostream& out, const std::string& name, const ParquetWriteOptions& options) {
  parquet_detail::StreamSink sink(out, name);
  parquet_detail::write_table(table, sink, options);
}

struct ParquetFileWriter::State {
  std::string path, tmp;
  ParquetWriteOptions options;
  int fd = -1;
  std::unique_ptr<parquet_detail::FdSink> sink;
  std::unique_ptr<parquet_detail::FileEncoder> encoder;
  bool failed = false;

  void abandon() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    if (!tmp.empty()) ::unlink(tmp.c_str());
    tmp.clear();
  }
};

ParquetFileWriter::ParquetFileWriter(std::string path, ParquetWriteOptions options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = std::move(path);
  s.options = std::move(options);
  s.tmp = s.path + ".tmp-" + std::to_string(::getpid());
  s.fd = ::open(s.tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (s.fd < 0) {
    std::string err = std::strerror(errno);
    s.tmp.clear();
    throw ParquetError(s.path + ": cannot create " + s.path + ".tmp-" + std::to_string(::getpid()) + ": " + err);
  }
  s.sink = std::make_unique<parquet_detail::FdSink>(s.fd, s.path);
  try {
    s.encoder = std::make_unique<parquet_detail::FileEncoder>(*s.sink, s.options);
  } catch (...) {
    s.abandon();
    throw;
  }
}

ParquetFileWriter::~ParquetFileWriter() {
  if (state_) state_->abandon();
}

void ParquetFileWriter::write(const Table& batch) {
  State& s = *state_;
  if (s.failed || !s.encoder) throw ParquetError(s.path + ": write after a failure or after close");
  try {
    s.encoder->add(batch);
  } catch (const ParquetError& e) {
    s.failed = true;
    s.abandon();
    std::string what = e.what();
    throw ParquetError(what.rfind(s.path, 0) == 0 ? what : s.path + ": " + what);
  } catch (...) {
    s.failed = true;
    s.abandon();
    throw;
  }
}

void ParquetFileWriter::close() {
  State& s = *state_;
  if (s.failed || !s.encoder) throw ParquetError(s.path + ": close after a failure or a previous close");
  try {
    s.encoder->finish();
    if (::fsync(s.fd) != 0) throw ParquetError(s.path + ": fsync failed: " + std::strerror(errno));
    int fd = s.fd;
    s.fd = -1;
    if (::close(fd) != 0) throw ParquetError(s.path + ": close failed: " + std::strerror(errno));
    if (::rename(s.tmp.c_str(), s.path.c_str()) != 0)
      throw ParquetError(s.path + ": cannot rename " + s.tmp + " into place: " + std::strerror(errno));
    s.tmp.clear();
    s.encoder.reset();
  } catch (...) {
    s.failed = true;
    s.abandon();
    throw;
  }
}

int64_t ParquetFileWriter::rows_written() const { return state_->encoder ? state_->encoder->rows() : 0; }

void write_parquet(const Table& table, const std::string& path, const ParquetWriteOptions& options) {
  ParquetFileWriter w(path, options);
  w.write(table);
  w.close();
}

}  // namespace baton

// The Parquet writer: one row group at a time, each column chunk encoded on
// its own (optionally in parallel) into memory, then appended to the output.
#include "table/parquet_writer.h"

#include <fcntl.h>
#include <snappy.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <string_view>

#include "table/thrift_compact_writer.h"

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

void put_u32(std::string& out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // little-endian host (x86-64, aarch64)
  out.append(b, 4);
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
      for (int64_t i = 0; i < n; ++i) {
        V x = v[i];
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
      }
      if constexpr (std::is_floating_point_v<V>) {
        any = lo <= hi;  // false when every value is NaN
        if (!any) {      // all NaN, or only infinities? recheck the rare edge exactly
          for (int64_t i = 0; i < n && !any; ++i) any = !std::isnan(v[i]);
        }
      } else {
        any = n > 0;
      }
    } else {
      for (int64_t i = 0; i < n; ++i) {
        if (!c.is_valid(i)) continue;
        V x = v[i];
        if constexpr (std::is_floating_point_v<V>) {
          if (std::isnan(x)) continue;
        }
        any = true;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
      }
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

// Open-addressing hash table from a value to its dictionary index.
template <class Key, class Hash, class Eq>
class DictTable {
 public:
  explicit DictTable(size_t capacity_pow2) : slots_(capacity_pow2, kEmpty), mask_(capacity_pow2 - 1) {}
  // Returns the index of `k`, inserting it as `next` if absent.
  uint32_t find_or_insert(const Key& k, uint32_t next, std::vector<Key>& keys, bool* inserted) {
    size_t h = Hash{}(k) & mask_;
    while (true) {
      uint32_t s = slots_[h];
      if (s == kEmpty) {
        slots_[h] = next;
        keys.push_back(k);
        *inserted = true;
        if (keys.size() * 2 > slots_.size()) grow(keys);
        return next;
      }
      if (Eq{}(keys[s], k)) {
        *inserted = false;
        return s;
      }
      h = (h + 1) & mask_;
    }
  }

 private:
  static constexpr uint32_t kEmpty = std::numeric_limits<uint32_t>::max();
  void grow(const std::vector<Key>& keys) {
    std::vector<uint32_t> bigger(slots_.size() * 2, kEmpty);
    size_t m = bigger.size() - 1;
    for (uint32_t i = 0; i < keys.size(); ++i) {
      size_t h = Hash{}(keys[i]) & m;
      while (bigger[h] != kEmpty) h = (h + 1) & m;
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
// every bit of the key (doubles often have all-zero low bits).
class U64DictTable {
 public:
  U64DictTable() { resize(10); }
  uint32_t find_or_insert(uint64_t k, std::vector<uint64_t>& keys, bool* inserted) {
    size_t h = hash(k);
    while (true) {
      Slot& s = slots_[h];
      if (s.id == kEmpty) {
        s.key = k;
        s.id = static_cast<uint32_t>(keys.size());
        keys.push_back(k);
        *inserted = true;
        uint32_t id = s.id;
        if (keys.size() * 2 > slots_.size()) rehash(keys);
        return id;
      }
      if (s.key == k) {
        *inserted = false;
        return s.id;
      }
      h = (h + 1) & mask_;
    }
  }

 private:
  static constexpr uint32_t kEmpty = std::numeric_limits<uint32_t>::max();
  struct Slot {
    uint64_t key;
    uint32_t id;
  };
  size_t hash(uint64_t k) const { return static_cast<size_t>((k * 0x9e3779b97f4a7c15ULL) >> shift_); }
  void resize(int bits) {
    slots_.assign(size_t{1} << bits, Slot{0, kEmpty});
    mask_ = slots_.size() - 1;
    shift_ = 64 - bits;
    bits_ = bits;
  }
  void rehash(const std::vector<uint64_t>& keys) {
    resize(bits_ + 1);
    for (uint32_t i = 0; i < keys.size(); ++i) {
      size_t h = hash(keys[i]);
      while (slots_[h].id != kEmpty) h = (h + 1) & mask_;
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

// Builds the dictionary if it pays; false if not (too many distinct values,
// too large, or not smaller than PLAIN).
bool try_dictionary(const Column& c, const ParquetWriteOptions& o, Dictionary& d) {
  const int64_t n = c.length();
  const int64_t valid = n - c.null_count();
  if (valid == 0 || c.type().id == TypeId::Bool) return false;
  if (d.indices.size() < static_cast<size_t>(valid)) d.indices.resize(static_cast<size_t>(valid));
  // After this many values, give up if most of them were new: high-cardinality
  // columns (timestamps) should not pay for a full hash pass.
  const int64_t probe = std::min<int64_t>(valid, 32768);
  int64_t k = 0;
  int64_t plain_bytes = 0;
  if (c.type().id == TypeId::String) {
    std::vector<std::string_view> keys;
    DictTable<std::string_view, SvHash, SvEq> table(1024);
    int64_t dict_bytes = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (!c.is_valid(i)) continue;
      std::string_view s = c.string_at(i);
      plain_bytes += 4 + static_cast<int64_t>(s.size());
      bool inserted = false;
      uint32_t id = table.find_or_insert(s, static_cast<uint32_t>(keys.size()), keys, &inserted);
      if (inserted) {
        dict_bytes += 4 + static_cast<int64_t>(s.size());
        if (dict_bytes > o.dictionary_page_limit) return false;
      }
      d.indices[static_cast<size_t>(k++)] = id;
      if (k == probe && static_cast<int64_t>(keys.size()) * 2 > probe && probe < valid) return false;
    }
    d.size = static_cast<uint32_t>(keys.size());
    d.page.reserve(static_cast<size_t>(dict_bytes));
    for (auto s : keys) {
      put_u32(d.page, static_cast<uint32_t>(s.size()));
      d.page.append(s);
    }
  } else {
    const size_t w = c.type().byte_width();
    const uint8_t* base = c.values().data() + static_cast<size_t>(c.offset()) * w;
    std::vector<uint64_t> keys;
    U64DictTable table;
    const int64_t max_entries = o.dictionary_page_limit / static_cast<int64_t>(w);
    uint64_t last_key = 0;
    uint32_t last_id = std::numeric_limits<uint32_t>::max();
    const bool nulls = c.has_nulls();
    for (int64_t i = 0; i < n; ++i) {
      if (nulls && !c.is_valid(i)) continue;
      uint64_t key = 0;
      std::memcpy(&key, base + static_cast<size_t>(i) * w, w);
      if (key != last_key || last_id == std::numeric_limits<uint32_t>::max()) {  // runs are common
        bool inserted = false;
        last_id = table.find_or_insert(key, keys, &inserted);
        last_key = key;
        if (inserted && static_cast<int64_t>(keys.size()) > max_entries) return false;
      }
      d.indices[static_cast<size_t>(k++)] = last_id;
      if (k == probe && static_cast<int64_t>(keys.size()) * 2 > probe && probe < valid) return false;
    }
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

class Compressor {
 public:
  explicit Compressor(const ParquetWriteOptions& o) : codec_(o.compression), level_(o.zstd_level) {}
  ~Compressor() {
    if (zstd_ != nullptr) ZSTD_freeCCtx(zstd_);
  }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  // Returns the compressed form of `in` (or `in` itself when uncompressed).
  const std::string& compress(const std::string& in) {
    switch (codec_) {
      case ParquetCompression::Uncompressed: return in;
      case ParquetCompression::Snappy: {
        out_.resize(snappy::MaxCompressedLength(in.size()));
        size_t len = 0;
        snappy::RawCompress(in.data(), in.size(), out_.data(), &len);
        out_.resize(len);
        return out_;
      }
      case ParquetCompression::Zstd: {
        if (zstd_ == nullptr) zstd_ = ZSTD_createCCtx();
        out_.resize(ZSTD_compressBound(in.size()));
        size_t len = ZSTD_compressCCtx(zstd_, out_.data(), out_.size(), in.data(), in.size(), level_);
        if (ZSTD_isError(len)) throw ParquetError(std::string("zstd compression failed: ") + ZSTD_getErrorName(len));
        out_.resize(len);
        return out_;
      }
    }
    return in;
  }

 private:
  ParquetCompression codec_;
  int level_;
  ZSTD_CCtx* zstd_ = nullptr;
  std::string out_;
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

void write_page(Compressor& comp, int32_t type, const std::string& body, int32_t num_values, int32_t encoding,
                EncodedChunk& chunk) {
  const std::string& compressed = comp.compress(body);
  std::string header;
  ThriftCompactWriter w(&header);
  w.field_i32(1, type);
  w.field_i32(2, static_cast<int32_t>(body.size()));
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
  chunk.bytes += compressed;
  chunk.uncompressed_size += static_cast<int64_t>(header.size() + body.size());
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
    scratch.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) scratch[static_cast<size_t>(i)] = c.is_valid(r0 + i);
    encode_hybrid(scratch.data(), n, 1, out);
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

EncodedChunk encode_chunk(const Column& c, const ParquetWriteOptions& o) {
  EncodedChunk chunk;
  chunk.num_values = c.length();
  Compressor comp(o);
  // Reused between the chunks a thread encodes: the index array is as long as
  // the chunk, and fresh pages for it each time cost more than the encoding.
  thread_local Dictionary dict;
  dict.page.clear();
  dict.size = 0;
  const bool use_dict = o.dictionary && try_dictionary(c, o, dict);
  chunk.stats.null_count = c.null_count();
  if (o.statistics) {
    if (use_dict && c.type().id != TypeId::String) {
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
    write_page(comp, kDictionaryPage, dict.page, static_cast<int32_t>(dict.size), kPlain, chunk);
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
    if (use_dict) {
      body.push_back(static_cast<char>(bw));
      encode_hybrid(dict.indices.data() + valid_before, valid, bw, body);
    } else {
      append_plain(c, r0, r1, body);
    }
    valid_before += valid;
    write_page(comp, kDataPage, body, static_cast<int32_t>(r1 - r0), use_dict ? kRleDictionary : kPlain, chunk);
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
    for (int64_t r0 = 0; r0 < rows; r0 += group_rows) {
      const int64_t r1 = std::min(rows, r0 + group_rows);
      RowGroupMeta rg;
      rg.num_rows = r1 - r0;
      rg.chunks.resize(batch.num_columns());
      std::vector<std::function<void()>> tasks;
      std::vector<std::exception_ptr> errors(batch.num_columns());
      for (size_t i = 0; i < batch.num_columns(); ++i) {
        tasks.emplace_back([&, i] {
          try {
            rg.chunks[i].enc = encode_chunk(batch.column(i).slice(r0, r1 - r0), o_);
          } catch (...) {
            errors[i] = std::current_exception();
          }
        });
      }
      if (o_.parallel_for && tasks.size() > 1) o_.parallel_for(tasks);
      else for (auto& t : tasks) t();
      for (auto& e : errors)
        if (e) std::rethrow_exception(e);
      for (auto& m : rg.chunks) {
        m.file_pos = sink_.pos();
        m.enc.compressed_size = static_cast<int64_t>(m.enc.bytes.size());
        sink_.write(m.enc.bytes.data(), m.enc.bytes.size());
        std::string().swap(m.enc.bytes);  // keep only one row group's bytes in memory
      }
      groups_.push_back(std::move(rg));
      rows_ += r1 - r0;
    }
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

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Packs 8 * groups values of `bw` bits LSB-first; values past n are zero.
void bit_pack(const uint32_t* v, int64_t count, int64_t groups, int bw, std::string& out) {
  const int64_t total = groups * 8;
  const size_t at = out.size();
  out.resize(at + static_cast<size_t>(groups * bw));
  auto* dst = reinterpret_cast<uint8_t*>(out.data() + at);
  if (bw <= 8 && count == total) {
    // 8 values of <= 8 bits fill exactly bw bytes of one 64-bit word.
    for (int64_t g = 0; g < groups; ++g) {
      const uint32_t* p = v + g * 8;
      uint64_t word = 0;
      for (int j = 0; j < 8; ++j) word |= static_cast<uint64_t>(p[j]) << (j * bw);
      std::memcpy(dst + g * bw, &word, static_cast<size_t>(bw));  // little-endian host
    }
    return;
  }
  uint64_t acc = 0;
  int bits = 0;
  size_t k = 0;
  for (int64_t i = 0; i < total; ++i) {
    uint64_t x = i < count ? v[i] : 0;
    acc |= x << bits;
    bits += bw;
    while (bits >= 8) {
      dst[k++] = static_cast<uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
}

}  // namespace

void encode_hybrid(const uint32_t* v, int64_t n, int bw, std::string& out) {
  const int value_bytes = (bw + 7) / 8;
  int64_t i = 0;
  while (i < n) {
    // Length of the run of equal values starting at i.
    int64_t j = i + 1;
    while (j < n && v[j] == v[i]) ++j;
    if (j - i >= 8 || bw == 0) {
      put_varint(out, static_cast<uint64_t>(j - i) << 1);
      uint32_t x = v[i];
      for (int b = 0; b < value_bytes; ++b) out.push_back(static_cast<char>((x >> (8 * b)) & 0xff));
      i = j;
      continue;
    }
    // Bit-pack groups of 8 until a run of 8 equal values starts at a group
    // boundary (worth an RLE run) or the input ends.
    const int64_t start = i;
    int64_t groups = 0;
    while (i < n) {
      if (groups > 0) {
        int64_t r = i + 1;
        while (r < n && r - i < 8 && v[r] == v[i]) ++r;
        if (r - i >= 8) break;
      }
      i += 8;
      ++groups;
    }
    const int64_t count = std::min(i, n) - start;
    put_varint(out, (static_cast<uint64_t>(groups) << 1) | 1);
    bit_pack(v + start, count, groups, bw, out);
    if (i > n) i = n;
  }
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

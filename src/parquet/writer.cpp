// The Parquet writer: one row group at a time, each column chunk encoded on
// its own (optionally in parallel) into memory, then appended to the output.
// This file: pages (encoding, compression), the file layout and the sinks;
// statistics and dictionaries are in writer_statistics.cpp and writer_dictionary.cpp.
#include "parquet/writer_internal.h"
#include "parquet/writer_parts.h"

#include <fcntl.h>
#include <snappy-sinksource.h>
#include <snappy.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <string_view>
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

// The Parquet reader: row-group and column selection, page walking, level and
// value decoding straight into the final column buffers, and assembly of the
// Table.
//
// Memory plan: the file is memory-mapped; each selected column gets one values
// buffer sized exactly from the row counts in the footer, and every (row group,
// column) task decodes into its own disjoint slice of it, page by page, through
// a per-task scratch buffer for decompression. Validity bitmaps are made per
// chunk only when the chunk has nulls, then stitched. Strings grow per chunk
// and are concatenated once at the end (a single chunk's data is moved, not
// copied).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <unistd.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <zlib.h>

#include <baton/parquet/reader.h>
#include "parquet/codecs.h"
#include "parquet/encodings.h"
#include "parquet/parquet_metadata.h"
#include "table/time_format.h"
#include "util/status.h"

namespace baton {

namespace pd = parquet_detail;
using pd::ValueKind;

namespace {

// ---- plans -------------------------------------------------------------------

struct ColumnPlan {
  size_t leaf = 0;
  std::string name;
  pd::ColumnMapping map;
  ParquetPhysicalType physical = ParquetPhysicalType::Int32;
  int32_t type_length = 0;
  bool nullable = true;
  int32_t scale = 0;
  size_t out_width = 0;  // bytes per output value, 0 for strings
  bool is_string() const { return map.type.id == TypeId::String; }
};

size_t physical_width(const ColumnPlan& p) {
  switch (p.physical) {
    case ParquetPhysicalType::Boolean: return 1;
    case ParquetPhysicalType::Int32: case ParquetPhysicalType::Float: return 4;
    case ParquetPhysicalType::Int64: case ParquetPhysicalType::Double: return 8;
    case ParquetPhysicalType::Int96: return 12;
    case ParquetPhysicalType::FixedLenByteArray: return static_cast<size_t>(p.type_length);
    case ParquetPhysicalType::ByteArray: return 0;
  }
  return 0;
}

// Output of one column chunk (one column in one row group).
struct ChunkOut {
  uint8_t* values = nullptr;   // fixed width: rows * out_width bytes
  int64_t* offsets = nullptr;  // strings: rows string ends, relative to `data`
  MutableBuffer data;          // strings
  std::vector<uint8_t> validity;  // rows bits; empty = no nulls
  int64_t null_count = 0;
};

void set_bits(uint8_t* bits, int64_t start, int64_t n, bool value) {
  int64_t i = start, end = start + n;
  for (; i < end && (i & 7); ++i) value ? bit_set(bits, i) : bit_clear(bits, i);
  int64_t full = (end - i) / 8;
  if (full > 0) {
    std::memset(bits + (i >> 3), value ? 0xff : 0, static_cast<size_t>(full));
    i += full * 8;
  }
  for (; i < end; ++i) value ? bit_set(bits, i) : bit_clear(bits, i);
}

// Sets bit start+i of `bits` for every level byte that is 1 (the bits start
// out 0). Eight levels become one byte with a multiply: byte k of the word
// lands on bit 56 + k, LSB-first as the bitmap wants.
void pack_levels(const uint8_t* levels, size_t n, uint8_t* bits, int64_t start) {
  size_t i = 0;
  int64_t pos = start;
  for (; i < n && (pos & 7); ++i, ++pos)
    if (levels[i]) bit_set(bits, pos);
  uint8_t* out = bits + (pos >> 3);
  for (; i + 8 <= n; i += 8, pos += 8) {
    uint64_t w;
    std::memcpy(&w, levels + i, 8);
    *out++ = static_cast<uint8_t>((w * 0x0102040810204080ull) >> 56);
  }
  for (; i < n; ++i, ++pos)
    if (levels[i]) bit_set(bits, pos);
}

// ORs n bits of src (bit 0 on; bits past n zero) into dst at bit dst_off.
void or_bits_at(uint8_t* dst, int64_t dst_off, const uint8_t* src, int64_t n) {
  size_t nbytes = static_cast<size_t>((n + 7) / 8);
  uint8_t* d = dst + (dst_off >> 3);
  int s = static_cast<int>(dst_off & 7);
  size_t dst_bytes_avail = static_cast<size_t>((dst_off + n + 7) / 8 - (dst_off >> 3));
  if (s == 0) {
    for (size_t k = 0; k < nbytes; ++k) d[k] |= src[k];
    return;
  }
  for (size_t k = 0; k < nbytes; ++k) {
    d[k] |= static_cast<uint8_t>(src[k] << s);
    if (k + 1 < dst_bytes_avail) d[k + 1] |= static_cast<uint8_t>(src[k] >> (8 - s));
  }
}

double pow10(int32_t scale) {
  static const double table[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  if (scale >= 0 && scale <= 22) return table[scale];
  return std::pow(10.0, scale);
}

double half_to_double(uint16_t h) {
  int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  double v;
  if (exp == 0) v = std::ldexp(frac, -24);
  else if (exp == 31) v = frac ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else v = std::ldexp(frac + 1024, exp - 25);
  return sign ? -v : v;
}

__extension__ typedef __int128 Int128;

// Big-endian two's complement bytes -> double.
double decimal_bytes_to_double(const uint8_t* p, size_t n, int32_t scale) {
  if (n == 0) return 0.0;
  if (n <= 16) {
    Int128 v = (p[0] & 0x80) ? -1 : 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
    return static_cast<double>(v) / pow10(scale);
  }
  // Wider than 128 bits: accumulate in floating point.
  bool neg = p[0] & 0x80;
  double v = 0;
  for (size_t i = 0; i < n; ++i) v = v * 256.0 + static_cast<double>(neg ? static_cast<uint8_t>(~p[i]) : p[i]);
  if (neg) v = -(v + 1);
  return v / pow10(scale);
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Converts `count` physical values (PLAIN layout, fixed width) to the output
// representation. Identity conversions are a memcpy.
void convert_fixed(const ColumnPlan& plan, const uint8_t* src, size_t count, uint8_t* dst) {
  switch (plan.map.kind) {
    case ValueKind::Int32: case ValueKind::Date:
      std::memcpy(dst, src, count * 4);
      return;
    case ValueKind::Int64: case ValueKind::TimestampMicros: case ValueKind::Double:
      std::memcpy(dst, src, count * 8);
      return;
    case ValueKind::Bool: {
      // Dictionary values of booleans arrive as bytes already.
      for (size_t i = 0; i < count; ++i) dst[i] = src[i] ? 1 : 0;
      return;
    }
    case ValueKind::UInt32: {
      auto* o = reinterpret_cast<int64_t*>(dst);
      for (size_t i = 0; i < count; ++i) {
        uint32_t v;
        std::memcpy(&v, src + 4 * i, 4);
        o[i] = v;
      }
      return;
    }
    case ValueKind::UInt64: {
      auto* o = reinterpret_cast<int64_t*>(dst);
      for (size_t i = 0; i < count; ++i) {
        uint64_t v;
        std::memcpy(&v, src + 8 * i, 8);
        if (v > static_cast<uint64_t>(INT64_MAX))
          throw pd::EncodingError("UINT_64 value " + std::to_string(v) + " does not fit in int64");
        o[i] = static_cast<int64_t>(v);
      }
      return;
    }
    case ValueKind::TimestampMillis: case ValueKind::TimeNanos: case ValueKind::TimestampNanos: {
      auto* o = reinterpret_cast<int64_t*>(dst);
      for (size_t i = 0; i < count; ++i) {
        int64_t v;
        std::memcpy(&v, src + 8 * i, 8);
        if (plan.map.kind == ValueKind::TimestampMillis)
          o[i] = static_cast<int64_t>(static_cast<uint64_t>(v) * 1000u);
        else
          o[i] = floor_div(v, 1000);
      }
      return;
    }
    case ValueKind::TimeMillis: {
      auto* o = reinterpret_cast<int64_t*>(dst);
      for (size_t i = 0; i < count; ++i) {
        int32_t v;
        std::memcpy(&v, src + 4 * i, 4);
        o[i] = static_cast<int64_t>(v) * 1000;
      }
      return;
    }
    case ValueKind::Int96Timestamp: {
      auto* o = reinterpret_cast<int64_t*>(dst);
      constexpr int64_t kJulianEpoch = 2440588;
      for (size_t i = 0; i < count; ++i) {
        // Nanoseconds of the day are signed: Spark writes negative ones for
        // times before midnight UTC of a zone-shifted date.
        int64_t nanos;
        int32_t day;
        std::memcpy(&nanos, src + 12 * i, 8);
        std::memcpy(&day, src + 12 * i + 8, 4);
        uint64_t us = static_cast<uint64_t>(static_cast<int64_t>(day) - kJulianEpoch) * 86400000000ull +
                      static_cast<uint64_t>(floor_div(nanos, 1000));
        o[i] = static_cast<int64_t>(us);
      }
      return;
    }
    case ValueKind::Float: {
      auto* o = reinterpret_cast<double*>(dst);
      for (size_t i = 0; i < count; ++i) {
        float v;
        std::memcpy(&v, src + 4 * i, 4);
        o[i] = v;
      }
      return;
    }
    case ValueKind::Float16: {
      auto* o = reinterpret_cast<double*>(dst);
      for (size_t i = 0; i < count; ++i) {
        uint16_t v;
        std::memcpy(&v, src + 2 * i, 2);
        o[i] = half_to_double(v);
      }
      return;
    }
    case ValueKind::DecimalInt32: {
      auto* o = reinterpret_cast<double*>(dst);
      double div = pow10(plan.scale);
      for (size_t i = 0; i < count; ++i) {
        int32_t v;
        std::memcpy(&v, src + 4 * i, 4);
        o[i] = static_cast<double>(v) / div;
      }
      return;
    }
    case ValueKind::DecimalInt64: {
      auto* o = reinterpret_cast<double*>(dst);
      double div = pow10(plan.scale);
      for (size_t i = 0; i < count; ++i) {
        int64_t v;
        std::memcpy(&v, src + 8 * i, 8);
        o[i] = static_cast<double>(v) / div;
      }
      return;
    }
    case ValueKind::DecimalBytes: {  // FIXED_LEN_BYTE_ARRAY decimals
      auto* o = reinterpret_cast<double*>(dst);
      size_t w = static_cast<size_t>(plan.type_length);
      for (size_t i = 0; i < count; ++i) o[i] = decimal_bytes_to_double(src + w * i, w, plan.scale);
      return;
    }
    case ValueKind::String: case ValueKind::FixedString:
      break;
  }
  throw pd::EncodingError("internal: fixed-width conversion of a string column");
}

// The hot loops of dictionary decoding, compiled twice: for AVX2 (hardware
// gathers, vector max) and for the x86-64 baseline; the loader picks one.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define BATON_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define BATON_MULTIVERSION
#endif

BATON_MULTIVERSION uint32_t max_index(const uint32_t* idx, size_t n) {
  uint32_t max = 0;
  for (size_t i = 0; i < n; ++i) max = std::max(max, idx[i]);
  return max;
}
BATON_MULTIVERSION void gather64(const uint64_t* dict, const uint32_t* idx, uint64_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = dict[idx[i]];
}
BATON_MULTIVERSION void gather32(const uint32_t* dict, const uint32_t* idx, uint32_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = dict[idx[i]];
}
// Large outputs are written with streaming stores: megabytes of values that
// are not read again before they leave the caches, so the read-for-ownership
// of every line before it is overwritten is wasted memory traffic.
#if defined(__x86_64__)
BATON_MULTIVERSION void gather64_stream(const uint64_t* dict, const uint32_t* idx, uint64_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) _mm_stream_si64(reinterpret_cast<long long*>(out + i), static_cast<long long>(dict[idx[i]]));
}
void store_fence() { _mm_sfence(); }
#else
void gather64_stream(const uint64_t* dict, const uint32_t* idx, uint64_t* out, size_t n) { gather64(dict, idx, out, n); }
void store_fence() {}
#endif
constexpr size_t kStreamingOutputBytes = size_t{2} << 20;
void gather_n(const uint64_t* dict, const uint32_t* idx, uint64_t* out, size_t n, bool stream) {
  if (stream) gather64_stream(dict, idx, out, n);
  else gather64(dict, idx, out, n);
}
void gather_n(const uint32_t* dict, const uint32_t* idx, uint32_t* out, size_t n, bool) { gather32(dict, idx, out, n); }
void gather_n(const uint8_t* dict, const uint32_t* idx, uint8_t* out, size_t n, bool) {
  for (size_t i = 0; i < n; ++i) out[i] = dict[idx[i]];
}

// Thrown with the offset context added by the chunk decoder.
struct PageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- the column-chunk decoder --------------------------------------------------

class ChunkDecoder {
 public:
  ChunkDecoder(const uint8_t* file, const ParquetColumnChunkInfo& chunk, const ColumnPlan& plan, int64_t rows, ChunkOut& out)
      : file_(file), chunk_(chunk), plan_(plan), rows_(rows), out_(out) {}

  void run() {
    int64_t start = chunk_.data_page_offset;
    if (chunk_.dictionary_page_offset && *chunk_.dictionary_page_offset > 0) start = std::min(start, *chunk_.dictionary_page_offset);
    const uint8_t* p = file_ + start;
    const uint8_t* end = p + chunk_.total_compressed_size;
    if (plan_.is_string()) {
      // A good first guess for plain strings; dictionary strings grow.
      int64_t guess = std::min<int64_t>(chunk_.total_uncompressed_size, rows_ * 64 + 64);
      if (guess > 0) out_.data.reserve(static_cast<size_t>(guess));
    }
    for (page_index_ = 0; row_ < rows_; ++page_index_) {
      page_offset_ = static_cast<int64_t>(p - file_);
      if (p >= end) fail("column chunk ends after " + std::to_string(row_) + " of " + std::to_string(rows_) + " values");
      pd::ThriftCompactReader r(p, static_cast<size_t>(end - p));
      pd::PageHeader h;
      try {
        h = pd::parse_page_header(r);
      } catch (const pd::ThriftError& e) {
        fail(std::string("corrupt page header: ") + e.what());
      }
      const uint8_t* body = p + r.position();
      if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0)
        fail("page header without valid sizes");
      if (h.compressed_page_size > end - body)
        fail("page of " + std::to_string(h.compressed_page_size) + " bytes runs past the end of the column chunk");
      p = body + h.compressed_page_size;
      if (h.crc) verify_crc(*h.crc, body, static_cast<size_t>(h.compressed_page_size));
      try {
        switch (h.type) {
          case 2: decode_dictionary_page(h, body); break;
          case 0: case 3: decode_data_page(h, body); break;
          default: break;  // index pages and unknown page types carry no values
        }
      } catch (const pd::EncodingError& e) {
        fail(e.what());
      } catch (const pd::CodecError& e) {
        fail(e.what());
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw PageError("page " + std::to_string(page_index_) + " (at byte " + std::to_string(page_offset_) + "): " + what);
  }

  // A page that carries a checksum is verified before anything of it is
  // decoded: damaged bytes are an error, never damaged values (principle 8).
  void verify_crc(uint32_t expected, const uint8_t* body, size_t n) const {
    uLong actual = ::crc32(0L, Z_NULL, 0);
    // zlib takes at most UINT_MAX bytes per call; pages are far smaller, but be exact.
    for (size_t done = 0; done < n;) {
      const auto part = static_cast<uInt>(std::min<size_t>(n - done, 1u << 30));
      actual = ::crc32(actual, body + done, part);
      done += part;
    }
    if (static_cast<uint32_t>(actual) != expected) {
      char text[96];
      std::snprintf(text, sizeof text, "checksum mismatch: the page header says CRC-32 %08x, its %zu bytes give %08x",
                    expected, n, static_cast<uint32_t>(actual));
      fail(text);
    }
  }

  // The decompressed bytes of a (part of a) page: either the bytes in the
  // mapping or scratch.
  const uint8_t* decompress(const uint8_t* src, size_t n, size_t uncompressed, std::vector<uint8_t>& scratch) {
    if (chunk_.codec == 0) {
      if (n != uncompressed)
        fail("uncompressed page of " + std::to_string(n) + " bytes declares " + std::to_string(uncompressed));
      return src;
    }
    if (uncompressed == 0) return src;  // nothing to decompress (empty v2 pages)
    if (chunk_.codec == 1) {
      // A snappy stream that is one literal (how writers store pages that do
      // not compress) holds the bytes as they are: use them in place.
      if (const uint8_t* in_place = snappy_single_literal(src, n, uncompressed)) return in_place;
    }
    if (!pd::codec_supported(chunk_.codec))
      fail("codec " + parquet_codec_name(chunk_.codec) + " is not supported (supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW, LZ4)");
    uint64_t max = pd::max_uncompressed_size(chunk_.codec, src, n);
    if (uncompressed > max)
      fail("page declares " + std::to_string(uncompressed) + " uncompressed bytes, its " + std::to_string(n) + " " +
           parquet_codec_name(chunk_.codec) + " bytes can hold at most " + std::to_string(max));
    scratch.resize(uncompressed);
    pd::decompress(chunk_.codec, src, n, scratch.data(), uncompressed);
    return scratch.data();
  }

  // The literal's bytes if src[0..n) is a snappy stream of exactly one literal
  // element of `uncompressed` bytes; nullptr otherwise.
  static const uint8_t* snappy_single_literal(const uint8_t* src, size_t n, size_t uncompressed) {
    size_t pos = 0;
    uint64_t length = 0;
    for (int shift = 0; pos < n && shift <= 28; shift += 7) {
      const uint8_t b = src[pos++];
      length |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (length != uncompressed || pos >= n) return nullptr;
        const uint8_t tag = src[pos++];
        if ((tag & 3) != 0) return nullptr;  // not a literal
        uint64_t len_minus_1 = tag >> 2;
        if (len_minus_1 >= 60) {
          const size_t k = static_cast<size_t>(len_minus_1 - 59);
          if (n - pos < k) return nullptr;
          len_minus_1 = 0;
          for (size_t j = 0; j < k; ++j) len_minus_1 |= static_cast<uint64_t>(src[pos + j]) << (8 * j);
          pos += k;
        }
        if (len_minus_1 + 1 != uncompressed || n - pos != uncompressed) return nullptr;
        return src + pos;
      }
    }
    return nullptr;
  }

  void decode_dictionary_page(const pd::PageHeader& h, const uint8_t* body) {
    if (!h.dictionary) fail("dictionary page without a DictionaryPageHeader");
    if (have_dict_) fail("second dictionary page in one column chunk");
    int32_t enc = h.dictionary->encoding;
    if (enc != 0 && enc != 2) fail("dictionary page encoding " + parquet_encoding_name(enc) + " (expected PLAIN)");
    int32_t n = h.dictionary->num_values;
    if (n < 0) fail("dictionary page with a negative value count " + std::to_string(n));
    const uint8_t* data = decompress(body, static_cast<size_t>(h.compressed_page_size), static_cast<size_t>(h.uncompressed_page_size), dict_page_);
    size_t size = static_cast<size_t>(h.uncompressed_page_size);
    if (data != dict_page_.data()) {  // keep the bytes: string dictionaries point into them
      dict_page_.assign(data, data + size);
      data = dict_page_.data();
    }
    dict_count_ = static_cast<size_t>(n);
    if (plan_.is_string() || plan_.map.kind == ValueKind::DecimalBytes) {
      decode_byte_array_views(0, data, size, dict_count_, dict_views_);
      if (plan_.map.kind == ValueKind::DecimalBytes) {
        dict_values_.resize(dict_count_ * 8);
        auto* o = reinterpret_cast<double*>(dict_values_.data());
        for (size_t i = 0; i < dict_count_; ++i)
          o[i] = decimal_bytes_to_double(reinterpret_cast<const uint8_t*>(dict_views_[i].data()), dict_views_[i].size(), plan_.scale);
      }
    } else {
      dict_values_.resize(dict_count_ * plan_.out_width);
      decode_fixed(0, data, size, dict_count_, dict_values_.data());
    }
    have_dict_ = true;
  }

  void decode_data_page(const pd::PageHeader& h, const uint8_t* body) {
    int32_t num_values, encoding;
    const uint8_t* levels = nullptr;
    size_t levels_size = 0;
    const uint8_t* values = nullptr;
    size_t values_size = 0;
    bool v2 = h.type == 3;
    size_t comp = static_cast<size_t>(h.compressed_page_size), uncomp = static_cast<size_t>(h.uncompressed_page_size);
    if (!v2) {
      if (!h.v1) fail("data page without a DataPageHeader");
      num_values = h.v1->num_values;
      encoding = h.v1->encoding;
      const uint8_t* data = decompress(body, comp, uncomp, page_);
      const uint8_t* end = data + uncomp;
      const uint8_t* q = data;
      if (plan_.nullable) {
        int32_t le = h.v1->definition_level_encoding;
        if (le == 3) {
          if (end - q < 4) fail("definition levels truncated");
          uint32_t len;
          std::memcpy(&len, q, 4);
          q += 4;
          if (len > static_cast<size_t>(end - q)) fail("definition levels of " + std::to_string(len) + " bytes exceed the page");
          levels = q;
          levels_size = len;
          level_encoding_ = 3;
          q += len;
        } else if (le == 4) {
          size_t len = (static_cast<size_t>(std::max(num_values, 0)) + 7) / 8;
          if (len > static_cast<size_t>(end - q)) fail("BIT_PACKED definition levels exceed the page");
          levels = q;
          levels_size = len;
          level_encoding_ = 4;
          q += len;
        } else {
          fail("definition level encoding " + parquet_encoding_name(le) + " is not supported");
        }
      }
      values = q;
      values_size = static_cast<size_t>(end - q);
    } else {
      if (!h.v2) fail("data page v2 without a DataPageHeaderV2");
      const auto& d = *h.v2;
      num_values = d.num_values;
      encoding = d.encoding;
      if (d.repetition_levels_byte_length < 0 || d.definition_levels_byte_length < 0) fail("negative level lengths");
      size_t rep = static_cast<size_t>(d.repetition_levels_byte_length), def = static_cast<size_t>(d.definition_levels_byte_length);
      if (rep + def > comp || rep + def > uncomp) fail("level lengths exceed the page");
      // rep != 0 in a flat column: some writers emit empty (bit width 0)
      // repetition levels; there is nothing to read in them.
      levels = body + rep;
      levels_size = def;
      level_encoding_ = 3;
      if (!plan_.nullable && def != 0) fail("definition levels in a REQUIRED column");
      const uint8_t* vsrc = body + rep + def;
      size_t vcomp = comp - rep - def, vuncomp = uncomp - rep - def;
      if (d.is_compressed && chunk_.codec != 0) {
        values = decompress(vsrc, vcomp, vuncomp, page_);
        values_size = vuncomp;
      } else {
        if (vcomp != vuncomp) fail("uncompressed values of " + std::to_string(vcomp) + " bytes declare " + std::to_string(vuncomp));
        values = vsrc;
        values_size = vcomp;
      }
    }
    if (num_values < 0) fail("negative value count " + std::to_string(num_values));
    size_t n = static_cast<size_t>(num_values);
    if (static_cast<int64_t>(n) > rows_ - row_)
      fail("page holds " + std::to_string(n) + " values, only " + std::to_string(rows_ - row_) + " rows of the row group are left");

    // Definition levels -> how many values are present.
    size_t present = n;
    bool has_nulls = false;
    if (plan_.nullable && level_encoding_ == 3 && one_run_of_ones(levels, levels_size, n)) {
      // Every value present (the usual page): no levels to expand or count.
    } else if (plan_.nullable) {
      levels_.resize(n);
      if (level_encoding_ == 3) {
        pd::RleBitPackedDecoder dec(levels, levels_size, 1);
        dec.get(levels_.data(), n);
      } else {  // deprecated BIT_PACKED: MSB first
        for (size_t i = 0; i < n; ++i) levels_[i] = (levels[i >> 3] >> (7 - (i & 7))) & 1;
      }
      size_t c = 0;
      for (size_t i = 0; i < n; ++i) c += levels_[i];
      present = c;
      has_nulls = present != n;
    }

    if (plan_.is_string()) {
      decode_strings(encoding, values, values_size, present);
      if (has_nulls) spread_strings(n, present);
    } else {
      uint8_t* dst = out_.values + static_cast<size_t>(row_) * plan_.out_width;
      decode_fixed(encoding, values, values_size, present, dst);
      if (has_nulls) spread_fixed(dst, n, present);
    }
    if (has_nulls) {
      if (out_.validity.empty()) {
        out_.validity.assign(static_cast<size_t>((rows_ + 7) / 8), 0);
        set_bits(out_.validity.data(), 0, row_, true);
      }
      pack_levels(levels_.data(), n, out_.validity.data(), row_);
      out_.null_count += static_cast<int64_t>(n - present);
    } else if (!out_.validity.empty()) {
      set_bits(out_.validity.data(), row_, static_cast<int64_t>(n), true);
    }
    row_ += static_cast<int64_t>(n);
  }

  // True if RLE/bit-packed levels of width 1 start with one RLE run of at
  // least n ones.
  static bool one_run_of_ones(const uint8_t* p, size_t size, size_t n) {
    uint64_t header = 0;
    size_t pos = 0;
    for (int shift = 0; pos < size && shift <= 56; shift += 7) {
      const uint8_t b = p[pos++];
      header |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return (header & 1) == 0 && (header >> 1) >= n && pos < size && p[pos] == 1;
    }
    return false;
  }

  // Moves `present` dense values at dst to their rows among n (nulls zeroed).
  void spread_fixed(uint8_t* dst, size_t n, size_t present) {
    switch (plan_.out_width) {
      case 8: spread<uint64_t>(reinterpret_cast<uint64_t*>(dst), n, present); return;
      case 4: spread<uint32_t>(reinterpret_cast<uint32_t*>(dst), n, present); return;
      default: spread<uint8_t>(dst, n, present); return;
    }
  }

  template <class T>
  void spread(T* v, size_t n, size_t present) {
    if (present == 0) {
      std::fill(v, v + n, T{0});
      return;
    }
    // Branch-free (nulls are scattered): every read is of one of the dense
    // values, also for a null slot whose read goes unused.
    const uint8_t* lv = levels_.data();
    size_t j = present;
    for (size_t i = n; i-- > 0;) {
      const size_t l = lv[i] != 0;
      j -= l;
      const T x = v[l ? j : (j > 0 ? j - 1 : 0)];
      v[i] = l ? x : T{0};
      if (j == i) break;  // everything before is dense and in place
    }
  }

  void spread_strings(size_t n, size_t present) {
    int64_t* o = out_.offsets + row_;
    int64_t before = row_ > 0 ? out_.offsets[row_ - 1] : 0;
    if (present == 0) {
      std::fill(o, o + n, before);
      return;
    }
    size_t j = present;
    for (size_t i = n; i-- > 0;) {  // branch-free, as spread()
      const size_t l = levels_[i] != 0;
      j -= l;
      const int64_t present_end = o[l ? j : (j > 0 ? j - 1 : 0)];
      const int64_t null_end = j > 0 ? o[j - 1] : before;
      o[i] = l ? present_end : null_end;
      if (j == i) break;
    }
  }

  // Fixed-width values -> output representation at dst.
  void decode_fixed(int32_t encoding, const uint8_t* data, size_t size, size_t count, uint8_t* dst) {
    auto kind = plan_.map.kind;
    size_t pw = physical_width(plan_);
    if (count == 0) return;
    if (kind == ValueKind::DecimalBytes && plan_.physical == ParquetPhysicalType::ByteArray && encoding != 2 && encoding != 8) {
      decode_byte_array_views(encoding, data, size, count, views_);
      auto* o = reinterpret_cast<double*>(dst);
      for (size_t i = 0; i < count; ++i)
        o[i] = decimal_bytes_to_double(reinterpret_cast<const uint8_t*>(views_[i].data()), views_[i].size(), plan_.scale);
      return;
    }
    switch (encoding) {
      case 0: {  // PLAIN
        if (kind == ValueKind::Bool) {
          pd::unpack_bits8(data, size, 1, 0, dst, count);
          return;
        }
        if (count > size / std::max<size_t>(pw, 1) || (pw == 0 && count > 0))
          throw pd::EncodingError("PLAIN data of " + std::to_string(size) + " bytes holds fewer than " + std::to_string(count) + " values");
        convert_fixed(plan_, data, count, dst);
        return;
      }
      case 2: case 8: {  // dictionary indices
        if (!have_dict_) throw pd::EncodingError("dictionary-encoded page but the column chunk has no dictionary page");
        gather_fixed(data, size, count, dst);
        return;
      }
      case 3: {  // RLE booleans: 4-byte length, then the hybrid
        if (kind != ValueKind::Bool) throw pd::EncodingError("RLE encoding for " + to_string(plan_.physical) + " values");
        if (size < 4) throw pd::EncodingError("RLE boolean data truncated");
        uint32_t len;
        std::memcpy(&len, data, 4);
        if (len > size - 4) throw pd::EncodingError("RLE boolean length exceeds the page");
        pd::RleBitPackedDecoder dec(data + 4, len, 1);
        dec.get(dst, count);
        return;
      }
      case 5: {  // DELTA_BINARY_PACKED
        if (plan_.physical != ParquetPhysicalType::Int32 && plan_.physical != ParquetPhysicalType::Int64)
          throw pd::EncodingError("DELTA_BINARY_PACKED for " + to_string(plan_.physical) + " values");
        pd::DeltaBinaryPackedDecoder dec(data, size);
        bool identity = (pw == plan_.out_width) && (kind == ValueKind::Int32 || kind == ValueKind::Date || kind == ValueKind::Int64 ||
                                                    kind == ValueKind::TimestampMicros);
        uint8_t* target = dst;
        if (!identity) {
          phys_.resize(count * pw);
          target = phys_.data();
        }
        if (pw == 4) dec.decode(reinterpret_cast<int32_t*>(target), count);
        else dec.decode(reinterpret_cast<int64_t*>(target), count);
        if (!identity) convert_fixed(plan_, target, count, dst);
        return;
      }
      case 9: {  // BYTE_STREAM_SPLIT
        if (kind == ValueKind::Bool || pw == 0) throw pd::EncodingError("BYTE_STREAM_SPLIT for " + to_string(plan_.physical) + " values");
        phys_.resize(count * pw);
        pd::byte_stream_split_decode(data, size, pw, count, phys_.data());
        convert_fixed(plan_, phys_.data(), count, dst);
        return;
      }
      case 7: {  // DELTA_BYTE_ARRAY of FIXED_LEN_BYTE_ARRAY (decimals, float16)
        if (plan_.physical != ParquetPhysicalType::FixedLenByteArray) break;
        decode_byte_array_views(encoding, data, size, count, views_);
        phys_.resize(count * pw);
        for (size_t i = 0; i < count; ++i) {
          if (views_[i].size() != pw) throw pd::EncodingError("FIXED_LEN_BYTE_ARRAY value of " + std::to_string(views_[i].size()) + " bytes");
          std::memcpy(phys_.data() + i * pw, views_[i].data(), pw);
        }
        convert_fixed(plan_, phys_.data(), count, dst);
        return;
      }
      default:
        break;
    }
    throw pd::EncodingError("encoding " + parquet_encoding_name(encoding) + " is not supported for " + to_string(plan_.physical) + " values");
  }

  void read_indices(const uint8_t* data, size_t size, size_t count) {
    if (size < 1) {
      if (count == 0) return;
      throw pd::EncodingError("dictionary indices truncated");
    }
    int bw = data[0];
    if (bw > 32) throw pd::EncodingError("dictionary index bit width " + std::to_string(bw));
    indices_.resize(count);
    pd::RleBitPackedDecoder dec(data + 1, size - 1, bw);
    dec.get(indices_.data(), count);
  }

  // Dictionary indices are unpacked, checked and gathered in blocks that stay
  // in L1, rather than in three passes over the page.
  void gather_fixed(const uint8_t* data, size_t size, size_t count, uint8_t* dst) {
    if (size < 1) throw pd::EncodingError("dictionary indices truncated");
    int bw = data[0];
    if (bw > 32) throw pd::EncodingError("dictionary index bit width " + std::to_string(bw));
    pd::RleBitPackedDecoder dec(data + 1, size - 1, bw);
    switch (plan_.out_width) {
      case 8: gather_blocks(dec, reinterpret_cast<const uint64_t*>(dict_values_.data()), reinterpret_cast<uint64_t*>(dst), count); return;
      case 4: gather_blocks(dec, reinterpret_cast<const uint32_t*>(dict_values_.data()), reinterpret_cast<uint32_t*>(dst), count); return;
      case 1: gather_blocks(dec, dict_values_.data(), dst, count); return;
      default: throw pd::EncodingError("internal: unexpected output width");
    }
  }

  template <class T>
  void gather_blocks(pd::RleBitPackedDecoder& dec, const T* dict, T* out, size_t count) {
    constexpr size_t kBlock = 2048;
    uint32_t idx[kBlock];
    const bool stream = static_cast<size_t>(rows_) * sizeof(T) >= kStreamingOutputBytes;
    for (size_t done = 0; done < count;) {
      size_t m = std::min(kBlock, count - done);
      dec.get(idx, m);
      uint32_t max = max_index(idx, m);
      if (max >= dict_count_)
        throw pd::EncodingError("dictionary index " + std::to_string(max) + " out of range (dictionary of " + std::to_string(dict_count_) + ")");
      gather_n(dict, idx, out + done, m, stream);
      done += m;
    }
    if (stream) store_fence();  // ordered before whoever reads the column next
  }

  // Byte-array values (BYTE_ARRAY, or FIXED_LEN_BYTE_ARRAY) as views into the
  // page (or into scratch for DELTA_BYTE_ARRAY).
  void decode_byte_array_views(int32_t encoding, const uint8_t* data, size_t size, size_t count, std::vector<std::string_view>& views) {
    views.resize(count);
    const char* base = reinterpret_cast<const char*>(data);
    bool fixed = plan_.physical == ParquetPhysicalType::FixedLenByteArray;
    size_t flen = static_cast<size_t>(plan_.type_length);
    switch (encoding) {
      case 0: {
        if (fixed) {
          if (flen != 0 && count > size / flen) throw pd::EncodingError("PLAIN data holds fewer than " + std::to_string(count) + " values");
          for (size_t i = 0; i < count; ++i) views[i] = std::string_view(base + i * flen, flen);
          return;
        }
        size_t pos = 0;
        for (size_t i = 0; i < count; ++i) {
          if (size - pos < 4) throw pd::EncodingError("PLAIN byte array " + std::to_string(i) + " of " + std::to_string(count) + " truncated");
          uint32_t len;
          std::memcpy(&len, data + pos, 4);
          pos += 4;
          if (len > size - pos) throw pd::EncodingError("PLAIN byte array of " + std::to_string(len) + " bytes runs past the page");
          views[i] = std::string_view(base + pos, len);
          pos += len;
        }
        return;
      }
      case 6: {  // DELTA_LENGTH_BYTE_ARRAY
        if (fixed) break;
        pd::DeltaBinaryPackedDecoder dec(data, size);
        if (dec.total_count() != count)
          throw pd::EncodingError("DELTA_LENGTH_BYTE_ARRAY holds " + std::to_string(dec.total_count()) + " lengths, page needs " + std::to_string(count));
        lengths_.resize(count);
        dec.decode(lengths_.data(), count);
        size_t pos = dec.consumed();
        for (size_t i = 0; i < count; ++i) {
          int32_t len = lengths_[i];
          if (len < 0 || static_cast<size_t>(len) > size - pos) throw pd::EncodingError("DELTA_LENGTH_BYTE_ARRAY value length " + std::to_string(len) + " invalid");
          views[i] = std::string_view(base + pos, static_cast<size_t>(len));
          pos += static_cast<size_t>(len);
        }
        return;
      }
      case 7: {  // DELTA_BYTE_ARRAY: prefix lengths, suffix lengths, suffixes
        pd::DeltaBinaryPackedDecoder pre(data, size);
        if (pre.total_count() != count)
          throw pd::EncodingError("DELTA_BYTE_ARRAY holds " + std::to_string(pre.total_count()) + " prefixes, page needs " + std::to_string(count));
        prefixes_.resize(count);
        pre.decode(prefixes_.data(), count);
        size_t pos = pre.consumed();
        pd::DeltaBinaryPackedDecoder suf(data + pos, size - pos);
        if (suf.total_count() != count)
          throw pd::EncodingError("DELTA_BYTE_ARRAY holds " + std::to_string(suf.total_count()) + " suffixes, page needs " + std::to_string(count));
        lengths_.resize(count);
        suf.decode(lengths_.data(), count);
        pos += suf.consumed();
        // First pass: total size, so the views stay valid (no reallocation).
        size_t total = 0, prev = 0, p2 = pos;
        for (size_t i = 0; i < count; ++i) {
          int32_t pl = prefixes_[i], sl = lengths_[i];
          if (pl < 0 || sl < 0 || static_cast<size_t>(pl) > prev) throw pd::EncodingError("DELTA_BYTE_ARRAY prefix length " + std::to_string(pl) + " invalid");
          if (static_cast<size_t>(sl) > size - p2) throw pd::EncodingError("DELTA_BYTE_ARRAY suffix runs past the page");
          p2 += static_cast<size_t>(sl);
          prev = static_cast<size_t>(pl) + static_cast<size_t>(sl);
          total += prev;
          if (total > (size_t{1} << 32)) throw pd::EncodingError("DELTA_BYTE_ARRAY expands beyond 4 GiB");
        }
        delta_store_.resize(total);
        char* out = delta_store_.data();
        size_t at = 0;
        const char* prev_ptr = nullptr;
        for (size_t i = 0; i < count; ++i) {
          size_t pl = static_cast<size_t>(prefixes_[i]), sl = static_cast<size_t>(lengths_[i]);
          if (pl) std::memcpy(out + at, prev_ptr, pl);
          if (sl) std::memcpy(out + at + pl, base + pos, sl);
          pos += sl;
          views[i] = std::string_view(out + at, pl + sl);
          prev_ptr = out + at;
          at += pl + sl;
        }
        return;
      }
      case 9: {  // BYTE_STREAM_SPLIT for FIXED_LEN_BYTE_ARRAY
        if (!fixed || flen == 0) break;
        phys_.resize(count * flen);
        pd::byte_stream_split_decode(data, size, flen, count, phys_.data());
        for (size_t i = 0; i < count; ++i) views[i] = std::string_view(reinterpret_cast<const char*>(phys_.data()) + i * flen, flen);
        return;
      }
      default:
        break;
    }
    throw pd::EncodingError("encoding " + parquet_encoding_name(encoding) + " is not supported for " + to_string(plan_.physical) + " values");
  }

  char* grow_data(size_t bytes) {
    size_t at = out_.data.size();
    if (at + bytes > out_.data.capacity()) out_.data.reserve(std::max(out_.data.capacity() * 2, at + bytes));
    out_.data.resize(at + bytes);
    return reinterpret_cast<char*>(out_.data.data() + at);
  }

  void append_views(size_t count) {
    size_t total = 0;
    for (size_t i = 0; i < count; ++i) total += views_[i].size();
    size_t base = out_.data.size();
    char* d = grow_data(total);
    int64_t* o = out_.offsets + row_;
    size_t at = 0;
    for (size_t i = 0; i < count; ++i) {
      std::memcpy(d + at, views_[i].data(), views_[i].size());
      at += views_[i].size();
      o[i] = static_cast<int64_t>(base + at);
    }
  }

  void decode_strings(int32_t encoding, const uint8_t* data, size_t size, size_t count) {
    if (count == 0) return;
    if (encoding == 2 || encoding == 8) {
      if (!have_dict_) throw pd::EncodingError("dictionary-encoded page but the column chunk has no dictionary page");
      read_indices(data, size, count);
      size_t total = 0;
      for (size_t i = 0; i < count; ++i) {
        uint32_t k = indices_[i];
        if (k >= dict_count_) throw pd::EncodingError("dictionary index " + std::to_string(k) + " out of range (dictionary of " + std::to_string(dict_count_) + ")");
        total += dict_views_[k].size();
      }
      size_t base = out_.data.size();
      char* d = grow_data(total);
      int64_t* o = out_.offsets + row_;
      size_t at = 0;
      for (size_t i = 0; i < count; ++i) {
        const auto& s = dict_views_[indices_[i]];
        std::memcpy(d + at, s.data(), s.size());
        at += s.size();
        o[i] = static_cast<int64_t>(base + at);
      }
      return;
    }
    decode_byte_array_views(encoding, data, size, count, views_);
    append_views(count);
  }

  const uint8_t* file_;
  const ParquetColumnChunkInfo& chunk_;
  const ColumnPlan& plan_;
  int64_t rows_;
  ChunkOut& out_;
  int64_t row_ = 0;
  int64_t page_offset_ = 0;
  int64_t page_index_ = 0;  // the page's ordinal in its column chunk (0: the dictionary page, if any)
  int32_t level_encoding_ = 3;

  bool have_dict_ = false;
  size_t dict_count_ = 0;
  std::vector<uint8_t> dict_page_;
  std::vector<uint8_t> dict_values_;            // fixed width, output representation
  std::vector<std::string_view> dict_views_;    // strings, into dict_page_

  std::vector<uint8_t> page_, levels_, phys_;
  std::vector<uint32_t> indices_;
  std::vector<int32_t> lengths_, prefixes_;
  std::vector<std::string_view> views_;
  std::vector<char> delta_store_;
};

// ---- predicates ------------------------------------------------------------------

// Decoded statistics bound for comparisons.
struct Bound {
  enum class K { None, Int, Double, String, Bool } k = K::None;
  int64_t i = 0;
  double d = 0;
  std::string s;
};

Bound decode_bound(const ColumnPlan& plan, const std::string& raw) {
  Bound b;
  auto need = [&](size_t n) { return raw.size() == n; };
  switch (plan.map.kind) {
    case ValueKind::Int32: case ValueKind::Date:
      if (need(4)) { int32_t v; std::memcpy(&v, raw.data(), 4); b.k = Bound::K::Int; b.i = v; }
      break;
    case ValueKind::UInt32:
      if (need(4)) { uint32_t v; std::memcpy(&v, raw.data(), 4); b.k = Bound::K::Int; b.i = v; }
      break;
    case ValueKind::Int64: case ValueKind::TimestampMicros:
      if (need(8)) { int64_t v; std::memcpy(&v, raw.data(), 8); b.k = Bound::K::Int; b.i = v; }
      break;
    case ValueKind::TimestampMillis: case ValueKind::TimestampNanos: case ValueKind::UInt64: case ValueKind::TimeNanos: case ValueKind::TimeMillis:
    case ValueKind::Int96Timestamp: {
      size_t w = physical_width(plan);
      if (need(w)) { int64_t v; convert_fixed(plan, reinterpret_cast<const uint8_t*>(raw.data()), 1, reinterpret_cast<uint8_t*>(&v)); b.k = Bound::K::Int; b.i = v; }
      break;
    }
    case ValueKind::Float: case ValueKind::Double: case ValueKind::Float16: case ValueKind::DecimalInt32: case ValueKind::DecimalInt64: {
      size_t w = physical_width(plan);
      if (need(w)) { double v; convert_fixed(plan, reinterpret_cast<const uint8_t*>(raw.data()), 1, reinterpret_cast<uint8_t*>(&v)); b.k = Bound::K::Double; b.d = v; }
      if (b.k == Bound::K::Double && std::isnan(b.d)) b.k = Bound::K::None;  // NaN bounds prove nothing
      break;
    }
    case ValueKind::DecimalBytes:
      break;  // signed big-endian bounds; not used for pruning
    case ValueKind::Bool:
      if (need(1)) { b.k = Bound::K::Bool; b.i = raw[0] ? 1 : 0; }
      break;
    case ValueKind::String: case ValueKind::FixedString:
      b.k = Bound::K::String;
      b.s = raw;
      break;
  }
  return b;
}

// -1, 0, 1 comparing bound with the predicate value; nullopt if incomparable.
std::optional<int> compare(const Bound& b, const ParquetPredicate::Value& v) {
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (b.k) {
    case Bound::K::Int:
      if (auto* i = std::get_if<int64_t>(&v)) return sign(b.i, *i);
      if (auto* d = std::get_if<double>(&v)) { if (std::isnan(*d)) return std::nullopt; return sign(static_cast<double>(b.i), *d); }
      return std::nullopt;
    case Bound::K::Double:
      if (auto* d = std::get_if<double>(&v)) { if (std::isnan(*d)) return std::nullopt; return sign(b.d, *d); }
      if (auto* i = std::get_if<int64_t>(&v)) return sign(b.d, static_cast<double>(*i));
      return std::nullopt;
    case Bound::K::String:
      if (auto* s = std::get_if<std::string>(&v)) {
        // Unsigned bytewise order, as Parquet orders BYTE_ARRAY statistics.
        int c = std::memcmp(b.s.data(), s->data(), std::min(b.s.size(), s->size()));
        if (c == 0) c = sign(b.s.size(), s->size());
        return c < 0 ? -1 : (c > 0 ? 1 : 0);
      }
      return std::nullopt;
    case Bound::K::Bool:
      if (auto* x = std::get_if<bool>(&v)) return sign(b.i, static_cast<int64_t>(*x));
      return std::nullopt;
    case Bound::K::None:
      return std::nullopt;
  }
  return std::nullopt;
}

// True when the chunk's statistics prove that no row satisfies the predicate.
bool prunes(const ColumnPlan& plan, const ParquetColumnChunkInfo& chunk, int64_t rows, const ParquetPredicate& pred) {
  if (!chunk.statistics) return false;
  const auto& st = *chunk.statistics;
  using Op = ParquetPredicate::Op;
  if (pred.op == Op::IsNull) return st.null_count && *st.null_count == 0;
  if (pred.op == Op::IsNotNull) return st.null_count && *st.null_count == rows;
  // All-null chunk: no comparison can be true.
  if (st.null_count && *st.null_count == rows && rows > 0) return true;
  // The legacy min/max were compared signed: wrong for strings and unsigned.
  if (st.legacy_min_max && (plan.map.type.id == TypeId::String || plan.map.kind == ValueKind::UInt32 ||
                            plan.map.kind == ValueKind::UInt64))
    return false;
  if (!st.min || !st.max) return false;
  Bound lo, hi;
  try {
    lo = decode_bound(plan, *st.min);
    hi = decode_bound(plan, *st.max);
  } catch (const std::exception&) {
    return false;  // a bound that does not convert (UINT_64 above INT64_MAX) proves nothing
  }
  auto cl = compare(lo, pred.value), ch = compare(hi, pred.value);
  if (!cl || !ch) return false;
  switch (pred.op) {
    case Op::Eq: return *cl > 0 || *ch < 0;
    case Op::Ne: return *cl == 0 && *ch == 0;
    case Op::Lt: return *cl >= 0;
    case Op::Le: return *cl > 0;
    case Op::Gt: return *ch <= 0;
    case Op::Ge: return *ch < 0;
    default: return false;
  }
}

uint64_t physical_memory() {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return uint64_t{1} << 40;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
}

ColumnPlan make_plan(const ParquetMetadata& md, size_t leaf) {
  const auto& info = md.columns[leaf];
  const auto& e = md.schema[static_cast<size_t>(info.schema_index)];
  ColumnPlan p;
  p.leaf = leaf;
  p.name = info.name;
  p.map = pd::map_column(e);
  p.physical = info.physical_type;
  p.type_length = info.type_length;
  p.nullable = info.repetition != ParquetRepetition::Required;
  p.scale = e.logical_type.kind == ParquetLogicalType::Kind::Decimal ? e.logical_type.scale : e.scale;
  p.out_width = p.map.type.byte_width();
  if (p.physical == ParquetPhysicalType::FixedLenByteArray && p.type_length <= 0 && p.map.kind != ValueKind::FixedString)
    throw ParquetError(md.path + ": column '" + p.name + "' has FIXED_LEN_BYTE_ARRAY length " + std::to_string(p.type_length));
  return p;
}

Table read_table(const Buffer& file, const std::string& name, const ParquetReadOptions& options) {
  ParquetMetadata md = pd::parse_file_metadata(file.data(), file.size(), name);

  // Columns.
  std::vector<size_t> leaves;
  if (options.columns.empty()) {
    for (size_t i = 0; i < md.columns.size(); ++i) leaves.push_back(i);
  } else {
    for (const auto& c : options.columns) {
      size_t found = md.columns.size();
      for (size_t i = 0; i < md.columns.size(); ++i)
        if (md.columns[i].name == c) { found = i; break; }
      if (found == md.columns.size()) {
        std::string names;
        for (const auto& col : md.columns) names += (names.empty() ? "" : ", ") + col.name;
        throw ParquetError(name + ": no column '" + c + "' (columns: " + names + ")");
      }
      leaves.push_back(found);
    }
  }
  std::vector<ColumnPlan> plans;
  for (size_t leaf : leaves) {
    if (!md.columns[leaf].unsupported.empty()) throw ParquetError(name + ": " + md.columns[leaf].unsupported);
    plans.push_back(make_plan(md, leaf));
  }

  // Row groups: selection, then pruning.
  std::vector<size_t> groups;
  if (options.row_groups) {
    for (size_t g : *options.row_groups) {
      if (g >= md.row_groups.size())
        throw ParquetError(name + ": row group " + std::to_string(g) + " requested, the file has " + std::to_string(md.row_groups.size()));
      groups.push_back(g);
    }
  } else {
    for (size_t g = 0; g < md.row_groups.size(); ++g) groups.push_back(g);
  }
  if (!options.predicates.empty()) {
    std::vector<std::pair<size_t, ColumnPlan>> pred_plans;
    for (const auto& pred : options.predicates) {
      size_t found = md.columns.size();
      for (size_t i = 0; i < md.columns.size(); ++i)
        if (md.columns[i].name == pred.column) { found = i; break; }
      if (found == md.columns.size()) throw ParquetError(name + ": predicate on unknown column '" + pred.column + "'");
      if (!md.columns[found].unsupported.empty()) throw ParquetError(name + ": predicate on unreadable column: " + md.columns[found].unsupported);
      pred_plans.emplace_back(found, make_plan(md, found));
    }
    std::vector<size_t> kept;
    for (size_t g : groups) {
      const auto& rg = md.row_groups[g];
      bool skip = false;
      for (size_t k = 0; k < options.predicates.size() && !skip; ++k)
        skip = prunes(pred_plans[k].second, rg.columns[pred_plans[k].first], rg.num_rows, options.predicates[k]);
      if (!skip) kept.push_back(g);
    }
    groups = std::move(kept);
  }

  // Sizes and the memory guard.
  int64_t total_rows = 0;
  std::vector<int64_t> starts;
  for (size_t g : groups) {
    starts.push_back(total_rows);
    total_rows += md.row_groups[g].num_rows;
  }
  uint64_t limit = options.memory_limit ? options.memory_limit : physical_memory();
  {
    long double need = 0;
    for (const auto& p : plans) {
      need += static_cast<long double>(total_rows) * static_cast<long double>(p.is_string() ? 8 : p.out_width);
      if (p.is_string())
        for (size_t g : groups) need += static_cast<long double>(std::max<int64_t>(0, md.row_groups[g].columns[p.leaf].total_uncompressed_size));
    }
    if (need > static_cast<long double>(limit))
      throw ParquetError(name + ": decoding " + std::to_string(total_rows) + " rows needs about " + std::to_string(static_cast<uint64_t>(need)) +
                         " bytes, more than the memory limit of " + std::to_string(limit));
  }

  // Output buffers and per-chunk outputs.
  size_t nc = plans.size(), ng = groups.size();
  std::vector<MutableBuffer> values(nc);
  std::vector<std::vector<ChunkOut>> outs(nc);
  for (size_t c = 0; c < nc; ++c) {
    const auto& p = plans[c];
    outs[c].resize(ng);
    if (p.is_string()) {
      values[c].resize(static_cast<size_t>(total_rows + 1) * sizeof(int64_t));
      auto* o = values[c].as<int64_t>();
      o[0] = 0;
      for (size_t g = 0; g < ng; ++g) outs[c][g].offsets = o + 1 + starts[g];
    } else {
      values[c].resize(static_cast<size_t>(total_rows) * p.out_width);
      for (size_t g = 0; g < ng; ++g) outs[c][g].values = values[c].data() + static_cast<size_t>(starts[g]) * p.out_width;
    }
  }

  // One task per (row group, column).
  std::vector<std::string> errors(nc * ng);
  std::vector<std::function<void()>> tasks;
  tasks.reserve(nc * ng);
  const uint8_t* base = file.data();
  for (size_t g = 0; g < ng; ++g) {
    for (size_t c = 0; c < nc; ++c) {
      tasks.emplace_back([&, g, c] {
        const auto& rg = md.row_groups[groups[g]];
        const auto& chunk = rg.columns[plans[c].leaf];
        try {
          ChunkDecoder(base, chunk, plans[c], rg.num_rows, outs[c][g]).run();
        } catch (const std::bad_alloc&) {
          errors[g * nc + c] = name + ": row group " + std::to_string(groups[g]) + ", column '" + plans[c].name + "': out of memory";
        } catch (const std::exception& e) {
          errors[g * nc + c] = name + ": row group " + std::to_string(groups[g]) + ", column '" + plans[c].name + "': " + e.what();
        }
      });
    }
  }
  if (options.parallel_for && tasks.size() > 1) {
    options.parallel_for(tasks);
  } else {
    for (size_t t = 0; t < tasks.size(); ++t) {
      tasks[t]();
      if (!errors[t].empty()) break;
    }
  }
  for (const auto& e : errors)
    if (!e.empty()) throw ParquetError(e);

  // Assembly.
  std::vector<std::string> names;
  std::vector<Column> columns;
  for (size_t c = 0; c < nc; ++c) {
    const auto& p = plans[c];
    auto& chunks = outs[c];
    int64_t nulls = 0;
    bool any_bitmap = false;
    for (const auto& o : chunks) {
      nulls += o.null_count;
      any_bitmap |= !o.validity.empty();
    }
    Buffer validity;
    if (any_bitmap && nulls > 0) {
      MutableBuffer bits;
      bits.resize_zeroed(static_cast<size_t>((total_rows + 7) / 8));
      for (size_t g = 0; g < ng; ++g) {
        int64_t n = md.row_groups[groups[g]].num_rows;
        if (chunks[g].validity.empty()) set_bits(bits.data(), starts[g], n, true);
        else or_bits_at(bits.data(), starts[g], chunks[g].validity.data(), n);
      }
      validity = bits.finish();
    }
    if (p.is_string()) {
      Buffer data;
      if (ng == 1) {
        data = chunks[0].data.finish();
      } else {
        size_t total = 0;
        for (const auto& o : chunks) total += o.data.size();
        MutableBuffer all(total);
        int64_t* offs = values[c].as<int64_t>();
        size_t at = 0;
        for (size_t g = 0; g < ng; ++g) {
          auto& o = chunks[g];
          if (o.data.size()) std::memcpy(all.data() + at, o.data.data(), o.data.size());
          int64_t n = md.row_groups[groups[g]].num_rows;
          int64_t* e = offs + 1 + starts[g];
          for (int64_t i = 0; i < n; ++i) e[i] += static_cast<int64_t>(at);
          at += o.data.size();
          o.data = MutableBuffer();
        }
        data = all.finish();
      }
      columns.push_back(Column::from_string_buffers(total_rows, std::move(validity), values[c].finish(), std::move(data), nulls));
    } else {
      columns.push_back(Column::from_buffers(p.map.type, total_rows, std::move(validity), values[c].finish(), nulls));
    }
    names.push_back(p.name);
  }
  try {
    return Table(std::move(names), std::move(columns));
  } catch (const std::exception& e) {
    throw ParquetError(name + ": " + e.what());
  }
}

Buffer map_or_throw(const std::string& path) {
  try {
    return Buffer::map_file(path);
  } catch (const std::exception& e) {
    throw ParquetError(e.what());
  }
}

}  // namespace

// ---- public API ------------------------------------------------------------------

ParquetMetadata read_parquet_metadata_buffer(const Buffer& bytes, const std::string& name) {
  return pd::parse_file_metadata(bytes.data(), bytes.size(), name);
}

ParquetMetadata read_parquet_metadata(const std::string& path) { return read_parquet_metadata_buffer(map_or_throw(path), path); }

Result<ParquetMetadata> try_read_parquet_metadata(const std::string& path) {
  try {
    return read_parquet_metadata(path);
  } catch (const std::exception& e) {
    return Status::error(e.what());
  }
}

Table read_parquet_buffer(const Buffer& bytes, const std::string& name, const ParquetReadOptions& options) {
  try {
    return read_table(bytes, name, options);
  } catch (const ParquetError&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw ParquetError(name + ": out of memory");
  } catch (const std::exception& e) {
    throw ParquetError(name + ": " + e.what());
  }
}

Table read_parquet(const std::string& path, const ParquetReadOptions& options) {
  return read_parquet_buffer(map_or_throw(path), path, options);
}

Result<Table> try_read_parquet(const std::string& path, const ParquetReadOptions& options) {
  try {
    return read_parquet(path, options);
  } catch (const std::exception& e) {
    return Status::error(e.what());
  }
}

std::string ParquetMetadata::format_statistic(size_t column, const std::string& raw) const {
  if (column >= columns.size()) return "";
  const auto& info = columns[column];
  auto m = pd::map_column(schema[static_cast<size_t>(info.schema_index)]);
  if (!info.unsupported.empty() && m.unsupported.empty()) m.unsupported = info.unsupported;
  auto hex = [&] {
    static const char* digits = "0123456789abcdef";
    std::string s = "0x";
    for (unsigned char ch : raw) { s += digits[ch >> 4]; s += digits[ch & 15]; }
    return s;
  };
  if (!m.unsupported.empty()) return hex();
  ColumnPlan p;
  p.map = m;
  p.physical = info.physical_type;
  p.type_length = info.type_length;
  const auto& e = schema[static_cast<size_t>(info.schema_index)];
  p.scale = e.logical_type.kind == ParquetLogicalType::Kind::Decimal ? e.logical_type.scale : e.scale;
  if (m.kind == ValueKind::String || m.kind == ValueKind::FixedString) return "\"" + raw + "\"";
  if (m.kind == ValueKind::DecimalBytes) return std::to_string(decimal_bytes_to_double(reinterpret_cast<const uint8_t*>(raw.data()), raw.size(), p.scale));
  Bound b;
  try {
    b = decode_bound(p, raw);
  } catch (const std::exception&) {
    return hex();
  }
  switch (b.k) {
    case Bound::K::Int:
      if (m.type.id == TypeId::Timestamp) return detail::format_timestamp(b.i, m.type.utc);
      if (m.type.id == TypeId::Date) return detail::format_date(b.i);
      return std::to_string(b.i);
    case Bound::K::Double: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", b.d);
      return buf;
    }
    case Bound::K::Bool: return b.i ? "true" : "false";
    default: break;
  }
  // NaN doubles and sizes that do not match the type.
  if ((m.kind == ValueKind::Double || m.kind == ValueKind::Float) && raw.size() == physical_width(p)) return "nan";
  return hex();
}

}  // namespace baton

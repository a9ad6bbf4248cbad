#pragma once
// The Parquet writer's pieces shared by its files: writer_statistics.cpp (column
// chunk min/max/null count), writer_dictionary.cpp (dictionary encoding) and
// writer.cpp (pages, the file layout and its sinks). Not for other layers.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <baton/parquet/writer.h>

#include "table/bitmap_util.h"

namespace baton::parquet_detail {

inline void put_u32(std::string& out, uint32_t v) {
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
inline bool for_valid_blocks(const Column& c, Fn&& fn) {
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

// ---- statistics (writer_statistics.cpp)

struct ChunkStats {
  int64_t null_count = 0;
  bool has_minmax = false;
  std::string min, max;  // PLAIN-encoded
};

// The chunk's null count and, when the values allow it, its PLAIN-encoded
// min/max (NaN left out, -0.0/+0.0 for zero bounds, strings only up to 64 bytes).
ChunkStats compute_stats(const Column& c);

// ---- dictionary (writer_dictionary.cpp)

// Dictionary encoding of a chunk's valid values: indices[k] for the k-th valid
// value, and the PLAIN dictionary page body.
struct Dictionary {
  std::vector<uint32_t> indices;
  std::string page;  // PLAIN values
  uint32_t size = 0;
};

// Builds the dictionary if it pays; false if not (too many distinct values,
// too large, or not smaller than PLAIN). `stats`, when given, holds the
// chunk's min/max (integers: a small range takes the direct map).
bool try_dictionary(const Column& c, const ParquetWriteOptions& o, const ChunkStats* stats, Dictionary& d);

}  // namespace baton::parquet_detail

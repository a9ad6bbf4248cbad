// Column chunk statistics for the Parquet writer: the null count and min/max,
// PLAIN-encoded, as the footer's ColumnMetaData.statistics carries them.
#include "parquet/writer_parts.h"

#include <cmath>
#include <limits>
#include <string_view>
#include <type_traits>

namespace baton::parquet_detail {
namespace {

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

}  // namespace

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

}  // namespace baton::parquet_detail

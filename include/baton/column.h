#pragma once
// Column: an immutable, typed array of `length` values with a validity bitmap.
// Buffers are shared, never copied: copies, slices and tables that select this
// column all point at the same bytes.
//
// Layout contract (what from_buffers expects and what accessors hand out):
// - validity: bit i (LSB-first within each byte, Arrow order) is 1 when value i
//   is present. An empty validity Buffer means "all values valid".
// - values: length * type.byte_width() bytes (see data_type.h for each type).
//   A null slot holds an unspecified value that kernels may read but ignore.
// - strings: `offsets` holds length + 1 int64 entries, non-decreasing, and the
//   string i is data[offsets[i], offsets[i+1]). Offsets need not start at 0.
// A slice keeps the parent's buffers and an element offset; the typed pointers
// below already point at the slice's first element, but validity is a bitmap,
// so use is_valid(i) or validity_offset() with validity_bits().
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include <baton/buffer.h>
#include <baton/data_type.h>

namespace baton {

inline bool bit_get(const uint8_t* bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }
inline void bit_set(uint8_t* bits, int64_t i) { bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7)); }
inline void bit_clear(uint8_t* bits, int64_t i) { bits[i >> 3] &= static_cast<uint8_t>(~(1u << (i & 7))); }
// Number of set bits in [offset, offset + length).
int64_t count_set_bits(const uint8_t* bits, int64_t offset, int64_t length);

namespace detail {
struct FingerprintCache;
struct Access;  // lets the table serializer restore remembered fingerprints
}  // namespace detail

class Column {
 public:
  Column();  // an empty int64 column

  // Wraps existing buffers (no copy). `null_count` < 0 means "count it now"
  // (a popcount of the bitmap). Throws std::invalid_argument if the buffers are
  // too small for `length` or the type needs string buffers.
  static Column from_buffers(DataType type, int64_t length, Buffer validity, Buffer values,
                             int64_t null_count = -1);
  // A string column from offsets (length + 1 int64) and UTF-8 data. The offsets'
  // first and last entries must lie within `data` (checked); the UTF-8 is not
  // validated (Parquet readers may validate at their boundary).
  static Column from_string_buffers(int64_t length, Buffer validity, Buffer offsets, Buffer data,
                                    int64_t null_count = -1);
  // A column of `length` nulls of the given type.
  static Column nulls(DataType type, int64_t length);

  const DataType& type() const { return type_; }
  int64_t length() const { return length_; }
  int64_t size() const { return length_; }
  int64_t null_count() const { return null_count_; }
  bool has_nulls() const { return null_count_ > 0; }
  bool is_valid(int64_t i) const {
    return validity_.empty() || bit_get(validity_.data(), offset_ + i);
  }
  bool is_null(int64_t i) const { return !is_valid(i); }

  // Typed values of the slice, e.g. data<double>() for float64, data<int64_t>()
  // for timestamps, data<uint8_t>() for bool. Asserts that sizeof(T) matches.
  template <class T>
  const T* data() const {
    return reinterpret_cast<const T*>(values_.data()) + offset_;
  }
  // Strings: offsets of the slice (length + 1 entries) and the data they index.
  const int64_t* string_offsets() const {
    return reinterpret_cast<const int64_t*>(offsets_.data()) + offset_;
  }
  const char* string_data() const { return reinterpret_cast<const char*>(data_.data()); }
  std::string_view string_at(int64_t i) const {
    const int64_t* o = string_offsets();
    return {string_data() + o[i], static_cast<size_t>(o[i + 1] - o[i])};
  }

  // The underlying buffers (whole, not sliced) and the element offset.
  const Buffer& validity() const { return validity_; }
  const uint8_t* validity_bits() const { return validity_.empty() ? nullptr : validity_.data(); }
  int64_t validity_offset() const { return offset_; }
  const Buffer& values() const { return values_; }
  const Buffer& offsets_buffer() const { return offsets_; }
  const Buffer& data_buffer() const { return data_; }
  int64_t offset() const { return offset_; }

  // Zero-copy view of rows [offset, offset + length), clamped to the column.
  Column slice(int64_t offset, int64_t length) const;

  // Bytes this column's values occupy (its slice of each buffer): what info()
  // reports and what a serializer writes.
  size_t memory_usage() const;

  // The value at i as text: numbers in shortest round-trip form, bools
  // true/false, timestamps ISO-8601 ("2024-01-01T00:57:55" or "...Z" when
  // UTC), dates "2024-01-31"; nulls give "null".
  std::string format_value(int64_t i) const;

  // XXH3-128 of the type and the values (nulls hashed as absent, so two columns
  // with equal values and equal nulls hash equal whatever the slot contents or
  // offsets); computed on first use and remembered. Thread-safe.
  struct Fingerprint {
    uint64_t high = 0, low = 0;
    std::string hex() const;
    friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
  };
  Fingerprint fingerprint() const;

  // Equal types, lengths, nulls and values (NaN equals NaN here).
  bool equals(const Column& other) const;

 private:
  friend struct detail::Access;
  DataType type_{};
  int64_t length_ = 0;
  int64_t offset_ = 0;
  int64_t null_count_ = 0;
  Buffer validity_, values_, offsets_, data_;
  std::shared_ptr<detail::FingerprintCache> fingerprint_;
};

}  // namespace baton

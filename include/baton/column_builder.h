#pragma once
// Builders that make Columns. Two ways to use them:
// - row by row: append(v) / append_null(), then finish();
// - in bulk, for decoders: `T* p = b.extend(n)` grows the column by n valid
//   slots and returns raw memory to write the n values into; `set_null(i)` then
//   marks slots null (allocating the validity bitmap on first use).
// Memory is 64-byte aligned and uninitialized until written. Not thread-safe.
#include <cassert>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include <baton/buffer.h>
#include <baton/column.h>
#include <baton/data_type.h>

namespace baton {

// Validity bitmap under construction: all-valid until the first null.
class ValidityBuilder {
 public:
  // Ensures room for n bits (keeps the "all valid" state cheap: no bitmap).
  void reserve(int64_t n) { capacity_hint_ = n; }
  // Appends n valid bits.
  void append_valid(int64_t n) {
    if (!bits_.size()) { length_ += n; return; }
    grow(length_ + n);
    uint8_t* bits = bits_.data();
    int64_t i = length_, end = length_ + n;
    for (; i < end && (i & 7) != 0; ++i) bit_set(bits, i);
    if (end - i >= 8) {  // whole bytes at once
      std::memset(bits + (i >> 3), 0xff, static_cast<size_t>((end - i) >> 3));
      i += (end - i) & ~int64_t{7};
    }
    for (; i < end; ++i) bit_set(bits, i);
    length_ += n;
  }
  void append_null() {
    materialize();
    grow(length_ + 1);
    bit_clear(bits_.data(), length_);
    ++length_;
    ++null_count_;
  }
  // Marks an already-appended slot null (must have been valid).
  void set_null(int64_t i) {
    assert(i >= 0 && i < length_);
    materialize();
    if (bit_get(bits_.data(), i)) { bit_clear(bits_.data(), i); ++null_count_; }
  }
  // Raw bitmap of length() bits (allocating it, all valid, if there is none),
  // for decoders that write validity directly; call recount_nulls() after.
  uint8_t* mutable_bits() { materialize(); return bits_.data(); }
  void recount_nulls() { null_count_ = bits_.size() ? length_ - count_set_bits(bits_.data(), 0, length_) : 0; }
  int64_t length() const { return length_; }
  int64_t null_count() const { return null_count_; }
  // Empty when no slot is null.
  Buffer finish();

 private:
  void materialize();
  void grow(int64_t bits);
  MutableBuffer bits_;
  int64_t length_ = 0;
  int64_t null_count_ = 0;
  int64_t capacity_hint_ = 0;
};

template <class T>
struct DefaultDataType;
template <> struct DefaultDataType<int32_t> { static constexpr DataType value = DataType::int32(); };
template <> struct DefaultDataType<int64_t> { static constexpr DataType value = DataType::int64(); };
template <> struct DefaultDataType<double> { static constexpr DataType value = DataType::float64(); };
template <> struct DefaultDataType<bool> { static constexpr DataType value = DataType::boolean(); };

// Fixed-width columns. T is int32_t (int32, date), int64_t (int64, timestamp),
// double (float64) or bool (stored as one uint8_t per value).
template <class T>
class ColumnBuilder {
 public:
  using Storage = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;

  explicit ColumnBuilder(DataType type = DefaultDataType<T>::value) : type_(type) {
    assert(type.byte_width() == sizeof(Storage) && "builder type does not match the data type");
  }
  void reserve(int64_t n) {
    values_.reserve(static_cast<size_t>(n) * sizeof(Storage));
    validity_.reserve(n);
  }
  void append(T v) {
    size_t at = values_.size();
    values_.resize(at + sizeof(Storage));
    Storage s = static_cast<Storage>(v);
    std::memcpy(values_.data() + at, &s, sizeof(Storage));
    validity_.append_valid(1);
  }
  void append_null() {
    size_t at = values_.size();
    values_.resize_zeroed(at + sizeof(Storage));
    validity_.append_null();
  }
  void append_values(const Storage* v, int64_t n) { std::memcpy(extend(n), v, static_cast<size_t>(n) * sizeof(Storage)); }
  // Grows by n valid slots and returns the memory for their values.
  Storage* extend(int64_t n) {
    size_t at = values_.size();
    values_.resize(at + static_cast<size_t>(n) * sizeof(Storage));
    validity_.append_valid(n);
    return reinterpret_cast<Storage*>(values_.data() + at);
  }
  void set_null(int64_t i) { validity_.set_null(i); }
  Storage* mutable_values() { return reinterpret_cast<Storage*>(values_.data()); }
  ValidityBuilder& validity() { return validity_; }
  int64_t length() const { return validity_.length(); }
  Column finish() {
    int64_t n = length(), nulls = validity_.null_count();
    return Column::from_buffers(type_, n, validity_.finish(), values_.finish(), nulls);
  }

 private:
  DataType type_;
  MutableBuffer values_;
  ValidityBuilder validity_;
};

// UTF-8 string columns.
class StringColumnBuilder {
 public:
  StringColumnBuilder() { offsets_.resize(sizeof(int64_t)); offsets_.as<int64_t>()[0] = 0; }
  void reserve(int64_t n, int64_t data_bytes = 0) {
    offsets_.reserve(static_cast<size_t>(n + 1) * sizeof(int64_t));
    if (data_bytes > 0) data_.reserve(static_cast<size_t>(data_bytes));
    validity_.reserve(n);
  }
  void append(std::string_view s) {
    size_t at = data_.size();
    data_.resize(at + s.size());
    if (!s.empty()) std::memcpy(data_.data() + at, s.data(), s.size());
    push_offset();
    validity_.append_valid(1);
  }
  void append_null() { push_offset(); validity_.append_null(); }
  // Bulk: grows the data by `bytes` and returns where to write them; then call
  // append_offsets for the strings those bytes hold.
  char* extend_data(int64_t bytes) {
    size_t at = data_.size();
    data_.resize(at + static_cast<size_t>(bytes));
    return reinterpret_cast<char*>(data_.data() + at);
  }
  // Appends n valid strings whose ends (absolute offsets into the data so far,
  // non-decreasing) are given; returns the offsets written.
  int64_t* extend_offsets(int64_t n) {
    size_t at = offsets_.size();
    offsets_.resize(at + static_cast<size_t>(n) * sizeof(int64_t));
    validity_.append_valid(n);
    return reinterpret_cast<int64_t*>(offsets_.data() + at);
  }
  void set_null(int64_t i) { validity_.set_null(i); }
  int64_t data_size() const { return static_cast<int64_t>(data_.size()); }
  int64_t length() const { return validity_.length(); }
  ValidityBuilder& validity() { return validity_; }
  Column finish() {
    int64_t n = length(), nulls = validity_.null_count();
    return Column::from_string_buffers(n, validity_.finish(), offsets_.finish(), data_.finish(), nulls);
  }

 private:
  void push_offset() {
    size_t at = offsets_.size();
    offsets_.resize(at + sizeof(int64_t));
    int64_t end = static_cast<int64_t>(data_.size());
    std::memcpy(offsets_.data() + at, &end, sizeof end);
  }
  MutableBuffer offsets_, data_;
  ValidityBuilder validity_;
};

}  // namespace baton

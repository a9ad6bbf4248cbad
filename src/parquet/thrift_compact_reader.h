#pragma once
// A decoder for the Thrift compact protocol, just enough for Parquet's footer and
// page headers. It reads from a borrowed byte range and never reads outside it:
// every length, count and varint is checked against the bytes that remain, and
// skipping unknown values is bounded by a nesting depth. Errors throw
// ThriftError with the offset (relative to the start of the range) at fault;
// the Parquet reader turns them into messages that name the file.
#include <baton/error.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace baton::parquet_detail {

class ThriftError : public Error {
 public:
  using Error::Error;
};

// Compact-protocol type ids (as they appear in field headers and containers).
enum class ThriftType : uint8_t {
  kStop = 0,
  kTrue = 1,
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

struct ThriftFieldHeader {
  int16_t id = 0;
  ThriftType type = ThriftType::kStop;  // kStop ends the struct
};

struct ThriftListHeader {
  ThriftType element_type = ThriftType::kStop;
  uint32_t size = 0;
};

class ThriftCompactReader {
 public:
  // Nesting deeper than this (structs in lists in structs...) is refused: real
  // Parquet metadata nests about 5 levels; the limit stops stack exhaustion on
  // crafted input.
  static constexpr int kMaxDepth = 64;

  ThriftCompactReader(const uint8_t* data, size_t size) : begin_(data), p_(data), end_(data + size) {}

  size_t position() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  // Struct traversal. Each struct being read keeps its own "last field id"
  // (the compact protocol encodes ids as deltas); the caller passes it in.
  ThriftFieldHeader read_field_header(int16_t& last_id);
  // A boolean field's value lives in its header's type.
  static bool field_bool(ThriftType t) { return t == ThriftType::kTrue; }

  int8_t read_byte();
  int16_t read_i16();
  int32_t read_i32();
  int64_t read_i64();
  double read_double();
  std::string_view read_binary();
  std::string read_string() { return std::string(read_binary()); }
  bool read_container_bool();  // a bool element of a list/set: one byte
  ThriftListHeader read_list_header();  // also used for sets

  // Skip one value of the given type (as found in a field header). Handles every
  // type including nested containers.
  void skip(ThriftType type) { skip_value(type, false, depth_); }
  // Skip one element of a list/set/map of the given element type.
  void skip_element(ThriftType type) { skip_value(type, true, depth_); }
  // Skip the rest of a struct whose header has been read (after an unknown
  // field, or to bail out): reads fields until STOP.
  void skip_struct_body() { skip_struct_body_at(depth_); }

  // Structure nesting guard for the typed parsers (FileMetaData → RowGroup → ...).
  void enter() {
    if (++depth_ > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth));
  }
  void leave() { --depth_; }

  [[noreturn]] void fail(const std::string& what) const;

 private:
  uint64_t read_varint();
  void skip_value(ThriftType type, bool in_container, int depth);
  void skip_struct_body_at(int depth);
  static bool valid_type(uint8_t t) { return t <= 12; }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  int depth_ = 0;
};

}  // namespace baton::parquet_detail

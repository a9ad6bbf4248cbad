#pragma once
// A Thrift compact-protocol encoder, just enough to write Parquet metadata
// (FileMetaData, PageHeader). Fields are written in the order the caller gives;
// ids are delta-encoded against the previous field of the same struct, with
// the long form when the delta does not fit in 1..15. Not thread-safe.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace baton::parquet_detail {

class ThriftCompactWriter {
 public:
  enum class Type : uint8_t {
    Stop = 0, True = 1, False = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Set = 10,
    Map = 11, Struct = 12
  };

  explicit ThriftCompactWriter(std::string* out) : out_(out) {}

  void field_bool(int16_t id, bool v) { field_header(id, v ? Type::True : Type::False); }
  void field_i16(int16_t id, int16_t v) { field_header(id, Type::I16); varint(zigzag(v)); }
  void field_i32(int16_t id, int32_t v) { field_header(id, Type::I32); varint(zigzag(v)); }
  void field_i64(int16_t id, int64_t v) { field_header(id, Type::I64); varint(zigzag(v)); }
  void field_binary(int16_t id, std::string_view v) { field_header(id, Type::Binary); binary(v); }
  // Opens a nested struct field; close it with end_struct().
  void begin_struct(int16_t id) { field_header(id, Type::Struct); push(); }
  // Opens a list field of `size` elements of `elem` type; then write the
  // elements with the elem_* calls (structs: begin_struct_elem/end_struct).
  void begin_list(int16_t id, Type elem, int32_t size);
  void elem_i32(int32_t v) { varint(zigzag(v)); }
  void elem_i64(int64_t v) { varint(zigzag(v)); }
  void elem_binary(std::string_view v) { binary(v); }
  void begin_struct_elem() { push(); }
  // Writes STOP and returns to the enclosing struct.
  void end_struct();

 private:
  static uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void binary(std::string_view v) {
    varint(v.size());
    out_->append(v);
  }
  void field_header(int16_t id, Type t);
  void push() {
    stack_.push_back(last_id_);
    last_id_ = 0;
  }

  std::string* out_;
  int16_t last_id_ = 0;
  std::vector<int16_t> stack_;
};

}  // namespace baton::parquet_detail

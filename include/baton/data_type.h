#pragma once
// The logical types a Table column can hold, and how each is stored:
//   int32, int64, float64      native little-endian values
//   bool                       one byte per value (0 or 1), so kernels vectorize
//   string                     UTF-8; int64 offsets (length + 1) into a data buffer
//   timestamp                  int64 microseconds since the Unix epoch; `utc` says
//                              whether the instant is UTC-adjusted (Parquet's
//                              isAdjustedToUTC) or a local wall-clock time
//   date                       int32 days since 1970-01-01
#include <cstddef>
#include <cstdint>
#include <string>

namespace baton {

enum class TypeId : uint8_t { Int32 = 0, Int64 = 1, Float64 = 2, Bool = 3, String = 4, Timestamp = 5, Date = 6 };

struct DataType {
  TypeId id = TypeId::Int64;
  bool utc = false;  // timestamps only; false for every other type

  static constexpr DataType int32() { return {TypeId::Int32, false}; }
  static constexpr DataType int64() { return {TypeId::Int64, false}; }
  static constexpr DataType float64() { return {TypeId::Float64, false}; }
  static constexpr DataType boolean() { return {TypeId::Bool, false}; }
  static constexpr DataType string() { return {TypeId::String, false}; }
  static constexpr DataType timestamp(bool utc = false) { return {TypeId::Timestamp, utc}; }
  static constexpr DataType date() { return {TypeId::Date, false}; }

  // Bytes per value in the values buffer (strings: 0, they use offsets + data).
  constexpr size_t byte_width() const {
    switch (id) {
      case TypeId::Int32: case TypeId::Date: return 4;
      case TypeId::Int64: case TypeId::Float64: case TypeId::Timestamp: return 8;
      case TypeId::Bool: return 1;
      case TypeId::String: return 0;
    }
    return 0;
  }
  constexpr bool is_numeric() const {
    return id == TypeId::Int32 || id == TypeId::Int64 || id == TypeId::Float64;
  }
  constexpr bool is_integer() const { return id == TypeId::Int32 || id == TypeId::Int64; }
  // "int32", "int64", "float64", "bool", "string", "timestamp[us]",
  // "timestamp[us, UTC]", "date32[day]".
  std::string to_string() const;

  friend constexpr bool operator==(const DataType& a, const DataType& b) {
    return a.id == b.id && a.utc == b.utc;
  }
};

}  // namespace baton

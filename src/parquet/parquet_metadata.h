#pragma once
// Internal to the Parquet reader: parsing the footer and page headers, and the
// mapping from Parquet column types to Table types.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <baton/parquet/reader.h>
#include "parquet/thrift_compact_reader.h"

namespace baton::parquet_detail {

// How a leaf column's physical values become Table values.
enum class ValueKind : uint8_t {
  Bool,
  Int32,             // int32 -> int32 (and INT_8/16, UINT_8/16)
  UInt32,            // int32 bits as unsigned -> int64
  Int64,             // int64 -> int64
  UInt64,            // int64 bits as unsigned -> int64 (error above INT64_MAX)
  Date,              // int32 days
  TimestampMillis,   // int64 -> µs
  TimestampMicros,   // int64 as is
  TimestampNanos,    // int64 -> µs (floor)
  Int96Timestamp,    // 12 bytes: nanos of day (8) + Julian day (4) -> µs
  TimeMillis,        // int32 ms -> int64 µs
  TimeNanos,         // int64 ns -> int64 µs
  Float,             // float -> float64
  Double,
  Float16,           // FIXED(2) half -> float64
  DecimalInt32,      // -> float64
  DecimalInt64,
  DecimalBytes,      // big-endian two's complement (BYTE_ARRAY or FIXED) -> float64
  String,            // BYTE_ARRAY -> string
  FixedString,       // FIXED_LEN_BYTE_ARRAY -> string
};

struct ColumnMapping {
  ValueKind kind = ValueKind::Int64;
  DataType type;
  std::string logical;      // description for people
  std::string unsupported;  // non-empty: why the column cannot be read
};

ColumnMapping map_column(const ParquetSchemaElement& e);

// Parses the footer of a whole file held in memory. Throws ParquetError naming
// `name`.
ParquetMetadata parse_file_metadata(const uint8_t* file, size_t size, const std::string& name);

struct DataPageHeaderV1 {
  int32_t num_values = 0;
  int32_t encoding = 0;
  int32_t definition_level_encoding = 3;
  int32_t repetition_level_encoding = 3;
};
struct DataPageHeaderV2 {
  int32_t num_values = 0;
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  int32_t encoding = 0;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;
};
struct DictionaryPageHeader {
  int32_t num_values = 0;
  int32_t encoding = 0;
};

struct PageHeader {
  int32_t type = -1;  // 0 DATA_PAGE, 1 INDEX_PAGE, 2 DICTIONARY_PAGE, 3 DATA_PAGE_V2
  int32_t uncompressed_page_size = -1;
  int32_t compressed_page_size = -1;
  std::optional<uint32_t> crc;  // CRC-32 (zlib's) of the page's compressed bytes, when the writer stored one
  std::optional<DataPageHeaderV1> v1;
  std::optional<DataPageHeaderV2> v2;
  std::optional<DictionaryPageHeader> dictionary;
};

// Parses one page header; throws ThriftError on malformed data.
PageHeader parse_page_header(ThriftCompactReader& r);

}  // namespace baton::parquet_detail

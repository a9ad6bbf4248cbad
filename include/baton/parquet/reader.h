#pragma once
// Reading Parquet files into Tables, and reading their metadata.
//
// Scope: flat schemas (every leaf column a child of the root); nested columns
// (lists, maps, structs) are refused with an error naming the column, unless
// ReadOptions::columns leaves them out. Physical types, encodings and codecs:
// BOOLEAN, INT32, INT64, INT96, FLOAT, DOUBLE, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY;
// PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY (with fallback to PLAIN mid-chunk),
// RLE (booleans, levels), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
// DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT; data pages v1 and v2; UNCOMPRESSED,
// SNAPPY, GZIP, ZSTD, LZ4_RAW and the deprecated LZ4 (Hadoop framing or a bare
// block). Anything else is refused with an error naming it (BROTLI, LZO,
// encryption, external column chunks, ...).
//
// How Parquet types become Table types:
//   BOOLEAN                                   -> bool
//   INT32 (plain, INT_8/16/32, UINT_8/16)     -> int32
//   INT32 UINT_32 / INTEGER(32, unsigned)     -> int64 (so every value fits)
//   INT64 (plain, INT_64, TIME_*)             -> int64 (TIME as microseconds since midnight)
//   INT64 UINT_64 / INTEGER(64, unsigned)     -> int64; a value above INT64_MAX is an error
//   INT32 DATE                                -> date
//   INT64 TIMESTAMP(MILLIS|MICROS|NANOS)      -> timestamp (µs; NANOS rounded toward -inf),
//                                                utc = isAdjustedToUTC (converted-type only: UTC)
//   INT96                                     -> timestamp (µs, utc = false; Impala/Spark layout)
//   FLOAT, DOUBLE, FLOAT16                    -> float64
//   DECIMAL (INT32, INT64, FIXED, BYTE_ARRAY) -> float64 (unscaled / 10^scale)
//   BYTE_ARRAY (STRING/UTF8/ENUM/JSON/none)   -> string (bytes kept as they are)
//   FIXED_LEN_BYTE_ARRAY (other)              -> string (the raw bytes)
//   INTERVAL, BSON, VARIANT, GEOMETRY, ...    -> refused, naming the column and type
//
// Errors: read_parquet throws ParquetError whose message names the file and
// what is wrong (offset, column, row group); try_read_parquet returns it as a
// Status instead. No input, however malformed, crashes or hangs the reader.
// Thread safety: the functions are reentrant; ReadOptions::parallel_for may run
// row groups on other threads.
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <baton/data_type.h>
#include <baton/error.h>
#include <baton/table.h>

namespace baton {

template <class T>
class Result;  // src/util/status.h

// Every reader error: the message names the file and what is wrong.
class ParquetError : public Error {
 public:
  using Error::Error;
};

// ---- metadata -------------------------------------------------------------

enum class ParquetPhysicalType : int8_t {
  Boolean = 0, Int32 = 1, Int64 = 2, Int96 = 3, Float = 4, Double = 5, ByteArray = 6, FixedLenByteArray = 7
};
enum class ParquetRepetition : int8_t { Required = 0, Optional = 1, Repeated = 2 };

// Names as the format spells them ("INT64", "OPTIONAL", "RLE_DICTIONARY",
// "SNAPPY", "TIMESTAMP_MICROS"); unknown values print as "UNKNOWN(<n>)".
std::string to_string(ParquetPhysicalType t);
std::string to_string(ParquetRepetition r);
std::string parquet_encoding_name(int32_t encoding);
std::string parquet_codec_name(int32_t codec);
std::string parquet_converted_type_name(int32_t converted_type);

// The LogicalType union of parquet.thrift, flattened.
struct ParquetLogicalType {
  enum class Kind : int8_t {
    None, String, Map, List, Enum, Decimal, Date, Time, Timestamp, Integer, Unknown, Json, Bson, Uuid,
    Float16, Variant, Geometry, Geography, Unrecognized
  };
  enum class Unit : int8_t { Millis, Micros, Nanos };
  Kind kind = Kind::None;
  int32_t scale = 0, precision = 0;   // Decimal
  bool adjusted_to_utc = false;       // Time, Timestamp
  Unit unit = Unit::Micros;           // Time, Timestamp
  int8_t bit_width = 0;               // Integer
  bool is_signed = true;              // Integer
  int16_t union_field = 0;            // the thrift field id (for Unrecognized)
  // "TIMESTAMP(isAdjustedToUTC=false, unit=MICROS)", "STRING", "" for None.
  std::string to_string() const;
};

struct ParquetSchemaElement {
  std::string name;
  std::optional<ParquetPhysicalType> type;  // absent for groups
  int32_t type_length = 0;
  std::optional<ParquetRepetition> repetition;
  int32_t num_children = 0;
  std::optional<int32_t> converted_type;
  int32_t scale = 0, precision = 0;
  std::optional<int32_t> field_id;
  ParquetLogicalType logical_type;
};

struct ParquetStatistics {
  // Raw PLAIN-encoded bounds (strings: the bytes). Taken from min_value /
  // max_value when present; else from the legacy min / max, flagged below
  // (their order is undefined for some types, so pruning ignores them then).
  std::optional<std::string> min, max;
  bool legacy_min_max = false;
  std::optional<int64_t> null_count, distinct_count, nan_count;
};

struct ParquetColumnChunkInfo {
  std::string path;  // path_in_schema joined with '.'
  ParquetPhysicalType type = ParquetPhysicalType::Int32;
  std::vector<int32_t> encodings;  // as listed by the writer (see parquet_encoding_name)
  int32_t codec = 0;               // see parquet_codec_name
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;  // both include page headers
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  std::optional<ParquetStatistics> statistics;
};

struct ParquetRowGroupInfo {
  int64_t num_rows = 0;
  int64_t total_byte_size = 0;
  std::vector<ParquetColumnChunkInfo> columns;  // one per leaf, schema order
};

// A leaf column as baton reads it.
struct ParquetColumnInfo {
  std::string name;  // dotted path for nested leaves
  int32_t schema_index = 0;  // into ParquetMetadata::schema
  ParquetPhysicalType physical_type = ParquetPhysicalType::Int32;
  int32_t type_length = 0;
  ParquetRepetition repetition = ParquetRepetition::Optional;
  std::string logical;  // logical or converted type in words, "" when none
  DataType table_type;  // what read_parquet makes of it (when supported)
  // Empty when baton can read this column; otherwise why not, e.g.
  // "nested LIST column" or "INTERVAL type is not supported".
  std::string unsupported;
};

struct ParquetMetadata {
  std::string path;
  int32_t version = 0;
  int64_t num_rows = 0;
  std::string created_by;
  std::vector<std::pair<std::string, std::optional<std::string>>> key_value_metadata;
  std::vector<ParquetSchemaElement> schema;  // depth-first, root first
  std::vector<ParquetColumnInfo> columns;    // the leaves, in schema order
  std::vector<ParquetRowGroupInfo> row_groups;
  int64_t file_size = 0;
  int64_t footer_size = 0;

  // Human text for a statistics bound of leaf column `column` (numbers,
  // ISO-8601 timestamps and dates, quoted strings; hex for undecodable bytes).
  std::string format_statistic(size_t column, const std::string& raw) const;
};

// Reads only the footer. Throws ParquetError.
ParquetMetadata read_parquet_metadata(const std::string& path);
Result<ParquetMetadata> try_read_parquet_metadata(const std::string& path);

// ---- reading data ---------------------------------------------------------

// A condition on one column used to skip row groups whose min/max statistics
// prove that no row can satisfy it. Pruning is conservative: row groups without
// usable statistics are read, and rows of the row groups that are read are NOT
// filtered (apply a compute filter for that). Several predicates are ANDed.
struct ParquetPredicate {
  enum class Op : int8_t { Eq, Ne, Lt, Le, Gt, Ge, IsNull, IsNotNull };
  // int64 for integer, timestamp (µs) and date (days) columns; double for
  // float64 columns (integers also accepted); string for string columns; bool.
  using Value = std::variant<std::monostate, int64_t, double, std::string, bool>;
  std::string column;
  Op op = Op::Eq;
  Value value;
};

struct ParquetReadOptions {
  // The columns to read, in the output order; empty reads every column.
  std::vector<std::string> columns;
  // The row groups to read (indices into the file's row groups, in file order
  // in the output); nullopt reads all of them.
  std::optional<std::vector<size_t>> row_groups;
  // Row groups that cannot match all of these are skipped.
  std::vector<ParquetPredicate> predicates;
  // Runs every task of the vector, possibly in parallel, and returns when all
  // have finished (exceptions are caught by the tasks themselves). Unset: the
  // row groups are decoded one after the other on the calling thread. The
  // table layer knows nothing of the engine: pass e.g. a thread pool's
  // parallel-for here.
  std::function<void(std::vector<std::function<void()>>&)> parallel_for;
  // Refuse files whose decoded columns would need more bytes than this (from
  // the row counts in the footer); 0 means the machine's physical memory.
  // Guards against corrupt row counts causing huge allocations.
  uint64_t memory_limit = 0;
};

// Reads the file (memory-mapped) into a Table. Throws ParquetError. Every
// selected column is decoded into one buffer sized from the footer's row
// counts; the Table owns its buffers (page data always needs decompression or
// level/dictionary expansion in practice), so the mapping is released on return.
Table read_parquet(const std::string& path, const ParquetReadOptions& options = {});
// The same, returning the error instead of throwing.
Result<Table> try_read_parquet(const std::string& path, const ParquetReadOptions& options = {});
// Reads from bytes already in memory; `name` is used in error messages.
Table read_parquet_buffer(const Buffer& bytes, const std::string& name, const ParquetReadOptions& options = {});
ParquetMetadata read_parquet_metadata_buffer(const Buffer& bytes, const std::string& name);

}  // namespace baton

#pragma once
// Writing Tables as Parquet files that DuckDB, pyarrow and arrow-rs read.
//
// What is written: format version 1 metadata; every column OPTIONAL; data
// pages v1 with RLE definition levels (4-byte length prefix); values PLAIN, or
// RLE_DICTIONARY indices after a PLAIN dictionary page when the dictionary
// pays (fewer bytes than PLAIN, at most `dictionary_page_limit` bytes);
// statistics per column chunk (null_count, min_value/max_value, plus the
// legacy min/max for numbers). Types:
//   int32 -> INT32; int64 -> INT64; float64 -> DOUBLE; bool -> BOOLEAN;
//   string -> BYTE_ARRAY + STRING/UTF8;
//   timestamp -> INT64 + TIMESTAMP(isAdjustedToUTC = utc, MICROS) + TIMESTAMP_MICROS;
//   date -> INT32 + DATE/DATE.
// created_by is "baton version <x.y.z> (build baton)".
//
// Errors: write_parquet throws ParquetError naming the path and the failing
// step. The file appears whole or not at all: bytes go to "<path>.tmp-<pid>",
// which is fsynced and renamed over `path`; on error it is removed.
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <baton/parquet/reader.h>  // ParquetError
#include <baton/table.h>

namespace baton {

enum class ParquetCompression : uint8_t { Uncompressed, Snappy, Zstd };

struct ParquetWriteOptions {
  ParquetCompression compression = ParquetCompression::Snappy;
  int zstd_level = 3;
  // Rows per row group (the last one may be shorter).
  int64_t row_group_rows = 1 << 20;
  // A data page ends at whichever limit it reaches first: about `page_bytes`
  // of uncompressed values, or `page_rows` rows.
  int64_t page_bytes = 1 << 20;
  int64_t page_rows = 20000;
  // Dictionary-encode a column chunk when that is smaller than PLAIN and the
  // dictionary stays within `dictionary_page_limit` bytes.
  bool dictionary = true;
  int64_t dictionary_page_limit = 1 << 20;
  bool statistics = true;
  // Extra key/value pairs for the file footer.
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
  // Optional parallel-for: runs every task in the vector and returns when all
  // are done (e.g. on the engine's thread pool). Column chunks of a row group
  // are encoded as separate tasks. Default: serial.
  std::function<void(std::vector<std::function<void()>>&)> parallel_for;
};

void write_parquet(const Table& table, const std::string& path, const ParquetWriteOptions& options = {});

// Writes a file batch by batch, for tables larger than memory. Every batch
// must have the names and types of the first; each batch becomes one or more
// row groups (split at options.row_group_rows). The file appears at `path`
// only when close() succeeds; a writer destroyed without close() (or after an
// error) removes its temporary file. Not thread-safe.
class ParquetFileWriter {
 public:
  // Throws ParquetError if the temporary file cannot be created.
  explicit ParquetFileWriter(std::string path, ParquetWriteOptions options = {});
  ~ParquetFileWriter();
  ParquetFileWriter(const ParquetFileWriter&) = delete;
  ParquetFileWriter& operator=(const ParquetFileWriter&) = delete;

  void write(const Table& batch);
  // Writes the footer, fsyncs and renames into place.
  void close();
  int64_t rows_written() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};
// The same bytes to a stream (no atomic rename); throws ParquetError with
// `name` in the message if the stream fails.
void write_parquet(const Table& table, std::ostream& out, const std::string& name,
                   const ParquetWriteOptions& options = {});

}  // namespace baton

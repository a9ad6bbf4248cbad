#pragma once
// Internal pieces of the Parquet writer that tests and the taxi generator use
// directly: in-memory writing, and (from encodings.h) the RLE/bit-packed hybrid
// encoder.
#include <cstdint>
#include <string>
#include <vector>

#include <baton/parquet/writer.h>

#include "parquet/encodings.h"

namespace baton::parquet_detail {

// The whole file in memory.
std::string write_parquet_to_string(const Table& table, const ParquetWriteOptions& options = {});

}  // namespace baton::parquet_detail

#pragma once
// Internal pieces of the Parquet writer that tests and the taxi generator use
// directly: the RLE/bit-packed hybrid encoder and in-memory writing.
#include <cstdint>
#include <string>
#include <vector>

#include <baton/parquet/writer.h>

namespace baton::parquet_detail {

// Appends values[0..n) as RLE/bit-packed hybrid runs of `bit_width` bits (no
// length prefix). A final bit-packed group is padded with zeros.
void encode_hybrid(const uint32_t* values, int64_t n, int bit_width, std::string& out);

// Number of bits needed for values up to max_value (0 for 0).
int bit_width_for(uint64_t max_value);

// The whole file in memory.
std::string write_parquet_to_string(const Table& table, const ParquetWriteOptions& options = {});

}  // namespace baton::parquet_detail

#pragma once
// The columnar file format for a whole Table: what the results layer persists
// a Table as, and reads back zero-copy from a memory-mapped file.
//
// Layout (little-endian):
//   "BATONTB1"
//   the buffers of every column, each starting at a 64-byte aligned offset
//   the footer: per column its name, type, length, null count, fingerprint
//     and, for each of its four buffers (validity, values, offsets, data), the
//     offset, size and XXH3-64 of the bytes; then the table's fingerprint
//   u64 footer size | u64 XXH3-64 of the footer | "BATONTB1"
// Slices are written compacted (offset 0), so a file never holds more than the
// table's own rows. Read columns point into the mapping: nothing is copied,
// and the fingerprints stored in the footer are restored (not recomputed).
//
// Errors are returned, never thrown; messages name the file and the offset or
// column at fault. A truncated or corrupt file (bad magic, sizes out of range,
// checksum mismatch) is an error, never a crash.
#include <ostream>
#include <string>

#include <baton/table.h>
#include "util/status.h"

namespace baton {

struct TableFileReadOptions {
  // Check every buffer's XXH3 checksum (touches all the bytes once; about
  // memory speed). Off: only the footer is checked, pages load on first use.
  bool verify_checksums = true;
};

// Writes to "<path>.tmp-<pid>", fsyncs and renames over `path`.
Status write_table_file(const Table& table, const std::string& path);
// Writes the same bytes to a stream; `name` is used in error messages.
Status write_table(const Table& table, std::ostream& out, const std::string& name);

// Maps `path` and returns a Table whose buffers live in the mapping.
Result<Table> read_table_file(const std::string& path, const TableFileReadOptions& options = {});
// Reads from bytes already in memory (zero-copy: the Table keeps `bytes` alive).
Result<Table> read_table_buffer(const Buffer& bytes, const std::string& name, const TableFileReadOptions& options = {});

}  // namespace baton

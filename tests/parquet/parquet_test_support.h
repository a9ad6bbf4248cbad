#pragma once
// Support for the Parquet reader tests: where the corpus and tools are, DuckDB
// reference dumps (through node), fixtures written by other writers, and the
// comparison of a Table with a dump.
#include <baton/parquet/reader.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace baton::test {

std::filesystem::path corpus_dir();   // parquet-testing/
std::filesystem::path tools_dir();    // <source>/tools
std::filesystem::path scratch_dir();  // per-build temporary directory

// node and tools/node_modules present (DuckDB & co. can run).
bool have_node_tools();

struct DumpColumn {
  std::string name, type;
  std::vector<std::optional<std::string>> values;
};
using Dump = std::vector<DumpColumn>;

// DuckDB's reading of `file` (cached under scratch_dir()). nullopt when DuckDB
// cannot read it (*error gets its message) or node is missing.
std::optional<Dump> duckdb_dump(const std::filesystem::path& file, std::string* error = nullptr);
// Dumps many files with one node process (fills the cache).
void duckdb_dump_all(const std::vector<std::filesystem::path>& files);

// The fixtures of tools/parquet_fixtures.mjs, generated once per build dir
// (inter-process lock); empty when node is missing.
std::vector<std::filesystem::path> writer_fixtures();

// "" when equal, else a description of the first difference.
std::string compare_with_dump(const Table& t, const Dump& d);

std::string hex_upper(std::string_view bytes);
std::string read_file(const std::filesystem::path& p);

}  // namespace baton::test

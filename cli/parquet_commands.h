#pragma once
// `baton parquet ...`: look inside Parquet files.
//   baton parquet schema FILE                  columns, physical/logical types, baton types
//   baton parquet meta FILE                    row groups, column chunks, encodings, codecs, sizes, statistics
//   baton parquet head FILE [-n N] [--columns a,b]   the first rows as a table
//   baton parquet cat FILE --csv               every row as CSV
// Errors (missing or malformed file, unknown column) print "baton: error: ..."
// naming the file on stderr and exit with status 1.
namespace CLI {
class App;
}

namespace baton::cli {
void add_parquet_commands(CLI::App& app);
}  // namespace baton::cli

#pragma once
// `baton taxi generate --rows N --out FILE [--seed S] [--month YYYY-MM]`:
// writes a deterministic synthetic month of yellow-taxi trips (the real 2024
// schema) as snappy Parquet. Errors print "baton: error: ..." and exit 1.
namespace CLI {
class App;
}

namespace baton::cli {
void add_taxi_commands(CLI::App& app);
}  // namespace baton::cli

// A `baton` with only the parquet and taxi command groups (from baton_cli_lib).
// The real binary registers the same add_* functions.
// GCC 12 reports a false null dereference in CLI11's inlined parsing code.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>

#include "parquet_commands.h"
#include "taxi_commands.h"

int main(int argc, char** argv) {
  CLI::App app("baton (table commands)", "baton");
  app.require_subcommand(1);
  baton::cli::add_parquet_commands(app);
  baton::cli::add_taxi_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}

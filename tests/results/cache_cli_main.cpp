// A `baton` with just the cache command group (from baton_cli_lib), so its tests
// run the real parsing and output.
#include "cache_commands.h"

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app("baton", "baton");
  app.require_subcommand(1);
  baton::add_cache_commands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}

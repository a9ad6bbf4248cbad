#include "taxi_commands.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "taxi/taxi.h"

namespace baton::cli {

void add_taxi_commands(CLI::App& app) {
  CLI::App* taxi = app.add_subcommand("taxi", "Synthetic NYC yellow-taxi data");
  taxi->require_subcommand(1);
  struct Args {
    int64_t rows = 0;
    std::string out, month = "2024-01";
    uint64_t seed = 42;
  };
  auto a = std::make_shared<Args>();
  CLI::App* gen = taxi->add_subcommand("generate", "Write a deterministic synthetic month as Parquet (2024 schema)");
  gen->add_option("--rows", a->rows, "Number of trips (a real month has about 3,000,000)")->required()->check(CLI::NonNegativeNumber);
  gen->add_option("--out", a->out, "Output Parquet file")->required();
  gen->add_option("--seed", a->seed, "Random seed (default 42)");
  gen->add_option("--month", a->month, "Month as YYYY-MM (default 2024-01)");
  gen->callback([a] {
    try {
      auto t0 = std::chrono::steady_clock::now();
      baton::taxi::generate(a->rows, a->seed, a->out, a->month);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cout << "wrote " << a->rows << " trips for " << a->month << " to " << a->out << " ("
                << std::filesystem::file_size(a->out) << " bytes) in " << s << " s\n";
    } catch (const std::exception& e) {
      std::cerr << "baton: error: " << e.what() << "\n";
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace baton::cli

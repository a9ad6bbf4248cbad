#pragma once
// Small helpers shared by the benchmark programs.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace baton::bench {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// BATON_BENCH_QUICK=1: fewer iterations and smaller inputs, for scripts/bench-compare.sh
// and the ctest smoke run; the figures are noisier but keep their names and units.
inline bool quick() {
  const char* v = std::getenv("BATON_BENCH_QUICK");
  return v != nullptr && v[0] != '\0' && std::string(v) != "0";
}

// `full`, or `small` in quick mode.
template <class T>
T pick(T full, T small) {
  return quick() ? small : full;
}

// The value of `--name N` on the command line, or `fallback`.
inline int int_arg(int argc, char** argv, const std::string& name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

}  // namespace baton::bench

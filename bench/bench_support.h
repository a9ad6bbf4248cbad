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

// The value of `--name N` on the command line, or `fallback`.
inline int int_arg(int argc, char** argv, const std::string& name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

}  // namespace baton::bench

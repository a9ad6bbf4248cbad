// Cache-hit overhead: a task whose result is cached is checked (metadata only) and
// returned lazily, next to the engine's plain task overhead, in the same run.
//
//   bench_cache_hit [--tasks N] [--repeats R]
#include <baton/baton.h>

#include "bench_support.h"
#include "engine/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {



}  // namespace

int main(int argc, char** argv) {
  const int tasks = baton::bench::int_arg(argc, argv, "tasks", baton::bench::pick(5000, 500));
  const int repeats = baton::bench::int_arg(argc, argv, "repeats", baton::bench::pick(5, 3));
  auto home = std::filesystem::current_path() / ("baton-bench-cache-" + std::to_string(getpid()));
  std::filesystem::create_directories(home);
  setenv("BATON_HOME", home.c_str(), 1);
  setenv("BATON_HISTORY", "false", 1);  // measure the cache path, not the run store
  setenv("BATON_LOG_LEVEL", "WARNING", 1);
  baton::engine::reset_runtime_for_testing();

  auto storage = baton::make_local_storage((home / "storage").string());
  auto plain = baton::task("plain", [](int x) { return static_cast<double>(x) * 0.5; });
  auto cached = BATON_TASK("cached", [](int x) { return static_cast<double>(x) * 0.5; })
                    .cache_policy(baton::cache::inputs + baton::cache::task_source)
                    .cache_result_in_memory(false)
                    .result_storage(storage);

  auto run_all = [&](auto& task) {
    auto t0 = std::chrono::steady_clock::now();
    double sum = 0;
    for (int i = 0; i < tasks; ++i) sum += task.return_state(i).state().is_completed();
    auto us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    if (sum != tasks) std::abort();
    return us / tasks;
  };

  double miss = run_all(cached);  // first pass: computes and persists every result
  std::vector<double> hits, plains;
  for (int r = 0; r < repeats; ++r) {
    hits.push_back(run_all(cached));
    plains.push_back(run_all(plain));
  }
  double hit = baton::bench::median(hits), base = baton::bench::median(plains);
  std::printf("cache hit overhead, %d tasks, median of %d runs (direct calls, lazy values)\n", tasks, repeats);
  std::printf("  plain task            %8.2f us\n", base);
  std::printf("  cache miss + persist  %8.2f us (first pass, with fsync)\n", miss);
  std::printf("  cache hit (lazy)      %8.2f us\n", hit);
  std::printf("bench cache_plain_task %.3f us/task\n", base);
  std::printf("bench cache_miss_persist %.3f us/task\n", miss);
  std::printf("bench cache_hit_lazy %.3f us/task\n", hit);
  std::printf("bench cache_hit_over_plain %.2f x\n", hit / base);
  std::filesystem::remove_all(home);
  return 0;
}

// Cache-hit overhead: a task whose result is cached is checked (metadata only) and
// returned lazily, next to the engine's plain task overhead, in the same run.
// Then cache misses with 64 in flight (a flow submitting to a pool of 64 threads):
// each result persisted (group commit) before its task is Completed; per task
// microseconds and fsyncs, next to the same flow without persistence.
//
//   bench_cache_hit [--tasks N] [--repeats R] [--inflight-tasks M]
#include <baton/baton.h>

#include "bench_support.h"
#include "engine/runtime.h"
#include "results/group_commit.h"

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
  // 64 in flight: every run computes a new input (a miss), persisted before Completed.
  const int inflight_tasks = baton::bench::int_arg(argc, argv, "inflight-tasks", baton::bench::pick(2048, 512));
  auto miss64 = BATON_TASK("miss64", [](int x) { return static_cast<double>(x) * 0.5; })
                    .cache_policy(baton::cache::inputs + baton::cache::task_source)
                    .cache_result_in_memory(false)
                    .result_storage(storage);
  auto plain64 = baton::task("plain64", [](int x) { return static_cast<double>(x) * 0.5; });
  int offset = 1'000'000;
  auto run_flow = [&](auto& task) {
    const int first = offset;
    offset += inflight_tasks;
    auto flow = baton::flow("inflight", [&] {
                  std::vector<baton::Future<double>> futures;
                  futures.reserve(static_cast<std::size_t>(inflight_tasks));
                  for (int i = 0; i < inflight_tasks; ++i) futures.push_back(task.submit(first + i));
                  int completed = 0;
                  for (auto& f : futures) {
                    f.wait();
                    if (f.state().is_completed()) {
                      ++completed;
                    } else if (completed == 0) {
                      std::fprintf(stderr, "task failed: %s\n", f.state().message.c_str());
                    }
                  }
                  return completed;
                }).task_runner(baton::thread_pool(64));
    const auto fsyncs = baton::results::local_fsync_count();
    auto t0 = std::chrono::steady_clock::now();
    if (flow() != inflight_tasks) std::abort();
    auto us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    return std::pair{us / inflight_tasks,
                     static_cast<double>(baton::results::local_fsync_count() - fsyncs) / inflight_tasks};
  };
  std::vector<double> miss64_us, miss64_fsyncs, plain64_us;
  for (int r = 0; r < 3; ++r) {
    auto [us, fs] = run_flow(miss64);
    miss64_us.push_back(us);
    miss64_fsyncs.push_back(fs);
    plain64_us.push_back(run_flow(plain64).first);
  }

  double hit = baton::bench::median(hits), base = baton::bench::median(plains);
  std::printf("cache hit overhead, %d tasks, median of %d runs (direct calls, lazy values)\n", tasks, repeats);
  std::printf("  plain task            %8.2f us\n", base);
  std::printf("  cache miss + persist  %8.2f us (first pass, with fsync)\n", miss);
  std::printf("  cache hit (lazy)      %8.2f us\n", hit);
  std::printf("bench cache_plain_task %.3f us/task\n", base);
  std::printf("bench cache_miss_persist %.3f us/task\n", miss);
  std::printf("bench cache_hit_lazy %.3f us/task\n", hit);
  std::printf("bench cache_hit_over_plain %.2f x (target: hit <= 5 us)\n", hit / base);
  std::printf("bench cache_miss_persist_64_inflight %.1f us/task (target <= 100)\n", baton::bench::median(miss64_us));
  std::printf("bench cache_miss_persist_64_inflight_fsyncs %.3f fsyncs/task\n", baton::bench::median(miss64_fsyncs));
  std::printf("bench cache_plain_64_inflight %.1f us/task (the same flow, nothing persisted)\n",
              baton::bench::median(plain64_us));
  std::filesystem::remove_all(home);
  return 0;
}

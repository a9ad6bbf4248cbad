// Orchestration overhead per task: 100,000 trivial submitted tasks (fan-out, then
// gather) and a chain of 10,000 dependent tasks, for baton with run history on and
// off, next to two peers measured in this run: a plain std::thread pool (mutex +
// condition variable queue) that hands back a std::future per task, and oneTBB's
// task_group (when built with TBB).
//
// "History on" is checked, not assumed: after the timed runs the run store must
// hold every flow run with all its task runs Completed, or the program prints
// what is missing and exits non-zero instead of printing figures.
//
// Also reported (untimed runs): heap allocations per task (operator new counted
// in this program) and the process CPU time per task, whose difference between
// history on and off is what the history costs in CPU (writer thread included),
// and the writer thread's own CPU time, so the two sides of the history are seen.
//
//   bench_task_overhead [--tasks N] [--chain N] [--repeats R]
//   BATON_BENCH_QUICK=1: 20,000 tasks, a chain of 2,000, 3 repeats.
#include <baton/baton.h>

#include "bench_support.h"
#include "engine/runtime.h"
#include "store/run_store_reader.h"

#ifdef BATON_BENCH_HAVE_TBB
#include <tbb/global_control.h>
#include <tbb/task_group.h>
#endif

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

// ---- Allocation counting: every operator new of this program, while enabled.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::uint64_t> g_allocations{0};

void* counted_alloc(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using Clock = std::chrono::steady_clock;

// The baseline: what a careful programmer writes in fifty lines.
class PlainPool {
 public:
  explicit PlainPool(int n) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { work(); });
  }
  ~PlainPool() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  template <class F>
  auto submit(F f) -> std::future<decltype(f())> {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
    auto fut = task->get_future();
    {
      std::lock_guard lock(mu_);
      queue_.emplace_back([task] { (*task)(); });
    }
    cv_.notify_one();
    return fut;
  }

 private:
  void work() {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

template <class F>
double time_us(F f) {
  auto t0 = Clock::now();
  f();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

double process_cpu_us() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Allocations and process CPU per task of one untimed call of `f` running `n` tasks.
struct Footprint {
  double allocations = 0;
  double cpu_us = 0;
  double writer_cpu_us = 0;  // of cpu_us: the history writer thread's share
};
template <class F>
Footprint footprint(int n, F f) {
  g_allocations = 0;
  const double cpu0 = process_cpu_us();
  g_counting = true;
  f();
  g_counting = false;
  return {static_cast<double>(g_allocations.load()) / n, (process_cpu_us() - cpu0) / n};
}

// Empty if the store holds `flow_runs` runs of `flow` with `tasks_each` Completed
// task runs each, else what is wrong.
std::string check_history(const std::string& flow, std::size_t flow_runs, std::size_t tasks_each) {
  auto reader = baton::store::RunStoreReader::open();
  if (!reader.ok()) return "cannot open the run store: " + reader.status().message();
  baton::store::FlowRunFilter filter;
  filter.flow_name = flow;
  filter.limit = 0;
  auto runs = (*reader)->list_flow_runs(filter);
  if (!runs.ok()) return runs.status().message();
  if (runs->size() != flow_runs) {
    return "flow '" + flow + "': " + std::to_string(runs->size()) + " flow runs stored, expected " +
           std::to_string(flow_runs);
  }
  for (const auto& fr : *runs) {
    if (fr.state != baton::StateType::Completed) return "flow run " + fr.id.str() + " is not Completed";
    auto tasks = (*reader)->task_runs(fr.id);
    if (!tasks.ok()) return tasks.status().message();
    const auto completed = std::count_if(tasks->begin(), tasks->end(),
                                         [](const auto& t) { return t.state == baton::StateType::Completed; });
    if (tasks->size() != tasks_each || static_cast<std::size_t>(completed) != tasks_each) {
      return "flow run " + fr.id.str() + " of '" + flow + "': " + std::to_string(tasks->size()) +
             " task runs stored, " + std::to_string(completed) + " Completed, expected " + std::to_string(tasks_each);
    }
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  using baton::bench::pick;
  const int tasks = baton::bench::int_arg(argc, argv, "tasks", pick(100000, 20000));
  const int chain = baton::bench::int_arg(argc, argv, "chain", pick(10000, 2000));
  const int repeats = baton::bench::int_arg(argc, argv, "repeats", pick(5, 3));
  const int workers = 2;

  auto home = std::filesystem::temp_directory_path() / ("baton-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(home);
  setenv("BATON_HOME", home.c_str(), 1);
  setenv("BATON_LOG_LEVEL", "WARNING", 1);

  auto noop = baton::task("noop", [](int x) { return x; });
  auto inc = baton::task("inc", [](int x) { return x + 1; });
  auto fan_out = baton::flow("fan-out", [&] {
    std::vector<baton::Future<int>> fs;
    fs.reserve(static_cast<std::size_t>(tasks));
    for (int i = 0; i < tasks; ++i) fs.push_back(noop.submit(i));
    long sum = 0;
    for (auto& f : fs) sum += f.result();
    if (sum < 0) std::abort();
  }).task_runner(baton::thread_pool(workers));
  auto chained = baton::flow("chain", [&] {
    baton::Future<int> f = inc.submit(0);
    for (int i = 1; i < chain; ++i) f = inc.submit(f);
    if (f.result() != chain) std::abort();
  }).task_runner(baton::thread_pool(workers));

  struct BatonFigures {
    double fan = 0, chain = 0;
    Footprint fan_footprint;
  };
  auto measure_baton = [&](bool history) {
    setenv("BATON_HISTORY", history ? "true" : "false", 1);
    baton::engine::reset_runtime_for_testing();
    std::vector<double> fan, ch;
    fan_out();  // warm-up: threads, allocator, database file
    for (int r = 0; r < repeats; ++r) {
      fan.push_back(time_us([&] { fan_out(); }) / tasks);  // includes flushing history
      ch.push_back(time_us([&] { chained(); }) / chain);
    }
    BatonFigures out{baton::bench::median(fan), baton::bench::median(ch), {}};
    const auto writer0 = baton::engine::Runtime::get().history_writer_cpu();
    out.fan_footprint = footprint(tasks, [&] {
      fan_out();
      baton::engine::Runtime::get().flush();  // the writer's share of the work is counted too
    });
    out.fan_footprint.writer_cpu_us =
        static_cast<double>((baton::engine::Runtime::get().history_writer_cpu() - writer0).count()) / tasks;
    return out;
  };

  std::vector<double> plain_fan, plain_chain;
  Footprint plain_footprint;
  {
    PlainPool pool(workers);
    auto fan = [&] {
      std::vector<std::future<int>> fs;
      fs.reserve(static_cast<std::size_t>(tasks));
      for (int i = 0; i < tasks; ++i) fs.push_back(pool.submit([i] { return i; }));
      long sum = 0;
      for (auto& f : fs) sum += f.get();
      if (sum < 0) std::abort();
    };
    for (int r = 0; r < repeats + 1; ++r) {
      double t = time_us(fan);
      if (r > 0) plain_fan.push_back(t / tasks);
      // The chain on a plain pool: each step submitted when the previous is done.
      double c = time_us([&] {
        int v = 0;
        for (int i = 0; i < chain; ++i) v = pool.submit([v] { return v + 1; }).get();
        if (v != chain) std::abort();
      });
      if (r > 0) plain_chain.push_back(c / chain);
    }
    plain_footprint = footprint(tasks, fan);
  }

#ifdef BATON_BENCH_HAVE_TBB
  std::vector<double> tbb_fan, tbb_chain;
  {
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(workers));
    std::vector<int> results(static_cast<std::size_t>(tasks));
    for (int r = 0; r < repeats + 1; ++r) {
      // Fan-out: every task writes its result where the gather reads it after wait().
      double t = time_us([&] {
        tbb::task_group group;
        for (int i = 0; i < tasks; ++i) group.run([&results, i] { results[static_cast<std::size_t>(i)] = i; });
        group.wait();
        long sum = 0;
        for (int v : results) sum += v;
        if (sum < 0) std::abort();
      });
      if (r > 0) tbb_fan.push_back(t / tasks);
      double c = time_us([&] {
        int v = 0;
        tbb::task_group group;
        for (int i = 0; i < chain; ++i) {
          group.run([&v] { v = v + 1; });
          group.wait();
        }
        if (v != chain) std::abort();
      });
      if (r > 0) tbb_chain.push_back(c / chain);
    }
  }
#endif

  const BatonFigures on = measure_baton(true);
  // repeats + warm-up + the footprint run, every one with all its task runs.
  baton::engine::Runtime::get().flush();
  if (std::string bad = check_history("fan-out", static_cast<std::size_t>(repeats) + 2, static_cast<std::size_t>(tasks));
      !bad.empty()) {
    std::fprintf(stderr, "bench_task_overhead: history on did not write the runs: %s\n", bad.c_str());
    return 1;
  }
  if (std::string bad = check_history("chain", static_cast<std::size_t>(repeats), static_cast<std::size_t>(chain));
      !bad.empty()) {
    std::fprintf(stderr, "bench_task_overhead: history on did not write the runs: %s\n", bad.c_str());
    return 1;
  }
  // Said, not only checked: a benchmark once measured history off while saying on.
  std::printf("history on: read back %d fan-out flow runs x %d task runs and %d chain flow runs x %d task runs, "
              "all Completed, from %s\n",
              repeats + 2, tasks, repeats, chain, (home / "baton.db").c_str());
  const BatonFigures off = measure_baton(false);
  const double p_fan = baton::bench::median(plain_fan), p_chain = baton::bench::median(plain_chain);

  std::printf("task overhead, %d workers, median of %d runs (µs per task)\n", workers, repeats);
  std::printf("  %-28s %10s %10s %12s %10s\n", "", "fan-out", "chain", "allocs/task", "cpu us/task");
  std::printf("  %-28s %10.2f %10.2f %12.1f %10.2f\n", "plain pool + std::future", p_fan, p_chain,
              plain_footprint.allocations, plain_footprint.cpu_us);
#ifdef BATON_BENCH_HAVE_TBB
  const double t_fan = baton::bench::median(tbb_fan), t_chain = baton::bench::median(tbb_chain);
  std::printf("  %-28s %10.2f %10.2f\n", "oneTBB task_group", t_fan, t_chain);
#endif
  std::printf("  %-28s %10.2f %10.2f %12.1f %10.2f\n", "baton, history off", off.fan, off.chain,
              off.fan_footprint.allocations, off.fan_footprint.cpu_us);
  std::printf("  %-28s %10.2f %10.2f %12.1f %10.2f\n", "baton, history on (SQLite)", on.fan, on.chain,
              on.fan_footprint.allocations, on.fan_footprint.cpu_us);
  std::printf("bench task_fanout_plain_pool %.3f us/task\n", p_fan);
#ifdef BATON_BENCH_HAVE_TBB
  std::printf("bench task_fanout_tbb_task_group %.3f us/task\n", t_fan);
#else
  std::printf("skipped task_fanout_tbb_task_group: built without oneTBB (apt-get install libtbb-dev)\n");
#endif
  std::printf("bench task_fanout_history_off %.3f us/task\n", off.fan);
  std::printf("bench task_fanout_history_on %.3f us/task (target <= 2)\n", on.fan);
  std::printf("bench task_fanout_history_on_rate %.0f tasks/s\n", 1e6 / on.fan);
  std::printf("bench task_fanout_ratio_off_to_plain %.2f x (target <= 1.5)\n", off.fan / p_fan);
#ifdef BATON_BENCH_HAVE_TBB
  std::printf("bench task_fanout_ratio_off_to_tbb %.2f x\n", off.fan / t_fan);
#endif
  std::printf("bench task_fanout_allocs_plain_pool %.1f allocs/task\n", plain_footprint.allocations);
  std::printf("bench task_fanout_allocs_history_off %.1f allocs/task\n", off.fan_footprint.allocations);
  std::printf("bench task_fanout_allocs_history_on %.1f allocs/task\n", on.fan_footprint.allocations);
  std::printf("bench task_fanout_cpu_history_off %.3f cpu-us/task\n", off.fan_footprint.cpu_us);
  std::printf("bench task_fanout_cpu_history_on %.3f cpu-us/task\n", on.fan_footprint.cpu_us);
  std::printf("bench task_history_cpu_per_task %.3f cpu-us/task (history on minus off, writer included)\n",
              on.fan_footprint.cpu_us - off.fan_footprint.cpu_us);
  std::printf("bench task_history_writer_cpu_per_task %.3f cpu-us/task (the writer thread alone)\n",
              on.fan_footprint.writer_cpu_us);
  std::printf("bench task_history_engine_cpu_per_task %.3f cpu-us/task (history on, all but the writer thread)\n",
              on.fan_footprint.cpu_us - on.fan_footprint.writer_cpu_us);
  std::printf("bench task_chain_plain_pool %.3f us/task\n", p_chain);
#ifdef BATON_BENCH_HAVE_TBB
  std::printf("bench task_chain_tbb_task_group %.3f us/task\n", t_chain);
#endif
  std::printf("bench task_chain_history_off %.3f us/task\n", off.chain);
  std::printf("bench task_chain_history_on %.3f us/task\n", on.chain);
  std::printf("bench task_chain_ratio_off_to_plain %.2f x\n", off.chain / p_chain);
  std::filesystem::remove_all(home);
  return 0;
}

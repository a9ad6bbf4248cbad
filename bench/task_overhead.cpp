// Orchestration overhead per task: 100,000 trivial submitted tasks (fan-out, then
// gather) and a chain of 10,000 dependent tasks, for baton with run history on and
// off, next to a plain std::thread pool (mutex + condition variable queue) that
// hands back a std::future per task, all measured in this run.
//
//   bench_task_overhead [--tasks N] [--chain N] [--repeats R]
#include <baton/baton.h>

#include "bench_support.h"
#include "engine/runtime.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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


}  // namespace

int main(int argc, char** argv) {
  const int tasks = baton::bench::int_arg(argc, argv, "tasks", 100000);
  const int chain = baton::bench::int_arg(argc, argv, "chain", 10000);
  const int repeats = baton::bench::int_arg(argc, argv, "repeats", 5);
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

  auto measure_baton = [&](bool history) {
    setenv("BATON_HISTORY", history ? "true" : "false", 1);
    baton::engine::reset_runtime_for_testing();
    std::vector<double> fan, ch;
    fan_out();  // warm-up: threads, allocator, database file
    for (int r = 0; r < repeats; ++r) {
      fan.push_back(time_us([&] { fan_out(); }) / tasks);  // includes flushing history
      ch.push_back(time_us([&] { chained(); }) / chain);
    }
    return std::make_pair(baton::bench::median(fan), baton::bench::median(ch));
  };

  std::vector<double> plain_fan, plain_chain;
  {
    PlainPool pool(workers);
    for (int r = 0; r < repeats + 1; ++r) {
      double t = time_us([&] {
        std::vector<std::future<int>> fs;
        fs.reserve(static_cast<std::size_t>(tasks));
        for (int i = 0; i < tasks; ++i) fs.push_back(pool.submit([i] { return i; }));
        long sum = 0;
        for (auto& f : fs) sum += f.get();
        if (sum < 0) std::abort();
      });
      if (r > 0) plain_fan.push_back(t / tasks);
      // The chain on a plain pool: each step submitted when the previous is done.
      double c = time_us([&] {
        int v = 0;
        for (int i = 0; i < chain; ++i) v = pool.submit([v] { return v + 1; }).get();
        if (v != chain) std::abort();
      });
      if (r > 0) plain_chain.push_back(c / chain);
    }
  }

  auto [on_fan, on_chain] = measure_baton(true);
  auto [off_fan, off_chain] = measure_baton(false);
  double p_fan = baton::bench::median(plain_fan), p_chain = baton::bench::median(plain_chain);

  std::printf("task overhead, %d workers, median of %d runs (µs per task)\n", workers, repeats);
  std::printf("  %-28s %10s %10s\n", "", "fan-out", "chain");
  std::printf("  %-28s %10.2f %10.2f\n", "plain pool + std::future", p_fan, p_chain);
  std::printf("  %-28s %10.2f %10.2f\n", "baton, history off", off_fan, off_chain);
  std::printf("  %-28s %10.2f %10.2f\n", "baton, history on (SQLite)", on_fan, on_chain);
  std::printf("bench task_fanout_plain_pool %.3f us/task\n", p_fan);
  std::printf("bench task_fanout_history_off %.3f us/task\n", off_fan);
  std::printf("bench task_fanout_history_on %.3f us/task\n", on_fan);
  std::printf("bench task_fanout_history_on_rate %.0f tasks/s\n", 1e6 / on_fan);
  std::printf("bench task_fanout_ratio_off_to_plain %.2f x\n", off_fan / p_fan);
  std::printf("bench task_chain_plain_pool %.3f us/task\n", p_chain);
  std::printf("bench task_chain_history_off %.3f us/task\n", off_chain);
  std::printf("bench task_chain_history_on %.3f us/task\n", on_chain);
  std::printf("bench task_chain_ratio_off_to_plain %.2f x\n", off_chain / p_chain);
  std::filesystem::remove_all(home);
  return 0;
}

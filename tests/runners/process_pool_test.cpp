// The process-pool task runner: task bodies in forked worker processes; crashes
// end one run Crashed, not the flow; history as with the thread pool.
#include "support.h"

#include <baton/error.h>

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <stdexcept>
#include <thread>

namespace baton {
namespace {

using testing::RecordedEvents;
namespace fs = std::filesystem;

// Tasks at namespace scope, as a program defines them.
const auto square = baton::task("square", [](int x) { return x * x; });
const auto worker_pid = baton::task("worker-pid", [](int) { return static_cast<long>(getpid()); });
const auto segfault = baton::task("segfault", [](int x) {
  if (x == 3) {
    raise(SIGSEGV);  // as a bad pointer does (a real one is undefined behaviour, stopped by UBSan)
  }
  return x;
});
const auto aborts = baton::task("aborts", []() -> int { std::abort(); });
const auto throws = baton::task("throws", [](int x) -> int {
  throw std::invalid_argument("bad input " + std::to_string(x));
});
const auto big_vector = baton::task("big-vector", [](int n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0.0);
  return v;
});
const auto total = baton::task("total", [](const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0);
});
const auto chatty = baton::task("chatty", [](int i) {
  std::cout << "hello from " << i << std::endl;
  baton::logger().warning("warned {}", i);
  return i;
});

fs::path scratch(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("baton-test-runners-" + std::to_string(getpid())) / name;
  fs::create_directories(p);
  return p;
}

TEST(ProcessPool, RunsTasksInOtherProcessesWithTheSameResults) {
  std::vector<Future<int>> squares;
  std::vector<Future<long>> pids;
  auto f = baton::flow("pool-squares", [&] {
             squares = square.map(std::views::iota(0, 20));
             pids = worker_pid.map(std::views::iota(0, 4));
           }).task_runner(process_pool(2));
  f();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(squares[static_cast<std::size_t>(i)].result(), i * i);
  for (auto& p : pids) EXPECT_NE(p.result(), static_cast<long>(getpid()));
  // The history has the same shape as with the thread pool: one task run per call.
  EXPECT_EQ(RecordedEvents::get().task_runs_of(testing::last_flow_run()).size(), 24u);
  EXPECT_EQ(RecordedEvents::get().state_types_of(squares[0].task_run_id()),
            (std::vector<StateType>{StateType::Running, StateType::Completed}));
}

TEST(ProcessPool, SegfaultEndsThatRunCrashedAndTheFlowGoesOn) {
  std::vector<Future<int>> runs;
  auto f = baton::flow("pool-segfault", [&] { runs = segfault.map(std::views::iota(0, 6)); })
               .task_runner(process_pool(2));
  f();  // the flow itself completes
  for (int i = 0; i < 6; ++i) {
    State s = runs[static_cast<std::size_t>(i)].state();
    if (i == 3) {
      EXPECT_EQ(s.type, StateType::Crashed);
      EXPECT_NE(s.message.find("SIGSEGV"), std::string::npos) << s.message;
      EXPECT_THROW(runs[3].result(), CrashedError);
    } else {
      EXPECT_EQ(s.type, StateType::Completed) << i << ": " << s.message;
      EXPECT_EQ(runs[static_cast<std::size_t>(i)].result(), i);
    }
  }
}

TEST(ProcessPool, AbortIsCrashedWithTheSignalNamed) {
  Future<int> run;
  auto f = baton::flow("pool-abort", [&] { run = aborts.submit(); }).task_runner(process_pool(1));
  f();
  EXPECT_EQ(run.state().type, StateType::Crashed);
  EXPECT_NE(run.state().message.find("SIGABRT"), std::string::npos) << run.state().message;
}

TEST(ProcessPool, ThrownExceptionIsFailedWithItsTypeAndMessage) {
  Future<int> run;
  auto f = baton::flow("pool-throw", [&] { run = throws.submit(7); }).task_runner(process_pool(1));
  f();
  EXPECT_EQ(run.state().type, StateType::Failed);
  EXPECT_EQ(run.state().message, "bad input 7");
  try {
    run.result();
    FAIL() << "result() should throw";
  } catch (const RemoteTaskError& e) {
    EXPECT_EQ(e.type(), "std::invalid_argument");
    EXPECT_STREQ(e.what(), "bad input 7");
  }
}

TEST(ProcessPool, CrashedRunIsRetriedOnAFreshWorker) {
  const fs::path marker = scratch("retry") / "crashed-once";
  auto flaky = baton::task("crash-once", [marker](int x) {
                 if (!fs::exists(marker)) {
                   std::ofstream(marker) << "x";
                   raise(SIGSEGV);
                 }
                 return x + 1;
               }).retries(1);
  Future<int> run;
  auto f = baton::flow("pool-retry", [&] { run = flaky.submit(41); }).task_runner(process_pool(1));
  f();
  EXPECT_EQ(run.result(), 42);
  auto types = RecordedEvents::get().state_types_of(run.task_run_id());
  // No retry delay: straight to Retrying, without AwaitingRetry (as in Prefect).
  EXPECT_EQ(types, (std::vector<StateType>{StateType::Running, StateType::Retrying, StateType::Completed}));
}

TEST(ProcessPool, LargeResultsTravelByReferenceThroughResultStorage) {
  const fs::path storage = scratch("large");
  setenv("BATON_RESULT_STORAGE", storage.c_str(), 1);
  setenv("BATON_INLINE_RESULT_BYTES", "65536", 1);
  Future<std::vector<double>> big, small;
  Future<double> sum;
  bool transient_seen = false;
  auto f = baton::flow("pool-large", [&] {
             big = big_vector.submit(1 << 20);  // 8 MiB
             small = big_vector.submit(100);
             sum = total.submit(big);  // its argument travels as the reference
             sum.wait();
             transient_seen = fs::exists(storage / "transient" / big.task_run_id().str());
           }).task_runner(process_pool(2));
  f();
  unsetenv("BATON_INLINE_RESULT_BYTES");
  unsetenv("BATON_RESULT_STORAGE");
  EXPECT_TRUE(transient_seen);
  EXPECT_FALSE(fs::exists(storage / "transient" / small.task_run_id().str()));
  const double n = 1 << 20;
  EXPECT_EQ(sum.result(), n * (n - 1) / 2);
  ASSERT_EQ(big.result().size(), std::size_t{1} << 20);
  EXPECT_EQ(big.result()[12345], 12345.0);
  EXPECT_EQ(small.result().size(), 100u);
  // The trip's copy goes with the last reference to the run.
  const fs::path transient = storage / "transient" / big.task_run_id().str();
  big = {};
  sum = {};
  EXPECT_FALSE(fs::exists(transient));
}

TEST(ProcessPool, PrintsAndLogsOfWorkersLandInTheirRuns) {
  std::vector<Future<int>> runs;
  auto f = baton::flow("pool-logs", [&] { runs = chatty.map(std::views::iota(0, 5)); })
               .log_prints(true)
               .task_runner(process_pool(2));
  f();
  for (int i = 0; i < 5; ++i) {
    auto logs = RecordedEvents::get().logs_of_task(runs[static_cast<std::size_t>(i)].task_run_id());
    ASSERT_EQ(logs.size(), 2u) << i;
    EXPECT_EQ(logs[0].message, "hello from " + std::to_string(i));
    EXPECT_EQ(logs[1].message, "warned " + std::to_string(i));
    EXPECT_EQ(logs[1].level, LogLevel::Warning);
    EXPECT_EQ(logs[0].flow_run, testing::last_flow_run());
  }
}

TEST(ProcessPool, ThousandSmallTasks) {
  std::vector<Future<int>> runs;
  auto f = baton::flow("pool-thousand", [&] { runs = square.map(std::views::iota(0, 1000)); })
               .task_runner(process_pool(2));
  f();
  long long sum = 0;
  for (auto& r : runs) sum += r.result();
  EXPECT_EQ(sum, 332833500LL);  // sum of i^2 for i < 1000
}

TEST(ProcessPool, TimeoutStopsTheWorkerProcess) {
  const fs::path pid_file = scratch("timeout") / "pid";
  auto sleepy = baton::task("sleepy", [pid_file](int) {
                  std::ofstream(pid_file) << getpid() << std::endl;
                  sleep(30);
                  return 0;
                }).timeout(std::chrono::milliseconds(300));
  // Defined after `sleepy`, so its worker knows both: a finished run of it first
  // makes the worker ready before the 300 ms start, which are then spent in the
  // body, not in starting a process.
  auto warm_up = baton::task("warm-up", [](int x) { return x; });
  Future<int> run;
  auto f = baton::flow("pool-timeout", [&] {
             ASSERT_EQ(warm_up.submit(3).result(), 3);
             run = sleepy.submit(1);
           }).task_runner(process_pool(1));
  f();
  EXPECT_EQ(run.state().type, StateType::TimedOut);
  // The run ends at its deadline whatever happens to the body; what the process
  // pool adds is that the process running the body is gone, too.
  pid_t worker = 0;
  std::ifstream(pid_file) >> worker;
  ASSERT_GT(worker, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (kill(worker, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(kill(worker, 0), 0) << "worker process " << worker << " still runs the timed-out body";
}

TEST(ProcessPool, TaskDefinedAfterTheWorkersStartedStillRuns) {
  auto pool = process_pool(1);
  Future<int> first, later;
  auto f1 = baton::flow("pool-early", [&] { first = square.submit(3); }).task_runner(pool);
  f1();
  auto cube = baton::task("cube", [](int x) { return x * x * x; });  // after the fork
  auto f2 = baton::flow("pool-late", [&] { later = cube.submit(3); }).task_runner(pool);
  f2();
  EXPECT_EQ(first.result(), 9);
  EXPECT_EQ(later.result(), 27);
}

// A flow called by a task body in a worker runs its tasks inline there.
const auto inner_flow_task = baton::task("inner-flow", [](int n) {
  int sum = 0;
  auto inner = baton::flow("inner", [&] {
                 for (auto& f : square.map(std::views::iota(0, n))) sum += f.result();
               }).task_runner(process_pool(2));
  inner();
  return sum;
});

TEST(ProcessPool, AFlowInsideATaskRunsItsTasksInTheWorker) {
  Future<int> run;
  auto f = baton::flow("pool-nested", [&] { run = inner_flow_task.submit(4); }).task_runner(process_pool(1));
  f();
  EXPECT_EQ(run.result(), 0 + 1 + 4 + 9);
}

struct NoSerializer {
  int x = 0;
};

TEST(ProcessPool, TaskWithoutASerializerIsRefusedBeforeItRuns) {
  auto opaque = baton::task("opaque", [](NoSerializer n) { return n.x; });
  static_assert(!sendable<decltype(opaque)>);
  static_assert(sendable<decltype(square)>);
  bool threw = false;
  auto f = baton::flow("pool-opaque", [&] {
             try {
               (void)opaque.submit(NoSerializer{1});
             } catch (const std::invalid_argument& e) {
               threw = true;
               EXPECT_NE(std::string(e.what()).find("parameter 1"), std::string::npos) << e.what();
               EXPECT_NE(std::string(e.what()).find("no serializer"), std::string::npos) << e.what();
             }
           }).task_runner(process_pool(1));
  f();
  EXPECT_TRUE(threw);
}

TEST(ProcessPool, PersistedResultsAreWrittenByTheWorkerAndCachedAcrossRuns) {
  const fs::path storage = scratch("cached");
  const fs::path counter = storage / "count";
  auto counted = baton::task("counted-square", [counter](int x) {
                   std::ofstream(counter, std::ios::app) << "x";
                   return x * x;
                 }).cache_policy(cache::inputs + cache::task_source)
                     .result_storage(make_local_storage(storage.string()));
  for (int round = 0; round < 2; ++round) {
    Future<int> run;
    auto f = baton::flow("pool-cache", [&] { run = counted.submit(9); }).task_runner(process_pool(1));
    f();
    EXPECT_EQ(run.result(), 81);
    EXPECT_EQ(run.state().type, round == 0 ? StateType::Completed : StateType::Cached);
  }
  EXPECT_EQ(fs::file_size(counter), 1u);  // computed once
}

// A child that never reports ready is stopped here in an atfork handler, as one
// stuck on a lock copied mid-use at fork would be (fork_check.h).
std::atomic<int> g_forks{0};
std::atomic<bool> g_stall_first_fork{false};

TEST(ProcessPool, AWorkerThatNeverReportsReadyIsReplaced) {
  static const bool registered = (pthread_atfork([] { g_forks.fetch_add(1); }, nullptr,
                                                 [] {  // in the child, with the parent's count
                                                   if (g_stall_first_fork.load() && g_forks.load() == 1) pause();
                                                 }),
                                  true);
  (void)registered;
  auto after_stall = baton::task("after-stall", [](int x) { return x + 1; });  // needs a fresh fork
  g_forks = 0;
  g_stall_first_fork = true;
  int result = 0;
  auto f = baton::flow("pool-stall", [&] { result = after_stall.submit(41).result(); }).task_runner(process_pool(3));
  const State state = f.return_state();
  g_stall_first_fork = false;
  EXPECT_EQ(state.type, StateType::Completed) << state.message;
  EXPECT_EQ(result, 42);
  EXPECT_GE(g_forks.load(), 2) << "the silent child was not replaced";
}

}  // namespace
}  // namespace baton

// The process-pool task runner: task bodies in forked worker processes; crashes
// end one run Crashed, not the flow; history as with the thread pool.
#include "support.h"

#include "runners/process_pool.h"

#include <baton/error.h>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <set>
#include <sstream>
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
// The sockets this process holds, as "socket:[inode]" joined by spaces.
std::string open_sockets() {
  std::string out;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = fs::read_symlink(entry.path(), ec).string();
    if (!ec && target.starts_with("socket:")) out += target + " ";
  }
  return out;
}
const auto worker_sockets = baton::task("worker-sockets", [](int) { return open_sockets(); });

const auto chatty = baton::task("chatty", [](int i) {
  std::cout << "hello from " << i << std::endl;
  baton::logger().warning("warned {}", i);
  return i;
});

fs::path scratch(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("baton-test-runners-" + std::to_string(getpid())) / name;
  // Emptied first: a directory left by an earlier process with the same pid (pids
  // are reused) holds its markers, and a test that crashes once would not crash.
  fs::remove_all(p);
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

// The inline limit and the spill storage are read once per flow run (not per
// call); a flow run that starts after they change follows the new values on the
// same pool and its dispatch threads.
TEST(ProcessPool, AFlowRunFollowsTheInlineLimitSetBeforeItStarts) {
  const fs::path storage = scratch("limit-per-flow");
  setenv("BATON_RESULT_STORAGE", storage.c_str(), 1);
  // How many of 16 results (800 KB each: inline under the default 1 MiB) went
  // through result storage; 16 calls keep every dispatch thread busy.
  auto spilled = [&](const char* limit) {
    if (limit != nullptr) setenv("BATON_INLINE_RESULT_BYTES", limit, 1);
    else unsetenv("BATON_INLINE_RESULT_BYTES");
    int seen = 0;
    auto f = baton::flow("pool-limit", [&] {
               auto runs = big_vector.map(std::vector<int>(16, 100000));
               for (auto& v : runs) {
                 EXPECT_EQ(v.result().size(), 100000u);
                 seen += fs::exists(storage / "transient" / v.task_run_id().str()) ? 1 : 0;
               }
             }).task_runner(process_pool(2));
    f();
    return seen;
  };
  EXPECT_EQ(spilled(nullptr), 0);
  EXPECT_EQ(spilled("65536"), 16);
  EXPECT_EQ(spilled(nullptr), 0);
  unsetenv("BATON_RESULT_STORAGE");
}

// Workers start while others are starting (a forking thread lets go of the
// pool's lock meanwhile): none may keep a copy of the pool's end of another
// worker's socket (it would stay open after the pool closes it).
TEST(ProcessPool, AWorkerHoldsNoneOfThePoolsSockets) {
  auto split = [](const std::string& text) {
    std::set<std::string> out;
    std::istringstream in(text);
    for (std::string s; in >> s;) out.insert(s);
    return out;
  };
  // Sockets of earlier pools in this process are not this pool's concern.
  const std::set<std::string> before = split(open_sockets());
  auto pool = process_pool(4);  // no other test uses 4 workers: a fresh pool
  std::vector<std::string> seen;
  std::set<std::string> ours;  // the pool's ends of its workers' sockets
  auto f = baton::flow("pool-sockets", [&] {
             auto runs = worker_sockets.map(std::views::iota(0, 32));
             for (auto& r : runs) seen.push_back(r.result());
             for (const std::string& s : split(open_sockets())) {
               if (!before.contains(s)) ours.insert(s);
             }
           }).task_runner(pool);
  f();
  ASSERT_FALSE(ours.empty());
  for (const std::string& worker : seen) {
    int own = 0;
    for (const std::string& socket : split(worker)) {
      if (before.contains(socket)) continue;
      ++own;
      EXPECT_FALSE(ours.contains(socket)) << socket << " is the pool's end, held by a worker too";
    }
    EXPECT_EQ(own, 1) << worker;  // its own end, nothing else of this pool
  }
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

// ---- Batching (issue 13): several calls per frame must change nothing a user sees.

namespace batching {

runners::ProcessPool& pool_of(const std::shared_ptr<TaskRunner>& runner) {
  auto* pool = dynamic_cast<runners::ProcessPool*>(runner.get());
  if (pool == nullptr) throw std::logic_error("not a process pool");
  return *pool;
}

// The same flow on the thread pool and the process pool: values, task runs and
// each run's states.
struct Outcome {
  std::vector<int> values;
  std::size_t task_runs = 0;
  std::vector<std::vector<StateType>> states;
};

Outcome many_small(const std::shared_ptr<TaskRunner>& runner, int n) {
  std::vector<Future<int>> runs;
  auto f = baton::flow("many-small", [&] { runs = square.map(std::views::iota(0, n)); }).task_runner(runner);
  f();
  Outcome out;
  for (auto& r : runs) {
    out.values.push_back(r.result());
    out.states.push_back(RecordedEvents::get().state_types_of(r.task_run_id()));
  }
  out.task_runs = RecordedEvents::get().task_runs_of(testing::last_flow_run()).size();
  return out;
}

TEST(ProcessPool, ManySmallTasksShareFramesAndGiveTheSameResultsAndHistoryAsTheThreadPool) {
  const int n = 1000;
  Outcome threaded = many_small(thread_pool(2), n);
  auto runner = process_pool(2);
  const auto before = pool_of(runner).sent();
  Outcome pooled = many_small(runner, n);
  const auto after = pool_of(runner).sent();
  EXPECT_EQ(pooled.values, threaded.values);
  EXPECT_EQ(pooled.task_runs, static_cast<std::size_t>(n));
  EXPECT_EQ(pooled.task_runs, threaded.task_runs);
  EXPECT_EQ(pooled.states, threaded.states);
  EXPECT_EQ(pooled.states[0], (std::vector<StateType>{StateType::Running, StateType::Completed}));
  // Every call went out once, and calls shared frames (one frame per call before
  // batching; how many share one depends on the machine's speed, so no more is
  // asserted: bench/runners.cpp measures what it buys).
  EXPECT_EQ(after.calls - before.calls, static_cast<std::uint64_t>(n));
  EXPECT_LT(after.batches - before.batches, static_cast<std::uint64_t>(n));
}

TEST(ProcessPool, ALoneTaskGoesOutAtOnceInAFrameOfItsOwn) {
  auto runner = process_pool(1);
  Future<int> warm = {};
  baton::flow("lone-warm", [&] { warm = square.submit(2); }).task_runner(runner)();  // the worker exists
  ASSERT_EQ(warm.result(), 4);
  const auto before = pool_of(runner).sent();
  int value = 0;
  // The flow waits for the lone run before it submits anything else: a batch that
  // waited for company would wait for ever (no timer sends it).
  baton::flow("lone", [&] { value = square.submit(7).result(); }).task_runner(runner)();
  const auto after = pool_of(runner).sent();
  EXPECT_EQ(value, 49);
  EXPECT_EQ(after.batches - before.batches, 1u);
  EXPECT_EQ(after.calls - before.calls, 1u);
}

const auto dies_at = baton::task("dies-at", [](int x, int fatal) {
  if (x == fatal) raise(SIGKILL);  // as the OOM killer does, in the middle of the worker's batch
  return x * 10;
});

TEST(ProcessPool, AWorkerKilledMidBatchCrashesOnlyTheRunItWasRunningAndTheOthersComplete) {
  const int n = 300, fatal = 150;
  std::vector<Future<int>> runs;
  auto runner = process_pool(1);
  auto f = baton::flow("mid-batch", [&] { runs = dies_at.map(std::views::iota(0, n), baton::unmapped(fatal)); })
               .task_runner(runner);
  f();
  // Whether it died holding calls after the fatal one depends on where its batch
  // ended (under load, often right there); what the user sees is the same
  // either way: only the fatal run crashed, the others ran once and completed.
  for (int i = 0; i < n; ++i) {
    const State s = runs[static_cast<std::size_t>(i)].state();
    if (i == fatal) {
      EXPECT_EQ(s.type, StateType::Crashed);
      EXPECT_NE(s.message.find("SIGKILL"), std::string::npos) << s.message;
      EXPECT_NE(s.message.find("worker process "), std::string::npos) << s.message;
      EXPECT_NE(s.message.find("task run 'dies-at-"), std::string::npos) << s.message;  // which run it was
      continue;
    }
    ASSERT_EQ(s.type, StateType::Completed) << i << ": " << s.message;
    EXPECT_EQ(runs[static_cast<std::size_t>(i)].result(), i * 10);
    // The calls the dead worker held went to a new worker without a retry.
    EXPECT_EQ(RecordedEvents::get().state_types_of(runs[static_cast<std::size_t>(i)].task_run_id()),
              (std::vector<StateType>{StateType::Running, StateType::Completed}))
        << i;
  }
}

TEST(ProcessPool, AWorkerKilledMidBatchRetriesTheRunItWasRunningWhenItHasRetries) {
  const fs::path marker = scratch("mid-batch-retry") / "killed-once";
  auto once = baton::task("killed-once", [marker](int x) {
                if (x == 40 && !fs::exists(marker)) {
                  std::ofstream(marker) << "x";
                  raise(SIGKILL);
                }
                return x + 1;
              }).retries(1);
  std::vector<Future<int>> runs;
  auto f = baton::flow("mid-batch-retry", [&] { runs = once.map(std::views::iota(0, 100)); })
               .task_runner(process_pool(1));
  f();
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(runs[static_cast<std::size_t>(i)].result(), i + 1);
    const auto types = RecordedEvents::get().state_types_of(runs[static_cast<std::size_t>(i)].task_run_id());
    if (i == 40) {
      EXPECT_EQ(types, (std::vector<StateType>{StateType::Running, StateType::Retrying, StateType::Completed}));
    } else {
      EXPECT_EQ(types, (std::vector<StateType>{StateType::Running, StateType::Completed})) << i;
    }
  }
}

// A body that writes a frame of another protocol version to every socket its
// process has: the program's end of it must see a clear error naming the worker,
// not crash or hang, and the flow goes on.
const auto corrupts = baton::task("corrupts", [](int x) {
  if (x == 1) {
    const char frame[] = {5, 0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0, 0};  // length 5, version 99, no messages
    for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
      const int fd = std::atoi(entry.path().filename().c_str());
      struct stat st {};
      if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) (void)!write(fd, frame, sizeof frame);
    }
  }
  return x;
});

TEST(ProcessPool, AMalformedFrameFromAWorkerIsAClearErrorNamingIt) {
  Future<int> bad, good;
  auto f = baton::flow("malformed", [&] {
             bad = corrupts.submit(1);
             bad.wait();
             good = corrupts.submit(2);
           }).task_runner(process_pool(1));
  f();
  const State s = bad.state();
  EXPECT_EQ(s.type, StateType::Crashed);
  EXPECT_NE(s.message.find("worker process "), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("malformed"), std::string::npos) << s.message;
  EXPECT_NE(s.message.find("version 99"), std::string::npos) << s.message;
  EXPECT_EQ(good.result(), 2);  // a new worker serves the next call
}

}  // namespace batching

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

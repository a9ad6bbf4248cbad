// Timeouts of tasks and flows: the run ends TimedOut and the body sees its stop token.
#include "support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <ranges>
#include <thread>

namespace baton {
namespace {

using namespace std::chrono_literals;

TEST(Timeout, TaskEndsTimedOutAndSeesItsStopToken) {
  std::atomic<bool> saw_stop{false};
  auto slow = baton::task("slow", [&] {
                auto deadline = std::chrono::steady_clock::now() + 10s;
                while (!baton::stop_requested() && std::chrono::steady_clock::now() < deadline) {
                  std::this_thread::sleep_for(1ms);
                }
                saw_stop = baton::stop_requested();
                return 1;
              }).timeout(50ms);
  Future<int> run = slow.return_state();
  EXPECT_EQ(run.state().type, StateType::TimedOut);
  EXPECT_NE(run.state().message.find("timeout"), std::string::npos) << run.state().message;
  EXPECT_THROW(run.result(), TimeoutError);
  EXPECT_TRUE(saw_stop.load());
}

TEST(Timeout, TheFutureResolvesAtTheDeadlineEvenIfTheBodyIgnoresIt) {
  // Shared with the body, which outlives the run's final state.
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto body_returned = std::make_shared<std::atomic<bool>>(false);
  auto stubborn = baton::task("stubborn", [release, body_returned] {
                    while (!*release) std::this_thread::sleep_for(1ms);
                    *body_returned = true;
                    return 1;
                  }).timeout(30ms);
  auto f = baton::flow("stubborn-flow", [&] {
    auto fut = stubborn.submit();
    fut.wait();  // returns at the deadline although the body still runs
    EXPECT_EQ(fut.state().type, StateType::TimedOut);
    EXPECT_FALSE(body_returned->load());
    *release = true;
  }).task_runner(thread_pool(2));
  f();
  while (!*body_returned) std::this_thread::sleep_for(1ms);
}

TEST(Timeout, TimedOutAttemptsAreRetried) {
  std::atomic<int> calls{0};
  auto t = baton::task("slow-then-fast", [&] {
             if (calls++ == 0) {
               while (!baton::stop_requested()) std::this_thread::sleep_for(1ms);
               baton::throw_if_stop_requested();
             }
             return 7;
           })
               .timeout(30ms)
               .retries(1);
  EXPECT_EQ(t(), 7);
  EXPECT_EQ(calls.load(), 2);
}

TEST(Timeout, FlowTimeoutStopsItsTasks) {
  std::atomic<bool> task_saw_stop{false};
  auto wait_for_stop = baton::task("wait_for_stop", [&] {
    while (!baton::stop_requested()) std::this_thread::sleep_for(1ms);
    task_saw_stop = true;
  });
  auto f = baton::flow("slow-flow", [&] { wait_for_stop.submit().wait(); }).timeout(50ms).task_runner(thread_pool(2));
  EXPECT_THROW(f(), TimeoutError);
  EXPECT_TRUE(task_saw_stop.load());
  auto states = testing::RecordedEvents::get().state_types_of(testing::last_flow_run());
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), StateType::TimedOut);
}

// Waits (at most 5 s) for `flag`: a body that outlives its run's deadline sets
// it after the future has already resolved.
bool eventually_true(const std::atomic<bool>& flag) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!flag && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  return flag;
}

// The same contracts for submitted runs at every worker count.
class TimeoutOnRunner : public testing::AtEveryWorkerCount {};
BATON_AT_EVERY_WORKER_COUNT(TimeoutOnRunner);

TEST_P(TimeoutOnRunner, ASubmittedRunEndsTimedOutAndSeesItsStopToken) {
  std::atomic<bool> saw_stop{false};
  auto slow = baton::task("slow-submitted", [&] {
                const auto deadline = std::chrono::steady_clock::now() + 10s;
                while (!baton::stop_requested() && std::chrono::steady_clock::now() < deadline) {
                  std::this_thread::sleep_for(1ms);
                }
                saw_stop = baton::stop_requested();
                return 1;
              }).timeout(50ms);
  Future<int> run;
  baton::flow("timeout-on-runner", [&] { run = slow.submit(); run.wait(); }).task_runner(runner())();
  EXPECT_EQ(run.state().type, StateType::TimedOut);
  EXPECT_THROW((void)run.result(), TimeoutError);
  EXPECT_TRUE(eventually_true(saw_stop));
}

TEST_P(TimeoutOnRunner, OnlyTheRunsPastTheirDeadlineTimeOut) {
  constexpr int kRuns = 8;
  auto t = baton::task("odd-ones-finish", [](int i) {
             if (i % 2 == 0) {
               while (!baton::stop_requested()) std::this_thread::sleep_for(1ms);
               baton::throw_if_stop_requested();
             }
             return i;
           }).timeout(30ms);
  std::vector<Future<int>> runs;
  baton::flow("timeout-many", [&] {
    runs = t.map(std::views::iota(0, kRuns));
    for (auto& r : runs) r.wait();
  }).task_runner(runner())();
  ASSERT_EQ(runs.size(), static_cast<std::size_t>(kRuns));
  for (int i = 0; i < kRuns; ++i) {
    const auto& r = runs[static_cast<std::size_t>(i)];
    if (i % 2 == 0) {
      EXPECT_EQ(r.state().type, StateType::TimedOut) << "run " << i;
    } else {
      EXPECT_EQ(r.state().type, StateType::Completed) << "run " << i;
      EXPECT_EQ(r.result(), i);
    }
  }
}

TEST_P(TimeoutOnRunner, TimedOutAttemptsOfASubmittedRunAreRetried) {
  std::atomic<int> calls{0};
  auto t = baton::task("slow-then-fast-submitted", [&] {
             if (calls++ == 0) {
               while (!baton::stop_requested()) std::this_thread::sleep_for(1ms);
               baton::throw_if_stop_requested();
             }
             return 7;
           })
               .timeout(30ms)
               .retries(1);
  Future<int> run;
  baton::flow("timeout-retry-on-runner", [&] { run = t.submit(); run.wait(); }).task_runner(runner())();
  EXPECT_EQ(run.result(), 7);
  EXPECT_EQ(calls.load(), 2);
}

TEST_P(TimeoutOnRunner, AFlowTimeoutStopsItsRunningTasks) {
  std::atomic<bool> task_saw_stop{false};
  auto wait_for_stop = baton::task("wait_for_stop_on_runner", [&] {
    while (!baton::stop_requested()) std::this_thread::sleep_for(1ms);
    task_saw_stop = true;
  });
  auto f = baton::flow("slow-flow-on-runner", [&] { wait_for_stop.submit().wait(); })
               .timeout(50ms)
               .task_runner(runner());
  EXPECT_THROW(f(), TimeoutError);
  EXPECT_TRUE(eventually_true(task_saw_stop));
  auto states = testing::RecordedEvents::get().state_types_of(testing::last_flow_run());
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), StateType::TimedOut);
}

// A run's TimedOut is recorded by the watchdog's thread, its Running by the
// worker's: the history must still end TimedOut. The first flow gives the
// watchdog's thread its event buffer; the second one's many new workers get
// buffers made after it, which the writer used to sweep after the watchdog's.
TEST(Timeout, TheHistoryOfATimedOutRunEndsTimedOutWhicheverThreadsRecordedIt) {
  auto stubborn = baton::task("stubborn-in-history", [](int) {
                    while (!baton::stop_requested()) std::this_thread::sleep_for(1ms);
                    return 1;
                  }).timeout(5ms);
  std::vector<RunId> runs;
  for (int workers : {1, 16}) {
    auto f = baton::flow("timed-out-in-history", [&] {
      for (auto& fut : stubborn.map(std::views::iota(0, workers))) {
        fut.wait();
        runs.push_back(fut.task_run_id());
      }
    }).task_runner(thread_pool(workers));
    f();
  }
  for (const RunId& run : runs) {
    auto states = testing::RecordedEvents::get().state_types_of(run);
    ASSERT_FALSE(states.empty());
    EXPECT_EQ(states.back(), StateType::TimedOut) << "run " << run.str() << ": " << states.size() << " states";
  }
}

}  // namespace
}  // namespace baton

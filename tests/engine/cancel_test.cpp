// Cancelling a flow run (as `baton flow-run cancel` does through the run store).
#include "support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <ranges>
#include <thread>

namespace baton {
namespace {

using namespace std::chrono_literals;

TEST(Cancel, PendingRunsEndCancelledAndRunningOnesSeeTheirStopToken) {
  std::atomic<bool> started{false};
  std::atomic<bool> saw_stop{false};
  std::atomic<int> later_ran{0};
  auto blocker = baton::task("blocker", [&] {
    started = true;
    while (!baton::stop_requested()) std::this_thread::sleep_for(1ms);
    saw_stop = true;
    baton::throw_if_stop_requested();
  });
  auto later = baton::task("later", [&](int) { ++later_ran; });
  std::vector<Future<void>> pending;
  Future<void> running;
  RunId flow_id;
  auto f = baton::flow("cancellable", [&] {
    flow_id = RunId{};
    running = blocker.submit();
    pending = later.map(std::views::iota(0, 20));  // queued behind the blocker on one worker
    while (!started) std::this_thread::sleep_for(1ms);
    auto ids = engine::Runtime::get().active_flow_runs();
    ASSERT_EQ(ids.size(), 1u);
    engine::Runtime::get().cancel_flow_run(ids[0]);
  }).task_runner(thread_pool(1));
  EXPECT_THROW(f(), CancelledError);
  EXPECT_TRUE(saw_stop.load());
  EXPECT_EQ(running.state().type, StateType::Cancelled);
  EXPECT_EQ(later_ran.load(), 0);
  for (const auto& p : pending) EXPECT_EQ(p.state().type, StateType::Cancelled);
  auto states = testing::RecordedEvents::get().state_types_of(testing::last_flow_run());
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), StateType::Cancelled);
}

// The same contract at every worker count: as many blockers as workers occupy
// the pool (one, inline, on the immediate runner) and the flow run is cancelled
// from another thread, as the run store's cancel request arrives.
class CancelOnRunner : public testing::AtEveryWorkerCount {};
BATON_AT_EVERY_WORKER_COUNT(CancelOnRunner);

TEST_P(CancelOnRunner, RunningRunsSeeTheirStopTokenAndQueuedOnesNeverStart) {
  const int blockers = std::max(1, workers());
  std::atomic<int> started{0}, saw_stop{0}, later_ran{0};
  auto blocker = baton::task("blocker-on-runner", [&](int) {
    ++started;
    while (!baton::stop_requested()) std::this_thread::sleep_for(1ms);
    ++saw_stop;
    baton::throw_if_stop_requested();
  });
  auto later = baton::task("later-on-runner", [&](int) { ++later_ran; });
  std::vector<Future<void>> running, pending;
  std::jthread canceller([&](std::stop_token stop) {
    while (started < blockers && !stop.stop_requested()) std::this_thread::sleep_for(1ms);
    for (const auto& id : engine::Runtime::get().active_flow_runs()) engine::Runtime::get().cancel_flow_run(id);
  });
  auto f = baton::flow("cancellable-on-runner", [&] {
    running = blocker.map(std::views::iota(0, blockers));
    pending = later.map(std::views::iota(0, 20));  // queued behind the blockers
    for (auto& p : pending) p.wait();
  }).task_runner(runner());
  EXPECT_THROW(f(), CancelledError);
  canceller.request_stop();  // never stuck waiting if the blockers did not all start
  canceller.join();
  EXPECT_EQ(saw_stop.load(), blockers);
  for (const auto& r : running) EXPECT_EQ(r.state().type, StateType::Cancelled);
  EXPECT_EQ(later_ran.load(), 0);
  for (const auto& p : pending) EXPECT_EQ(p.state().type, StateType::Cancelled);
  auto states = testing::RecordedEvents::get().state_types_of(testing::last_flow_run());
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), StateType::Cancelled);
}

}  // namespace
}  // namespace baton

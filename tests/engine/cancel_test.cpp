// Cancelling a flow run (as `baton flow-run cancel` does through the run store).
#include "support.h"

#include <gtest/gtest.h>

#include <atomic>
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

}  // namespace
}  // namespace baton

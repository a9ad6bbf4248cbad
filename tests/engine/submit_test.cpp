// Submitting and composing task runs on every runner and worker count.
#include "support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::RecordedEvents;

class Submit : public testing::AtEveryWorkerCount {
 protected:
  // Runs `body` as a flow on the runner under test.
  template <class F>
  void in_flow(F body) {
    auto f = baton::flow("submit-test", [&] { body(); }).task_runner(runner());
    f();
  }
};

BATON_AT_EVERY_WORKER_COUNT(Submit);

TEST_P(Submit, FanOutAndGather) {
  auto square = baton::task("square", [](int x) { return x * x; });
  in_flow([&] {
    std::vector<Future<int>> fs;
    for (int i = 0; i < 1000; ++i) fs.push_back(square.submit(i));
    long total = 0;
    for (auto& f : fs) total += f.result();
    EXPECT_EQ(total, 332833500L);
  });
}

TEST_P(Submit, ChainOfDependentTasks) {
  auto inc = baton::task("inc", [](int x) { return x + 1; });
  in_flow([&] {
    Future<int> f = inc.submit(0);
    for (int i = 1; i < 2000; ++i) f = inc.submit(f);
    EXPECT_EQ(f.result(), 2000);
  });
}

TEST_P(Submit, FutureArgumentsAreResolvedAndEdgesRecorded) {
  auto make = baton::task("make", [](int n) { return std::vector<int>(static_cast<std::size_t>(n), 1); });
  auto sum = baton::task("sum", [](const std::vector<int>& v, int extra) {
    int s = extra;
    for (int x : v) s += x;
    return s;
  });
  Future<int> total;
  in_flow([&] {
    auto v = make.submit(5);
    total = sum.submit(v, 10);
    EXPECT_EQ(total.result(), 15);
  });
  auto edges = RecordedEvents::get().edges_of(testing::last_flow_run());
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0].downstream, total.task_run_id());
  EXPECT_EQ(edges[0].kind, engine::EdgeKind::Data);
}

TEST_P(Submit, MapZipsRangesAndBroadcastsUnmapped) {
  auto affine = baton::task("affine", [](int x, int y, int c) { return x * y + c; });
  in_flow([&] {
    auto fs = affine.map(std::vector<int>{1, 2, 3}, std::vector<int>{4, 5, 6}, unmapped(100));
    ASSERT_EQ(fs.size(), 3u);
    EXPECT_EQ(fs[0].result(), 104);
    EXPECT_EQ(fs[1].result(), 110);
    EXPECT_EQ(fs[2].result(), 118);
  });
}

TEST_P(Submit, MapOverFuturesWaitsForEach) {
  auto twice = baton::task("twice", [](int x) { return 2 * x; });
  in_flow([&] {
    auto first = twice.map(std::vector<int>{1, 2, 3});
    auto second = twice.map(first);
    EXPECT_EQ(second[2].result(), 12);
  });
}

TEST_P(Submit, MapRefusesUnequalLengthsBeforeRunningAnything) {
  std::atomic<int> ran{0};
  auto add = baton::task("add", [&](int a, int b) {
    ++ran;
    return a + b;
  });
  in_flow([&] {
    try {
      add.map(std::vector<int>{1, 2, 3}, std::vector<int>{1, 2});
      ADD_FAILURE() << "expected std::invalid_argument";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("argument 2 has 2 elements"), std::string::npos) << e.what();
    }
  });
  EXPECT_EQ(ran.load(), 0);
}

TEST_P(Submit, WaitForOrdersRunsWithoutPassingData) {
  std::atomic<int> clock{0};
  std::atomic<int> first_done{-1}, second_start{-1};
  auto first = baton::task("first", [&] {
    std::this_thread::sleep_for(5ms);
    first_done = clock++;
  });
  auto second = baton::task("second", [&] { second_start = clock++; });
  in_flow([&] {
    auto a = first.submit();
    auto b = second.wait_for(a).submit();
    b.wait();
  });
  EXPECT_LT(first_done.load(), second_start.load());
  auto edges = RecordedEvents::get().edges_of(testing::last_flow_run());
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0].kind, engine::EdgeKind::WaitFor);
}

TEST_P(Submit, FailedUpstreamLeavesDownstreamNotReadyNamingIt) {
  std::atomic<int> downstream_ran{0};
  auto fail = baton::task("fail", []() -> int { throw std::runtime_error("disk full"); });
  auto use = baton::task("use", [&](int x) {
    ++downstream_ran;
    return x;
  });
  auto after = baton::task("after", [&] { ++downstream_ran; });
  in_flow([&] {
    auto f = fail.submit();
    auto u = use.submit(f);
    auto a = after.wait_for(f).submit();
    u.wait();
    a.wait();
    EXPECT_EQ(u.state().type, StateType::NotReady);
    EXPECT_NE(u.state().message.find(f.run_name()), std::string::npos) << u.state().message;
    EXPECT_NE(u.state().message.find("disk full"), std::string::npos) << u.state().message;
    EXPECT_THROW(u.result(), UpstreamError);
    EXPECT_EQ(a.state().type, StateType::NotReady);
  });
  EXPECT_EQ(downstream_ran.load(), 0);
}

TEST_P(Submit, AllowFailureLetsTheDownstreamRun) {
  auto fail = baton::task("fail", [] { throw std::runtime_error("nope"); });
  auto cleanup = baton::task("cleanup", [] { return 1; });
  in_flow([&] {
    auto f = fail.submit();
    auto c = cleanup.wait_for(allow_failure(f)).submit();
    EXPECT_EQ(c.result(), 1);
    EXPECT_EQ(f.state().type, StateType::Failed);
  });
}

TEST_P(Submit, FailuresSpreadThroughAChain) {
  auto step = baton::task("step", [](int x) {
    if (x == 3) throw std::runtime_error("step 3 broke");
    return x + 1;
  });
  in_flow([&] {
    Future<int> f = step.submit(0);
    std::vector<Future<int>> all{f};
    for (int i = 0; i < 10; ++i) all.push_back(f = step.submit(f));
    baton::wait(all);
    EXPECT_EQ(all[3].state().type, StateType::Failed);
    for (std::size_t i = 4; i < all.size(); ++i) EXPECT_EQ(all[i].state().type, StateType::NotReady) << i;
  });
}

TEST_P(Submit, AsCompletedYieldsEveryFutureOnce) {
  auto sleepy = baton::task("sleepy", [](int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  });
  in_flow([&] {
    auto fs = sleepy.map(std::vector<int>{30, 1, 15, 5});
    std::multiset<int> seen;
    for (const auto& f : as_completed(fs)) {
      EXPECT_TRUE(f.done());
      seen.insert(f.result());
    }
    EXPECT_EQ(seen, (std::multiset<int>{1, 5, 15, 30}));
  });
}

TEST_P(Submit, ExceptionsOfManyConcurrentTasksStayWithTheirRuns) {
  auto odd_fails = baton::task("odd_fails", [](int x) {
    if (x % 2) throw std::runtime_error("odd " + std::to_string(x));
    return x;
  });
  in_flow([&] {
    auto fs = odd_fails.map(std::views::iota(0, 200));
    baton::wait(fs);
    for (int i = 0; i < 200; ++i) {
      if (i % 2) {
        EXPECT_EQ(fs[static_cast<std::size_t>(i)].state().message, "odd " + std::to_string(i));
      } else {
        EXPECT_EQ(fs[static_cast<std::size_t>(i)].result(), i);
      }
    }
  });
}

TEST(Future, ResultWithTimeoutGivesUpWhileTheRunGoesOn) {
  std::atomic<bool> release{false};
  auto slow = baton::task("slow", [&] {
    while (!release) std::this_thread::sleep_for(1ms);
    return 1;
  });
  auto f = baton::flow("timeout-wait", [&] {
    auto fut = slow.submit();
    EXPECT_THROW(fut.result(20ms), TimeoutError);
    EXPECT_FALSE(fut.done());
    EXPECT_FALSE(fut.wait(5ms));
    release = true;
    EXPECT_EQ(fut.result(5s), 1);
  }).task_runner(thread_pool(2));
  f();
}

TEST(Future, WaitWithTimeoutCountsWhatFinished) {
  std::atomic<bool> release{false};
  auto quick = baton::task("quick", [] { return 1; });
  auto stuck = baton::task("stuck", [&] {
    while (!release) std::this_thread::sleep_for(1ms);
    return 2;
  });
  auto f = baton::flow("wait-some", [&] {
    std::vector<Future<int>> fs{quick.submit(), stuck.submit()};
    fs[0].wait();
    EXPECT_EQ(baton::wait(fs, 20ms), 1u);
    release = true;
    EXPECT_EQ(baton::wait(fs), 2u);
  }).task_runner(thread_pool(2));
  f();
}

TEST(Submit, OutsideAFlowUsesTheDefaultRunner) {
  auto twice = baton::task("twice", [](int x) { return 2 * x; });
  auto f = twice.submit(21);
  EXPECT_EQ(f.result(), 42);
}

}  // namespace
}  // namespace baton

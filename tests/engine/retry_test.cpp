// Retries, delays, backoff, jitter and retry conditions, on a fake clock.
#include "support.h"

#include <gtest/gtest.h>

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::FakeClockGuard;
using testing::RecordedEvents;

// Fails the first `failures` calls.
auto flaky(int failures, int& calls) {
  return [failures, &calls] {
    if (calls++ < failures) throw std::runtime_error("attempt " + std::to_string(calls) + " failed");
    return calls;
  };
}

TEST(Retry, RetriesUntilSuccessAndRecordsEachAttempt) {
  FakeClockGuard fake;
  int calls = 0;
  auto t = baton::task("flaky", flaky(2, calls)).retries(3).retry_delay(2s);
  Future<int> run = t.return_state();
  EXPECT_EQ(run.result(), 3);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(fake.clock().sleeps(), (std::vector<std::chrono::microseconds>{2s, 2s}));
  EXPECT_EQ(RecordedEvents::get().state_types_of(run.task_run_id()),
            (std::vector<StateType>{StateType::Running, StateType::AwaitingRetry, StateType::Retrying,
                                    StateType::AwaitingRetry, StateType::Retrying, StateType::Completed}));
  // The states carry the fake clock's time: each retry waited its delay.
  auto states = RecordedEvents::get().states_of(run.task_run_id());
  EXPECT_EQ(states[2].at - states[1].at, 2s);
}

TEST(Retry, GivesUpAfterTheLastRetryWithTheLastError) {
  FakeClockGuard fake;
  int calls = 0;
  auto t = baton::task("hopeless", flaky(100, calls)).retries(2);
  try {
    t();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "attempt 3 failed");
  }
  EXPECT_EQ(calls, 3);
}

TEST(Retry, ListOfDelaysOnePerAttemptLastRepeats) {
  FakeClockGuard fake;
  int calls = 0;
  auto t = baton::task("listed", flaky(4, calls)).retries(4).retry_delay(std::vector{1s, 10s, 100s});
  t();
  EXPECT_EQ(fake.clock().sleeps(), (std::vector<std::chrono::microseconds>{1s, 10s, 100s, 100s}));
}

TEST(Retry, ExponentialBackoff) {
  FakeClockGuard fake;
  int calls = 0;
  auto t = baton::task("backoff", flaky(3, calls)).retries(3).retry_delay(exponential_backoff(10s));
  t();
  EXPECT_EQ(fake.clock().sleeps(), (std::vector<std::chrono::microseconds>{10s, 20s, 40s}));
}

TEST(Retry, JitterStaysWithinItsFactor) {
  FakeClockGuard fake;
  int calls = 0;
  auto t = baton::task("jittery", flaky(50, calls)).retries(50).retry_delay(10s).retry_jitter_factor(0.5);
  t();
  auto sleeps = fake.clock().sleeps();
  ASSERT_EQ(sleeps.size(), 50u);
  bool varied = false;
  for (auto d : sleeps) {
    EXPECT_GE(d, 5s);
    EXPECT_LE(d, 15s);
    varied |= d != sleeps.front();
  }
  EXPECT_TRUE(varied) << "jitter never changed the delay";
}

TEST(Retry, ConditionMayRefuseARetry) {
  FakeClockGuard fake;
  int calls = 0;
  auto t = baton::task("picky", [&]() -> int {
             ++calls;
             if (calls == 1) throw std::runtime_error("transient");
             throw std::logic_error("permanent");
           })
               .retries(5)
               .retry_condition([](const State& s) {
                 try {
                   std::rethrow_exception(s.error);
                 } catch (const std::logic_error&) {
                   return false;
                 } catch (...) {
                   return true;
                 }
               });
  EXPECT_THROW(t(), std::logic_error);
  EXPECT_EQ(calls, 2);
}

TEST(Retry, SubmittedRunsRetryOnThePool) {
  FakeClockGuard fake;
  int calls = 0;
  auto t = baton::task("pooled", flaky(1, calls)).retries(1);
  auto f = baton::flow("retry-flow", [&] { return t.submit().result(); }).task_runner(thread_pool(2));
  EXPECT_EQ(f(), 2);
}

TEST(Retry, FlowRetriesRerunTheBody) {
  FakeClockGuard fake;
  int calls = 0;
  auto f = baton::flow("flaky-flow", flaky(1, calls)).retries(1).retry_delay(3s);
  EXPECT_EQ(f(), 2);
  EXPECT_EQ(RecordedEvents::get().state_types_of(testing::last_flow_run()),
            (std::vector<StateType>{StateType::Running, StateType::AwaitingRetry, StateType::Retrying,
                                    StateType::Completed}));
}

}  // namespace
}  // namespace baton

// Retries, delays, backoff, jitter and retry conditions, on a fake clock.
#include "support.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <ranges>

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

// The same contracts for submitted runs at every worker count: an attempt's retry
// stays with its run however many runs retry at once on however many workers.
class RetryOnRunner : public testing::AtEveryWorkerCount {};
BATON_AT_EVERY_WORKER_COUNT(RetryOnRunner);

TEST_P(RetryOnRunner, ASubmittedRunRetriesUntilSuccessAndRecordsEachAttempt) {
  FakeClockGuard fake;
  std::atomic<int> calls{0};
  auto t = baton::task("flaky-submitted", [&] {
             const int call = ++calls;
             if (call <= 2) throw std::runtime_error("attempt " + std::to_string(call) + " failed");
             return call;
           })
               .retries(3)
               .retry_delay(2s);
  Future<int> run;
  baton::flow("retry-on-runner", [&] { run = t.submit(); run.wait(); }).task_runner(runner())();
  EXPECT_EQ(run.result(), 3);
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(fake.clock().sleeps(), (std::vector<std::chrono::microseconds>{2s, 2s}));
  EXPECT_EQ(RecordedEvents::get().state_types_of(run.task_run_id()),
            (std::vector<StateType>{StateType::Running, StateType::AwaitingRetry, StateType::Retrying,
                                    StateType::AwaitingRetry, StateType::Retrying, StateType::Completed}));
}

TEST_P(RetryOnRunner, ManyRunsRetryingAtOnceEachGetTheirOwnAttemptsAndResult) {
  FakeClockGuard fake;
  constexpr int kRuns = 16;
  std::array<std::atomic<int>, kRuns> calls{};
  auto t = baton::task("flaky-mapped", [&](int i) {
             if (++calls[static_cast<std::size_t>(i)] <= 2) throw std::runtime_error("not yet");
             return i * 10;
           })
               .retries(2)
               .retry_delay(1s);
  std::vector<Future<int>> runs;
  baton::flow("retry-many", [&] {
    runs = t.map(std::views::iota(0, kRuns));
    for (auto& r : runs) r.wait();
  }).task_runner(runner())();
  ASSERT_EQ(runs.size(), static_cast<std::size_t>(kRuns));
  for (int i = 0; i < kRuns; ++i) {
    const auto k = static_cast<std::size_t>(i);
    EXPECT_EQ(runs[k].result(), i * 10) << "run " << i;
    EXPECT_EQ(calls[k].load(), 3) << "run " << i;
    EXPECT_EQ(RecordedEvents::get().state_types_of(runs[k].task_run_id()),
              (std::vector<StateType>{StateType::Running, StateType::AwaitingRetry, StateType::Retrying,
                                      StateType::AwaitingRetry, StateType::Retrying, StateType::Completed}))
        << "run " << i;
  }
  EXPECT_EQ(fake.clock().sleeps().size(), static_cast<std::size_t>(2 * kRuns));
}

TEST_P(RetryOnRunner, RunsThatNeverSucceedFailWithTheirOwnLastError) {
  FakeClockGuard fake;
  constexpr int kRuns = 8;
  std::array<std::atomic<int>, kRuns> calls{};
  auto t = baton::task("hopeless-mapped", [&](int i) -> int {
             const int call = ++calls[static_cast<std::size_t>(i)];
             throw std::runtime_error("run " + std::to_string(i) + " attempt " + std::to_string(call) + " failed");
           }).retries(2);
  std::vector<Future<int>> runs;
  baton::flow("retry-hopeless", [&] {
    runs = t.map(std::views::iota(0, kRuns));
    for (auto& r : runs) r.wait();
  }).task_runner(runner())();
  ASSERT_EQ(runs.size(), static_cast<std::size_t>(kRuns));
  for (int i = 0; i < kRuns; ++i) {
    const auto k = static_cast<std::size_t>(i);
    EXPECT_EQ(runs[k].state().type, StateType::Failed) << "run " << i;
    try {
      (void)runs[k].result();
      ADD_FAILURE() << "run " << i << " did not fail";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), "run " + std::to_string(i) + " attempt 3 failed");
    }
    EXPECT_EQ(calls[k].load(), 3) << "run " << i;
  }
}

TEST_P(RetryOnRunner, ARetryConditionIsAskedForEachSubmittedRun) {
  FakeClockGuard fake;
  std::atomic<int> transient_calls{0}, permanent_calls{0};
  auto t = baton::task("picky-submitted", [&](bool permanent) -> int {
             if (permanent) {
               ++permanent_calls;
               throw std::logic_error("permanent");
             }
             if (++transient_calls == 1) throw std::runtime_error("transient");
             return 1;
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
  Future<int> transient, permanent;
  baton::flow("retry-condition-on-runner", [&] {
    transient = t.submit(false);
    permanent = t.submit(true);
    transient.wait();
    permanent.wait();
  }).task_runner(runner())();
  EXPECT_EQ(transient.result(), 1);
  EXPECT_EQ(transient_calls.load(), 2);
  EXPECT_THROW((void)permanent.result(), std::logic_error);
  EXPECT_EQ(permanent_calls.load(), 1) << "a refused retry ran again";
}

TEST_P(RetryOnRunner, AFlowRetryRerunsTheBodyAndItsSubmittedTasks) {
  FakeClockGuard fake;
  std::atomic<int> flow_attempts{0}, task_calls{0};
  auto t = baton::task("fails-in-first-flow-attempt", [&](int attempt) {
    ++task_calls;
    if (attempt == 1) throw std::runtime_error("first flow attempt");
    return attempt;
  });
  auto f = baton::flow("flaky-flow-on-runner", [&] { return t.submit(++flow_attempts).result(); })
               .retries(1)
               .retry_delay(3s)
               .task_runner(runner());
  EXPECT_EQ(f(), 2);
  EXPECT_EQ(task_calls.load(), 2);
  EXPECT_EQ(fake.clock().sleeps(), (std::vector<std::chrono::microseconds>{3s}));
  EXPECT_EQ(RecordedEvents::get().state_types_of(testing::last_flow_run()),
            (std::vector<StateType>{StateType::Running, StateType::AwaitingRetry, StateType::Retrying,
                                    StateType::Completed}));
}

}  // namespace
}  // namespace baton

// Behaviour Prefect 3's own tests assert, where baton used to differ (issue 12),
// and results that cannot be stored (issue 11).
#include "support.h"
#include "testutil/temp_dir.h"

#include "engine/flow_run.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::FakeClockGuard;
using testing::RecordedEvents;

class Parity : public ::testing::Test {
 protected:
  testing::TempDir dir_{"baton-parity"};
  std::shared_ptr<ResultStorage> storage_ = make_local_storage(dir_.str());
};

TEST_F(Parity, APersistedTaskCalledOutsideAFlowRunsItsBodyOnEveryCall) {
  std::atomic<int> calls{0};
  auto t = BATON_TASK("direct_persisted", [&](int x) { return x + ++calls; }).persist_result(true).result_storage(storage_);
  EXPECT_EQ(t(1), 2);
  EXPECT_EQ(t(1), 3) << "the second direct call was served the first one's result";
  EXPECT_EQ(t.return_state(1).state().type, StateType::Completed);
  // A later program run starts a new runtime: it must not find yesterday's value either.
  engine::reset_runtime_for_testing();
  EXPECT_EQ(t(1), 5);
  EXPECT_EQ(calls.load(), 4);
}

TEST_F(Parity, AStorageKeyIsTheResultsIdentity) {
  std::atomic<int> calls{0};
  auto t = BATON_TASK("keyed", [&](int month) { return month * 100 + ++calls; })
               .persist_result(true)
               .result_storage(storage_)
               .result_storage_key("months/{month}.bin");
  EXPECT_EQ(t(1), 101);
  // Another run (outside any flow, so another run id) with the same storage key
  // loads what the key holds instead of running.
  Future<int> again = t.return_state(1);
  EXPECT_EQ(again.state().type, StateType::Cached);
  EXPECT_EQ(again.result(), 101);
  EXPECT_EQ(calls.load(), 1);
  // A changed key recomputes.
  EXPECT_EQ(t(2), 202);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "months")) << "payload not under its storage key";
}

TEST_F(Parity, AKeyFunctionWinsOverAPolicySetAfterIt) {
  std::atomic<int> calls{0};
  auto t = BATON_TASK("key_fn_first", [&](int x) { return x + 10 * ++calls; })
               .result_storage(storage_)
               .cache_key_fn([](const cache::KeyContext&) { return std::optional<std::string>("one-key-for-all"); })
               .cache_policy(cache::inputs);
  EXPECT_EQ(t(1), 11);
  Future<int> second = t.return_state(2);  // other inputs, same key from the key function
  EXPECT_EQ(second.state().type, StateType::Cached);
  EXPECT_EQ(second.result(), 11);
  EXPECT_EQ(calls.load(), 1);
}

TEST(ParityRetry, AFailedAttemptWithoutDelayGoesStraightToRetrying) {
  FakeClockGuard fake;
  auto t = baton::task("no_delay", []() -> int { throw std::runtime_error("nope"); }).retries(2);
  Future<int> run = t.return_state();
  EXPECT_EQ(run.state().type, StateType::Failed);
  EXPECT_EQ(RecordedEvents::get().state_types_of(run.task_run_id()),
            (std::vector<StateType>{StateType::Running, StateType::Retrying, StateType::Retrying, StateType::Failed}));
  EXPECT_TRUE(fake.clock().sleeps().empty());
}

TEST(ParityRetry, TheLastErrorLineSaysRetriesAreExhausted) {
  FakeClockGuard fake;
  auto t = baton::task("exhausted", []() -> int { throw std::runtime_error("still broken"); }).retries(1);
  Future<int> run = t.return_state();
  bool said = false;
  for (const auto& l : RecordedEvents::get().logs_of_task(run.task_run_id())) {
    said |= l.message.find("Finished in state Failed('still broken') Retries are exhausted") != std::string::npos;
  }
  EXPECT_TRUE(said);
}

TEST(ParityArguments, NegativeJitterAndWaitTimeoutAreRefusedAtTheCall) {
  auto t = baton::task("jitter", [] { return 1; });
  try {
    t.retry_jitter_factor(-10);
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("retry_jitter_factor"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.retry_jitter_factor(std::nan("")), std::invalid_argument);
  std::vector<Future<int>> none;
  EXPECT_THROW(baton::wait(none, -1s), std::invalid_argument);
}

TEST(ParityFlow, AFlowTimeoutReadsLikeATaskTimeout) {
  auto f = baton::flow("timeout-text", [] {
             while (!stop_requested()) std::this_thread::sleep_for(1ms);
           }).timeout(100ms);
  try {
    f();
    FAIL() << "no timeout";
  } catch (const TimeoutError& e) {
    EXPECT_NE(std::string(e.what()).find("exceeded timeout of 0.1s"), std::string::npos) << e.what();
  }
}

// Prefect 3 decides a flow's final state from its return value too: a returned
// future whose run failed fails the flow with that run's message.
TEST(ParityFlow, AFlowReturningAFailedFutureFailsWithThatRunsMessage) {
  auto boom = baton::task("returned_boom", [](int) -> int { throw std::runtime_error("bad row 7"); });
  auto f = baton::flow("returns-failed-future", [&] { return boom.submit(1); });
  try {
    f();
    FAIL() << "the flow ended Completed although it returned a failed run";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "bad row 7");
  }
  EXPECT_EQ(detail::last_flow_run_state().type, StateType::Failed);
  EXPECT_EQ(detail::last_flow_run_state().message, "bad row 7");
}

TEST(ParityFlow, AFlowReturningFuturesFailsIfAnyOfThemFailedAndCompletesOtherwise) {
  auto half = baton::task("returned_half", [](int x) -> int {
    if (x == 3) throw std::invalid_argument("odd three");
    return x / 2;
  });
  auto all = baton::flow("returns-futures", [&](int n) { return half.map(std::vector<int>{n, 2, 4}); });
  EXPECT_THROW(all(3), std::invalid_argument);
  EXPECT_EQ(detail::last_flow_run_state().type, StateType::Failed);
  auto futures = all(6);
  EXPECT_EQ(detail::last_flow_run_state().type, StateType::Completed);
  EXPECT_EQ(futures.at(0).result(), 3);
}

// A result that was asked to be persisted and could not be is a failed task run,
// and its flow fails: never Completed with nothing stored.
class UnstorableResult : public ::testing::TestWithParam<int> {
 protected:
  std::shared_ptr<TaskRunner> runner() const { return GetParam() == 0 ? immediate() : thread_pool(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(Workers, UnstorableResult, ::testing::Values(0, 1, 4), [](const auto& param_info) {
  return param_info.param == 0 ? std::string("immediate") : std::to_string(param_info.param) + "workers";
});

TEST_P(UnstorableResult, FailsTheTaskRunAndTheFlowWithTheStoragesMessage) {
  setenv("BATON_RESULT_STORAGE", "gs://bucket/x", 1);
  std::atomic<int> calls{0};
  auto t = baton::task("wants_storage", [&](int x) { return x + ++calls; }).persist_result(true);
  Future<int> seen;
  auto f = baton::flow("unstorable", [&] {
             seen = t.submit(1);
             return seen.result();
           }).task_runner(runner());
  try {
    f();
    ADD_FAILURE() << "the flow completed without storing its task's result";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("gs"), std::string::npos) << e.what();
  }
  unsetenv("BATON_RESULT_STORAGE");
  ASSERT_TRUE(seen.valid());
  EXPECT_EQ(seen.state().type, StateType::Failed);
  EXPECT_NE(seen.state().message.find("could not be persisted"), std::string::npos) << seen.state().message;
  EXPECT_EQ(RecordedEvents::get().state_types_of(testing::last_flow_run()).back(), StateType::Failed);
}

}  // namespace
}  // namespace baton

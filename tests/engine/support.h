#pragma once
// Test support for the engine: a run store sink that keeps events in memory (so a
// test can read back exactly what the engine recorded), and a guard that installs
// the shared fake clock (testutil/fake_clock.h) as the engine's clock.
#include <baton/baton.h>

#include "engine/events.h"
#include "engine/run_store_sink.h"
#include "engine/runtime.h"
#include "testutil/fake_clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <vector>

namespace baton::testing {

// Everything the engine recorded in this process, across runtimes.
class RecordedEvents {
 public:
  static RecordedEvents& get();
  void add(std::span<const engine::Event> batch);
  std::vector<engine::Event> all();  // flushes the engine first

  std::vector<engine::StateChanged> states_of(const RunId& run);
  std::vector<StateType> state_types_of(const RunId& run);
  std::vector<engine::TaskRunCreated> task_runs_of(const RunId& flow_run);
  std::vector<engine::EdgeAdded> edges_of(const RunId& flow_run);
  std::vector<engine::LogRecorded> logs_of_task(const RunId& task_run);
  std::vector<engine::LogRecorded> logs_of_flow(const RunId& flow_run);
  std::optional<engine::FlowRunCreated> flow_run(const RunId& id);
  std::vector<engine::FlowRunCreated> flow_runs_named(const std::string& name);

 private:
  std::mutex mu_;
  std::vector<engine::Event> events_;
};

// Installs a FakeClock as the engine's clock for the lifetime of the guard.
class FakeClockGuard {
 public:
  FakeClockGuard() { engine::set_clock_for_testing(&clock_); }
  ~FakeClockGuard() { engine::set_clock_for_testing(nullptr); }
  FakeClock& clock() { return clock_; }

 private:
  FakeClock clock_;
};

// A suite that runs at every worker count a user may pick: the immediate runner
// (parameter 0: submitted runs execute inline) and thread pools of 1, 2, 4 and 8
// workers. Instantiate with BATON_AT_EVERY_WORKER_COUNT(Suite).
class AtEveryWorkerCount : public ::testing::TestWithParam<int> {
 protected:
  int workers() const { return GetParam(); }
  bool is_immediate() const { return GetParam() == 0; }
  std::shared_ptr<TaskRunner> runner() const { return is_immediate() ? immediate() : thread_pool(GetParam()); }
};

// "immediate", "1workers", "2workers", ...
std::string worker_count_name(const ::testing::TestParamInfo<int>& info);

#define BATON_AT_EVERY_WORKER_COUNT(Suite)                                              \
  INSTANTIATE_TEST_SUITE_P(Workers, Suite, ::testing::Values(0, 1, 2, 4, 8), \
                           ::baton::testing::worker_count_name)

// The id of the last flow run this thread finished.
RunId last_flow_run();

}  // namespace baton::testing

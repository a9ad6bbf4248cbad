#pragma once
// Test support for the engine: a run store sink that keeps events in memory (so a
// test can read back exactly what the engine recorded), and a fake clock.
#include <baton/baton.h>

#include "engine/events.h"
#include "engine/run_store_sink.h"
#include "engine/runtime.h"
#include "util/clock.h"

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

// A clock whose time moves only when the engine sleeps: retry delays are recorded
// instead of waited for.
class FakeClock final : public Clock {
 public:
  TimePoint now() const override;
  bool sleep_for(std::chrono::microseconds duration, std::stop_token stop) override;
  std::vector<std::chrono::microseconds> sleeps() const;

 private:
  mutable std::mutex mu_;
  TimePoint now_ = TimePoint(std::chrono::hours(24 * 365 * 30));
  std::vector<std::chrono::microseconds> sleeps_;
};

// Installs a FakeClock for the lifetime of the guard.
class FakeClockGuard {
 public:
  FakeClockGuard() { engine::set_clock_for_testing(&clock_); }
  ~FakeClockGuard() { engine::set_clock_for_testing(nullptr); }
  FakeClock& clock() { return clock_; }

 private:
  FakeClock clock_;
};

// The id of the last flow run this thread finished.
RunId last_flow_run();

}  // namespace baton::testing

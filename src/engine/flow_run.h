#pragma once
// A flow run while it executes: its identity, options, cancellation and the count
// of task runs it still waits for.
#include <baton/flow.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace baton::detail {

class FlowRunCore {
 public:
  RunId id;
  RunId parent_id;
  std::shared_ptr<const FlowOptions> options;
  std::string run_name;
  std::shared_ptr<TaskRunner> runner;
  bool log_prints = false;
  std::optional<Fingerprint> parameters_fingerprint;  // for the flow_parameters cache policy
  // Valid while the run executes; atomic because a task body that outlives its
  // flow run (a timed-out body still running) may read it through run_context().
  std::atomic<const FlowCall*> call{nullptr};
  std::vector<std::string> tags;           // its own, then those of open tags_scope objects
  std::atomic<int> run_count{0};           // attempts so far

  // The key a child flow's persisted return value is found by in this run: the
  // n-th call of that flow with those parameters in the current attempt, so a
  // retry of this run finds what the previous attempt's children returned.
  std::string child_result_key(const std::string& flow_name, const std::optional<Fingerprint>& parameters);
  void begin_attempt();

  std::stop_source stop;                   // requested on cancel and on timeout
  std::atomic<bool> cancel_requested{false};
  std::atomic<bool> timed_out{false};

  void task_started();
  void task_finished();
  void wait_for_tasks();

 private:
  // Counted without the lock on the hot path; the lock only pairs the last
  // decrement's notification with a waiter.
  std::atomic<std::int64_t> unfinished_{0};
  std::mutex mu_;
  std::map<std::string, int> child_calls_;  // guarded by mu_
  std::condition_variable cv_;
};

// The last flow run this thread finished (for run_main's closing line, and tests).
const RunId& last_flow_run_id();
const std::string& last_flow_run_name();
const State& last_flow_run_state();

}  // namespace baton::detail

#pragma once
// A flow run while it executes: its identity, options, cancellation and the count
// of task runs it still waits for.
#include <baton/flow.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

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
  std::condition_variable cv_;
};

// The last flow run this thread finished (for run_main's closing line, and tests).
const RunId& last_flow_run_id();
const std::string& last_flow_run_name();
const State& last_flow_run_state();

}  // namespace baton::detail

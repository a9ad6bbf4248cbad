#pragma once
// The engine's side of running task bodies in other processes (process pool,
// MPI). The engine keeps states, retries, caching and the run history in the
// submitting process and hands such a runner one attempt's body at a time.
#include <baton/detail/run_core.h>
#include <baton/result_record.h>

#include "engine/task_results.h"

#include <optional>

namespace baton::engine {

struct RemoteOutcome {
  bool value_in_memory = false;            // the value came back and was read into the run
  std::optional<ResultRecord> persisted;   // the worker persisted it as the plan asked
};

class RemoteExecutor {
 public:
  virtual ~RemoteExecutor() = default;
  // Runs one attempt's body of `run` in another process; when `plan.persist`, the
  // worker persists the result as the plan says. Throws what the body threw (as
  // RemoteTaskError), CrashedError when the process running it died, and
  // CancelledError when the run's stop token fired (the worker is then stopped).
  virtual RemoteOutcome run_body(detail::TaskRunCore& run, const detail::ResultPlan& plan) = 0;
};

}  // namespace baton::engine

#pragma once
// Which run the calling thread is executing: set by the engine around flow bodies
// and task attempts, read by logging, stop tokens and nested calls.
#include <baton/detail/run_core.h>

#include <memory>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

namespace baton::detail {

class FlowRunCore;

// A run executing in another process: a worker's body is attributed to it.
struct RemoteOrigin {
  RunId flow_run;
  RunId task_run;
  std::string who;  // "Task run 'name-abc'"
};

struct RunContext {
  const std::shared_ptr<FlowRunCore>* flow = nullptr;  // the flow run, if any
  TaskRunCore* task = nullptr;                          // the task run, if any
  std::stop_token stop;                                 // what the body should poll
  bool log_prints = false;
  const RemoteOrigin* remote = nullptr;                 // set in worker processes
};

RunContext& current_context();

// The tags of this thread's open tags_scope objects, outermost first.
const std::vector<std::string>& scope_tags();
// `own` followed by the scope's tags that are not already in it.
std::vector<std::string> with_scope_tags(const std::vector<std::string>& own);

// Sets the context for the lifetime of the guard, restoring the previous one.
class ContextGuard {
 public:
  explicit ContextGuard(RunContext next) : saved_(current_context()) { current_context() = std::move(next); }
  ~ContextGuard() { current_context() = std::move(saved_); }
  ContextGuard(const ContextGuard&) = delete;
  ContextGuard& operator=(const ContextGuard&) = delete;

 private:
  RunContext saved_;
};

}  // namespace baton::detail

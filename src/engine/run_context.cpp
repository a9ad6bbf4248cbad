#include "engine/run_context.h"

#include "engine/flow_run.h"
#include "engine/runtime.h"

#include <baton/error.h>
#include <baton/task.h>

namespace baton {

namespace detail {

RunContext& current_context() {
  thread_local RunContext ctx;
  return ctx;
}

std::shared_ptr<FlowRunCore> current_flow_run() {
  const RunContext& ctx = current_context();
  return ctx.flow != nullptr ? *ctx.flow : nullptr;
}

std::shared_ptr<TaskRunner> current_runner() {
  const RunContext& ctx = current_context();
  if (ctx.flow != nullptr && *ctx.flow && (*ctx.flow)->runner) return (*ctx.flow)->runner;
  // Null only in a program linked without the umbrella library: runs go inline.
  return engine::Runtime::get().default_runner();
}

}  // namespace detail

bool stop_requested() { return detail::current_context().stop.stop_requested(); }

std::stop_token stop_token() { return detail::current_context().stop; }

void throw_if_stop_requested() {
  if (stop_requested()) throw CancelledError("the run was asked to stop (cancelled or timed out)");
}

}  // namespace baton

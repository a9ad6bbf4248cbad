#include "engine/run_context.h"

#include "engine/flow_run.h"
#include "engine/runtime.h"

#include <baton/error.h>

#include <algorithm>
#include <baton/run_context.h>
#include <baton/task.h>

namespace baton {

namespace detail {

RunContext& current_context() {
  thread_local RunContext ctx;
  return ctx;
}

namespace {
std::vector<std::string>& scope_tag_stack() {
  thread_local std::vector<std::string> tags;
  return tags;
}
}  // namespace

const std::vector<std::string>& scope_tags() { return scope_tag_stack(); }

std::vector<std::string> with_scope_tags(const std::vector<std::string>& own) {
  std::vector<std::string> out = own;
  for (const auto& t : scope_tag_stack()) {
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  return out;
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

tags_scope::tags_scope(std::vector<std::string> tags) : added_(tags.size()) {
  auto& stack = detail::scope_tag_stack();
  for (auto& t : tags) stack.push_back(std::move(t));
}

tags_scope::~tags_scope() {
  auto& stack = detail::scope_tag_stack();
  stack.resize(stack.size() - std::min(added_, stack.size()));
}

CurrentRun run_context() {
  const detail::RunContext& ctx = detail::current_context();
  CurrentRun out;
  const detail::FlowRunCore* flow = ctx.flow != nullptr ? ctx.flow->get() : nullptr;
  if (ctx.task != nullptr) {
    const detail::TaskRunCore& run = *ctx.task;
    TaskRunContext t;
    t.id = run.id();
    t.name = run.run_name();
    t.task_name = *run.options().name;
    {
      std::lock_guard lock(run.mu_);
      t.run_count = run.run_count_;
    }
    t.parameters = run.describe_parameters();
    t.tags = run.scope_tags_.empty() ? run.options().tags : run.scope_tags_;
    t.flow_run_id = flow != nullptr ? flow->id : RunId{};
    out.task_run = std::move(t);
  } else if (ctx.remote != nullptr) {
    // A worker process: the body runs for a task run of another process.
    TaskRunContext t;
    t.id = ctx.remote->task_run;
    t.flow_run_id = ctx.remote->flow_run;
    out.task_run = std::move(t);
  }
  if (flow != nullptr) {
    FlowRunContext f;
    f.id = flow->id;
    f.name = flow->run_name;
    f.flow_name = *flow->options->name;
    f.run_count = flow->run_count.load(std::memory_order_relaxed);
    const detail::FlowCall* call = flow->call.load(std::memory_order_acquire);
    if (call != nullptr && call->describe_parameters) f.parameters = call->describe_parameters();
    f.tags = flow->tags;
    f.parent_flow_run_id = flow->parent_id;
    out.flow_run = std::move(f);
  }
  return out;
}

bool stop_requested() { return detail::current_context().stop.stop_requested(); }

std::stop_token stop_token() { return detail::current_context().stop; }

void throw_if_stop_requested() {
  if (stop_requested()) throw CancelledError("the run was asked to stop (cancelled or timed out)");
}

}  // namespace baton

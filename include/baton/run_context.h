#pragma once
// The run a body (or a state hook) is executing in, as Prefect's runtime context:
//
//   auto t = baton::task("load", [](int month) {
//     auto ctx = baton::run_context();
//     log(ctx.task_run->name, ctx.task_run->run_count, ctx.flow_run->name);
//   });
//
// Built when asked for, from the engine's thread-local context: nothing is
// allocated per run for it.
#include <baton/run_id.h>

#include <optional>
#include <string>
#include <vector>

namespace baton {

struct TaskRunContext {
  RunId id;
  std::string name;        // the run's name ("load-3a1" or its task_run_name)
  std::string task_name;
  int run_count = 0;       // the attempt: 1 on the first, 2 on the first retry, ...
  std::string parameters;  // the arguments as JSON text, as the run history shows them
  std::vector<std::string> tags;
  RunId flow_run_id;       // empty outside a flow
};

struct FlowRunContext {
  RunId id;
  std::string name;
  std::string flow_name;
  int run_count = 0;
  std::string parameters;  // JSON text
  std::vector<std::string> tags;
  RunId parent_flow_run_id;  // empty for a top-level flow run
};

struct CurrentRun {
  std::optional<TaskRunContext> task_run;  // set inside a task body or task hook
  std::optional<FlowRunContext> flow_run;  // set inside a flow, and in its tasks
};

// Outside any run both parts are empty.
CurrentRun run_context();

}  // namespace baton

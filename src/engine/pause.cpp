// pause_flow_run: the flow's thread waits for a resume file that
// `baton flow-run resume ID` creates under $BATON_HOME/resume/<flow run id>.
// A file, not the run store, so it works with whichever store records history.
#include <baton/error.h>
#include <baton/pause.h>

#include "engine/flow_run.h"
#include "engine/logging_internal.h"
#include "engine/names.h"
#include "engine/run_context.h"
#include "engine/runtime.h"
#include "engine/settings.h"

#include <filesystem>
#include <system_error>

namespace baton {

namespace detail {
std::filesystem::path resume_file(const RunId& flow_run) {
  return settings::home() / "resume" / flow_run.str();
}
}  // namespace detail

void pause_flow_run(std::chrono::milliseconds timeout) {
  const detail::RunContext& ctx = detail::current_context();
  if (ctx.task != nullptr || ctx.flow == nullptr || !*ctx.flow) {
    throw Error("pause_flow_run: only a flow body can pause its flow run (not a task, not outside a flow)");
  }
  if (timeout.count() < 0) throw std::invalid_argument("pause_flow_run: the timeout is negative");
  detail::FlowRunCore& flow = **ctx.flow;
  engine::Runtime& rt = engine::Runtime::get();
  const std::string who = "Flow run '" + flow.run_name + "'";
  const auto file = detail::resume_file(flow.id);
  std::error_code ec;
  std::filesystem::remove(file, ec);  // a stale resume from before must not let it through
  auto record = [&](StateType type, const std::string& message) {
    if (rt.history()) rt.record(engine::StateChanged{flow.id, engine::RunKind::Flow, type, rt.clock().now(), message});
  };
  record(StateType::Paused, "waiting for `baton flow-run resume " + flow.id.str() + "` (timeout " +
                                detail::duration_text(timeout) + ")");
  engine::log_run_message(LogLevel::Info, flow.id, {}, who,
                          "Paused; resume with `baton flow-run resume " + flow.id.str() + "`");
  rt.flush();  // the CLI must see Paused before anyone resumes
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!std::filesystem::exists(file, ec)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      throw TimeoutError("flow run '" + flow.run_name + "' was paused longer than its timeout of " +
                         detail::duration_text(timeout));
    }
    if (!rt.clock().sleep_for(std::chrono::milliseconds(50), ctx.stop)) {
      throw CancelledError("flow run '" + flow.run_name + "' was cancelled while paused");
    }
  }
  std::filesystem::remove(file, ec);
  record(StateType::Running, "resumed");
  engine::log_run_message(LogLevel::Info, flow.id, {}, who, "Resumed");
}

}  // namespace baton

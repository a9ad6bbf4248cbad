#include <baton/logging.h>

#include "engine/flow_run.h"
#include "engine/log_capture.h"
#include "engine/logging_internal.h"
#include "engine/run_context.h"
#include "engine/runtime.h"
#include "util/libc_time.h"

#include <chrono>
#include <ctime>

namespace baton {

namespace {

// The ids and the "Task run 'x'" label of the calling thread's run.
struct Origin {
  RunId flow_run;
  RunId task_run;
  std::string who;
};

Origin current_origin() {
  const detail::RunContext& ctx = detail::current_context();
  Origin o;
  if (ctx.remote != nullptr) return {ctx.remote->flow_run, ctx.remote->task_run, ctx.remote->who};
  if (ctx.flow != nullptr && *ctx.flow) {
    o.flow_run = (*ctx.flow)->id;
    o.who = "Flow run '" + (*ctx.flow)->run_name + "'";
  }
  if (ctx.task != nullptr) {
    o.task_run = ctx.task->id();
    o.who = "Task run '" + ctx.task->run_name() + "'";
  }
  return o;
}

std::string clock_prefix(TimePoint now) {
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::tm tm = local_time(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

bool log_enabled(LogLevel level) { return level >= engine::Runtime::get().log_level(); }

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  Origin o = current_origin();
  engine::log_run_message(level, o.flow_run, o.task_run, o.who, message);
}

namespace engine {

void log_run_message(LogLevel level, const RunId& flow_run, const RunId& task_run, std::string_view who,
                     std::string_view message) {
  Runtime& rt = Runtime::get();
  if (level < rt.log_level()) return;
  TimePoint now = std::chrono::system_clock::now();
  if (!flow_run.empty() || !task_run.empty()) {
    rt.record(LogRecorded{flow_run, task_run, level, now, std::string(message)});
  }
  std::string line = clock_prefix(now) + " | ";
  std::string_view name = to_string(level);
  line += name;
  line.append(name.size() < 8 ? 8 - name.size() : 0, ' ');
  line += " | ";
  if (!who.empty()) {
    line += who;
    line += " - ";
  }
  line += message;
  line += '\n';
  write_terminal(true, line);
}

void record_captured_line(LogLevel level, std::string_view line) {
  Runtime& rt = Runtime::get();
  if (level < rt.log_level() || !rt.history()) return;
  Origin o = current_origin();
  rt.record(LogRecorded{o.flow_run, o.task_run, level, std::chrono::system_clock::now(), std::string(line)});
}

}  // namespace engine
}  // namespace baton

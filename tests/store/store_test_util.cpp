#include "store_test_util.h"

#include "util/process_info.h"

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include <unistd.h>

namespace baton::store::testing {

const std::string* intern(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<std::string>> names;
  std::lock_guard lock(mu);
  auto& slot = names[name];
  if (!slot) slot = std::make_unique<std::string>(name);
  return slot.get();
}

engine::FlowRunCreated flow_created(RunId id, const std::string& flow, TimePoint at) {
  engine::FlowRunCreated e;
  e.id = id;
  e.flow_name = intern(flow);
  e.run_name = flow + "-run";
  e.parameters_json = R"({"path": "taxi.parquet", "n": 3})";
  e.tags_json = R"(["nightly"])";
  e.version = "1.0";
  e.created = at;
  e.pid = ::getpid();
  e.process_started = process_start_time(e.pid).value_or(0);
  e.hostname = host_name();
  return e;
}

engine::TaskRunCreated task_created(RunId id, RunId flow_run, const std::string& task, TimePoint at) {
  engine::TaskRunCreated e;
  e.id = id;
  e.flow_run = flow_run;
  e.task_name = intern(task);
  e.run_name = task + "-0";
  e.parameters_json = R"({"x": 1})";
  e.tags_json = "[]";
  e.created = at;
  return e;
}

engine::StateChanged flow_state(RunId id, StateType type, TimePoint at, std::string message) {
  return engine::StateChanged{id, engine::RunKind::Flow, type, at, std::move(message)};
}

engine::StateChanged task_state(RunId id, StateType type, TimePoint at, std::string message) {
  return engine::StateChanged{id, engine::RunKind::Task, type, at, std::move(message)};
}

TimePoint at_second(long long s) { return TimePoint(std::chrono::seconds(s)); }

}  // namespace baton::store::testing

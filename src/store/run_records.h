#pragma once
// What the run history holds, as read back by RunStoreReader: plain values.
#include <baton/log_level.h>
#include <baton/run_id.h>
#include <baton/state.h>

#include "engine/events.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace baton::store {

struct StateTransition {
  StateType type = StateType::Pending;
  TimePoint at{};
  std::string message;
};

struct FlowRunRecord {
  RunId id;
  RunId parent_flow_run;  // empty for a top-level flow run
  std::string flow_name;
  std::string run_name;
  std::string parameters_json;
  std::string tags_json;
  std::string version;
  TimePoint created{};
  StateType state = StateType::Pending;  // the latest state
  TimePoint state_time{};
  std::string state_message;
  std::optional<TimePoint> start_time;  // first Running
  std::optional<TimePoint> end_time;    // set once final
  std::vector<StateTransition> history; // oldest first
  std::int64_t pid = 0;
  std::uint64_t process_started = 0;
  std::string hostname;
  std::optional<TimePoint> heartbeat;
  std::optional<TimePoint> cancel_requested;
  std::int64_t task_run_count = 0;
  // Set by the server for runs a deployment created (issue 16); empty otherwise.
  // state_label is a server-only state name ("Late") where `state` can only say
  // Scheduled.
  std::string state_label;
  std::optional<std::string> deployment;
  std::optional<std::string> work_pool;
  std::optional<std::string> schedule;
  std::optional<TimePoint> expected_start_time;
  std::optional<std::string> worker;
  std::optional<TimePoint> lease_expires;
  std::int64_t run_count = 0;
};

struct TaskRunRecord {
  RunId id;
  RunId flow_run;  // empty for a task run outside any flow
  std::string task_name;
  std::string run_name;
  std::string parameters_json;
  std::string tags_json;
  TimePoint created{};
  StateType state = StateType::Pending;
  TimePoint state_time{};
  std::string state_message;
  std::optional<TimePoint> start_time;
  std::optional<TimePoint> end_time;
  std::vector<StateTransition> history;
};

struct EdgeRecord {
  RunId upstream;
  RunId downstream;
  engine::EdgeKind kind = engine::EdgeKind::Data;
};

// A task run's persisted result, or the cached one it reused.
struct ResultRecordInfo {
  RunId task_run;
  std::string cache_key;
  std::string location;  // "<storage>/<key>"
  std::int64_t size = 0;
  std::string serializer;
  RunId produced_by;     // the run that computed the value
  bool from_cache = false;
};

struct LogRecord {
  RunId flow_run;
  RunId task_run;  // empty for a flow-level line
  LogLevel level = LogLevel::Info;
  TimePoint at{};
  std::string message;
};

}  // namespace baton::store

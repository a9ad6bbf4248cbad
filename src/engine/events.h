#pragma once
// The in-process event stream's vocabulary: everything the run history records.
// The engine produces these on its hot path (so they hold ids and interned names,
// not formatted text); a run store consumes them in batches on a writer thread.
#include <baton/log_level.h>
#include <baton/run_id.h>
#include <baton/state.h>

#include <cstdint>
#include <string>
#include <variant>

namespace baton::engine {

struct FlowRunCreated {
  RunId id;
  RunId parent_flow_run;       // empty for a top-level flow run
  const std::string* flow_name = nullptr;  // interned: lives for the whole process
  std::string run_name;
  std::string parameters_json;  // {"path": "taxi.parquet", ...}
  std::string tags_json;        // ["nightly", ...]
  std::string version;
  Timestamp created{};
  std::int64_t pid = 0;
  std::uint64_t process_started = 0;  // start time of `pid` (/proc/<pid>/stat field 22): tells a reused pid apart
  std::string hostname;
};

struct TaskRunCreated {
  RunId id;
  RunId flow_run;               // empty for a task run outside any flow
  const std::string* task_name = nullptr;  // interned
  std::string run_name;
  std::string parameters_json;  // scalars by value, futures as {"upstream": id}, the rest by type
  std::string tags_json;
  Timestamp created{};
};

enum class RunKind : std::uint8_t { Flow, Task };

struct StateChanged {
  RunId run;
  RunKind kind = RunKind::Task;
  StateType type = StateType::Pending;
  Timestamp at{};
  std::string message;
};

enum class EdgeKind : std::uint8_t { Data, WaitFor };

struct EdgeAdded {
  RunId flow_run;
  RunId upstream;    // a task run
  RunId downstream;  // a task run
  EdgeKind kind = EdgeKind::Data;
};

struct LogRecorded {
  RunId flow_run;
  RunId task_run;    // empty for a flow-level line
  LogLevel level = LogLevel::Info;
  Timestamp at{};
  std::string message;
};

// A task run's result was persisted, or came from the cache.
struct ResultRecorded {
  RunId task_run;
  RunId flow_run;
  std::string cache_key;     // empty when not cached
  std::string location;      // "<storage location>/<storage key>"
  std::uint64_t size = 0;    // payload bytes
  std::string serializer;
  RunId produced_by;         // the task run that computed the value (itself unless cached)
  bool from_cache = false;
};

using Event = std::variant<FlowRunCreated, TaskRunCreated, StateChanged, EdgeAdded, LogRecorded, ResultRecorded>;

}  // namespace baton::engine

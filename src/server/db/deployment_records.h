#pragma once
// The rows of issue 16's tables as the stores return them: work pools,
// deployments and their schedules, workers, concurrency limits, artifacts.
// Times are microseconds since the Unix epoch; JSON-valued columns (command,
// parameters, tags, artifact data) are kept as JSON text.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace baton::server::db {

struct WorkPoolRow {
  std::string name;
  std::string description;
  std::optional<std::int64_t> concurrency_limit;
  bool paused = false;
  std::int64_t created_us = 0;
  std::int64_t workers_online = 0;
  std::int64_t runs_scheduled = 0;  // Scheduled or Late
  std::int64_t runs_running = 0;    // claimed and not final
};

struct ScheduleRow {
  std::string id;  // "<deployment id>-s<position>": stable across updates
  std::string kind;  // cron, interval, rrule
  std::string expression;  // the cron text, the interval in seconds, the rrule text
  std::string timezone = "UTC";
  std::optional<std::int64_t> anchor_us;
  bool active = true;
};

struct DeploymentRow {
  std::string id;
  std::string name;
  std::string flow_name;
  std::string command_json = "[]";
  std::string description;
  std::string parameters_json = "{}";
  std::string parameter_specs_json = "[]";
  std::string tags_json = "[]";
  std::string work_pool;
  bool paused = false;
  std::int64_t retries = 0;
  std::int64_t retry_delay_us = 0;
  std::optional<std::int64_t> concurrency_limit;
  std::int64_t created_us = 0;
  std::int64_t updated_us = 0;
  std::vector<ScheduleRow> schedules;
  std::vector<std::int64_t> next_runs_us;  // the next few scheduled runs not started
};

struct WorkerRow {
  std::string id;
  std::string name;
  std::string work_pool;
  std::string hostname;
  std::int64_t pid = 0;
  std::optional<std::int64_t> limit;
  std::int64_t last_heartbeat_us = 0;
  std::int64_t lease_us = 0;
  bool online = false;  // heard from within 3 lease periods
  std::vector<std::string> runs;
};

struct ConcurrencyLimitRow {
  std::string tag;
  std::int64_t limit = 0;
  std::int64_t active_slots = 0;
  std::vector<std::string> holders;
  std::int64_t created_us = 0;
};

struct ArtifactRow {
  std::string id;
  std::string key;
  std::int64_t version = 0;
  std::string type;  // markdown, table, link
  std::string data_json;
  std::string description;
  std::optional<std::string> flow_run;
  std::optional<std::string> task_run;
  std::int64_t created_us = 0;
};

}  // namespace baton::server::db

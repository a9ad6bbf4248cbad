#pragma once
// The results step of a task run: where its value is persisted, whether the cache
// already holds it, and keeping it (or reloading it) afterwards.
#include <baton/detail/run_core.h>

#include <memory>
#include <optional>
#include <string>

namespace baton::detail {

class FlowRunCore;

// What the options (task, then flow, then settings) say for one run.
struct ResultPlan {
  bool persist = false;
  bool lookup = false;          // try the cache before running
  bool keep_in_memory = true;
  // A cache hit loads the value now (false under runners that run bodies
  // elsewhere: the tasks that need it read it from storage where they run).
  bool load_hit_now = true;
  std::shared_ptr<ResultStorage> storage;
  Serializer serializer = Serializer::binary();
  std::optional<std::string> cache_key;
  std::optional<std::string> storage_key;
  std::optional<std::chrono::milliseconds> expiration;
  std::shared_ptr<LockManager> locks;  // set for serializable isolation
  // Why the result that was asked for cannot be stored (a storage that cannot be
  // opened, a storage key that cannot be filled): the run fails with it.
  std::optional<std::string> error;
};

// Never throws: what goes wrong is in `error`.
ResultPlan plan_results(TaskRunCore& run, const FlowRunCore* flow);

// Looks the key up; on a usable hit sets the run's record (and value, when it is
// kept in memory) and returns true. A corrupt or missing payload is a warning and
// a miss.
bool load_from_cache(TaskRunCore& run, const ResultPlan& plan, const FlowRunCore* flow);

// Takes a result a worker process persisted as `plan` asked (remote runners).
void adopt_persisted(TaskRunCore& run, const ResultPlan& plan, const FlowRunCore* flow, const ResultRecord& record);

// persist_failures: stores the final error text of a run that ended badly; a
// storage that fails is a warning (the run is failed already).
void persist_failure(TaskRunCore& run, const FlowRunCore* flow, const std::string& message);

// Persists the value after a successful attempt. Returns an error text on failure.
std::optional<std::string> persist_value(TaskRunCore& run, const ResultPlan& plan, const FlowRunCore* flow);

}  // namespace baton::detail

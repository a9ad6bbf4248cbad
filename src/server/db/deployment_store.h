#pragma once
// Work pools, deployments and their schedules, and the runs deployments create:
// by hand (create_run), by the scheduler (schedule_runs), again after a failure
// (retry). Written once over db::Connection for SQLite and PostgreSQL.
//
// Idempotence: a scheduled run is one row per (schedule id, expected start
// time), guarded by a unique index and inserted with ON CONFLICT DO NOTHING, so
// applying a deployment twice, or two schedulers on one PostgreSQL, never makes
// two runs for one time. A schedule's id is "<deployment id>-s<position>" and
// survives updates: runs for times still in the updated schedule are kept.
//
// Horizon: each active schedule has its runs created ahead for the next
// `kHorizon` (1 day) or `kMaxAhead` (100) runs, whichever is fewer.
//
// Errors: NotFound (404), Conflict (409), Unprocessable (422 naming the field),
// DbError. Thread safety: every member may be called from any thread.
#include "server/db/deployment_records.h"
#include "server/db/server_database.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace baton::server::db {

inline constexpr std::chrono::hours kHorizon{24};
inline constexpr std::size_t kMaxAhead = 100;
// A Scheduled run not claimed this long after its time becomes Late.
inline constexpr std::chrono::seconds kLateAfter{15};

// Checks a schedule (cron text, interval, rrule, time zone); throws
// Unprocessable naming `field` ("schedules[0].cron") and what is wrong.
void check_schedule(const ScheduleRow& s, const std::string& field);

// Merges `given` (a JSON object text) over the deployment's defaults and checks
// every value against parameter_specs: an unknown name or a value not of the
// declared type (int64/int/double/float/bool/string) is Unprocessable naming
// "parameters.<name>". Returns the merged object as JSON text.
std::string merge_parameters(const DeploymentRow& d, const std::string& given_json);

struct ScheduleOutcome {
  std::int64_t created = 0;  // runs inserted (not counting those that existed)
  std::vector<std::string> pools;  // pools that got runs (to wake their workers)
};

class DeploymentStore {
 public:
  // `on_runs_ready(pool)` is told when runs of a pool were created or became
  // claimable again (the claim long poll's wake-up).
  DeploymentStore(ServerDatabase& db, std::function<void(const std::string&)> on_runs_ready = {});

  // ---- work pools
  // Creates or updates; returns the pool and whether it was created.
  std::pair<WorkPoolRow, bool> apply_work_pool(const WorkPoolRow& in, std::int64_t now_us);
  std::vector<WorkPoolRow> list_work_pools(std::int64_t now_us);
  WorkPoolRow read_work_pool(const std::string& name, std::int64_t now_us);
  // Conflict naming the deployments that still use it.
  void delete_work_pool(const std::string& name);

  // ---- deployments
  // Creates or updates `in` (its schedules already checked; id and times are
  // assigned here). The pool must exist (NotFound). Updating deletes the runs
  // not started for times no longer in a schedule, and creates the runs ahead.
  std::pair<DeploymentRow, bool> apply_deployment(DeploymentRow in, std::int64_t now_us);
  Page<DeploymentRow> list_deployments(const std::optional<std::string>& pool, int limit,
                                       const std::optional<std::string>& cursor);
  DeploymentRow read_deployment(const std::string& name);
  // Deletes the deployment, its schedules and its runs not started.
  void delete_deployment(const std::string& name);
  // Pausing deletes its scheduled runs not started; resuming creates them again.
  DeploymentRow set_paused(const std::string& name, bool paused, std::int64_t now_us);
  // A run now (or at `scheduled_us`), Scheduled. `parameters_json` is merged
  // and checked already.
  store::FlowRunRecord create_run(const DeploymentRow& d, const std::string& parameters_json,
                                  const std::optional<std::string>& tags_json, std::optional<std::int64_t> scheduled_us,
                                  const std::string& run_name, std::int64_t now_us);
  // Schedules a final deployment run again (run_count + 1). Conflict when the
  // run is not final or not from a deployment.
  store::FlowRunRecord retry(std::string_view id_or_prefix, std::int64_t now_us);

  // ---- the scheduler's work
  // Creates the runs ahead for every active schedule of every unpaused
  // deployment (or only `deployment`).
  ScheduleOutcome schedule_runs(std::int64_t now_us, const std::optional<std::string>& deployment = std::nullopt);
  // Scheduled runs kLateAfter past their time become Late. Returns how many.
  std::int64_t mark_late(std::int64_t now_us);

 private:
  void notify(const std::vector<std::string>& pools);
  ServerDatabase& db_;
  std::function<void(const std::string&)> on_runs_ready_;
};

}  // namespace baton::server::db

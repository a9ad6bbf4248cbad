#include "server/db/migrations.h"

#include <fmt/format.h>

#include <array>
#include <string>
#include <string_view>

namespace baton::server::db {

namespace {

struct Migration {
  std::string_view sqlite;
  std::string_view postgres;
};

// Ids are run ids as text (their order is the order of their hex, so a prefix is
// a range). Times are microseconds since the Unix epoch. A run's history is a
// JSON array [[state, time, message?], ...] in its own row (one row write per
// run and batch). end_time is NULL exactly while a run is not final.
// task_run_count is kept by ingest so a list of flow runs never counts rows.
// ingest_sources makes ingest idempotent: the last seq applied per engine.
// On PostgreSQL, logs is partitioned by day (logs_d<days since the epoch>,
// created by ingest before the first line of a day): retention drops old days
// instead of deleting rows.
constexpr Migration kMigration1{
    R"sql(
CREATE TABLE flow_runs (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  parent_flow_run TEXT,
  flow_name TEXT NOT NULL,
  run_name TEXT NOT NULL DEFAULT '',
  parameters TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]',
  version TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL,
  state TEXT NOT NULL,
  state_time INTEGER NOT NULL,
  state_message TEXT NOT NULL DEFAULT '',
  start_time INTEGER,
  end_time INTEGER,
  history TEXT NOT NULL DEFAULT '[]',
  pid INTEGER NOT NULL DEFAULT 0,
  process_started INTEGER NOT NULL DEFAULT 0,
  hostname TEXT NOT NULL DEFAULT '',
  heartbeat INTEGER,
  heartbeat_every INTEGER,
  cancel_requested INTEGER,
  task_run_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX flow_runs_by_created ON flow_runs(created, key);
CREATE INDEX flow_runs_by_flow ON flow_runs(flow_name, created, key);
CREATE INDEX flow_runs_by_parent ON flow_runs(parent_flow_run);
CREATE INDEX flow_runs_open ON flow_runs(key) WHERE end_time IS NULL;
CREATE TABLE task_runs (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  flow_run TEXT,
  task_name TEXT NOT NULL,
  run_name TEXT NOT NULL DEFAULT '',
  parameters TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]',
  created INTEGER NOT NULL,
  state TEXT NOT NULL,
  state_time INTEGER NOT NULL,
  state_message TEXT NOT NULL DEFAULT '',
  start_time INTEGER,
  end_time INTEGER,
  history TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX task_runs_by_flow_run ON task_runs(flow_run, created, key);
CREATE TABLE task_run_edges (
  key INTEGER PRIMARY KEY,
  flow_run TEXT,
  upstream TEXT NOT NULL,
  downstream TEXT NOT NULL,
  kind TEXT NOT NULL
);
CREATE INDEX task_run_edges_by_flow_run ON task_run_edges(flow_run);
CREATE INDEX task_run_edges_by_downstream ON task_run_edges(downstream);
CREATE INDEX task_run_edges_by_upstream ON task_run_edges(upstream);
CREATE TABLE logs (
  key INTEGER PRIMARY KEY,
  flow_run TEXT,
  task_run TEXT,
  level INTEGER NOT NULL,
  time INTEGER NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX logs_by_flow_run ON logs(flow_run, key);
CREATE TABLE task_run_results (
  key INTEGER PRIMARY KEY,
  task_run TEXT NOT NULL,
  flow_run TEXT,
  cache_key TEXT NOT NULL DEFAULT '',
  location TEXT NOT NULL,
  size INTEGER NOT NULL,
  serializer TEXT NOT NULL,
  produced_by TEXT,
  from_cache INTEGER NOT NULL
);
CREATE INDEX task_run_results_by_task_run ON task_run_results(task_run);
CREATE INDEX task_run_results_by_flow_run ON task_run_results(flow_run, key);
CREATE INDEX task_run_results_by_cache_key ON task_run_results(cache_key, key);
CREATE TABLE ingest_sources (
  source TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL
);
)sql",
    R"sql(
CREATE TABLE flow_runs (
  key BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  parent_flow_run TEXT,
  flow_name TEXT NOT NULL,
  run_name TEXT NOT NULL DEFAULT '',
  parameters TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]',
  version TEXT NOT NULL DEFAULT '',
  created BIGINT NOT NULL,
  state TEXT NOT NULL,
  state_time BIGINT NOT NULL,
  state_message TEXT NOT NULL DEFAULT '',
  start_time BIGINT,
  end_time BIGINT,
  history TEXT NOT NULL DEFAULT '[]',
  pid BIGINT NOT NULL DEFAULT 0,
  process_started BIGINT NOT NULL DEFAULT 0,
  hostname TEXT NOT NULL DEFAULT '',
  heartbeat BIGINT,
  heartbeat_every BIGINT,
  cancel_requested BIGINT,
  task_run_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX flow_runs_by_created ON flow_runs(created, key);
CREATE INDEX flow_runs_by_flow ON flow_runs(flow_name, created, key);
CREATE INDEX flow_runs_by_parent ON flow_runs(parent_flow_run);
CREATE INDEX flow_runs_open ON flow_runs(key) WHERE end_time IS NULL;
CREATE TABLE task_runs (
  key BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  flow_run TEXT,
  task_name TEXT NOT NULL,
  run_name TEXT NOT NULL DEFAULT '',
  parameters TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]',
  created BIGINT NOT NULL,
  state TEXT NOT NULL,
  state_time BIGINT NOT NULL,
  state_message TEXT NOT NULL DEFAULT '',
  start_time BIGINT,
  end_time BIGINT,
  history TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX task_runs_by_flow_run ON task_runs(flow_run, created, key);
CREATE TABLE task_run_edges (
  key BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  flow_run TEXT,
  upstream TEXT NOT NULL,
  downstream TEXT NOT NULL,
  kind TEXT NOT NULL
);
CREATE INDEX task_run_edges_by_flow_run ON task_run_edges(flow_run);
CREATE INDEX task_run_edges_by_downstream ON task_run_edges(downstream);
CREATE INDEX task_run_edges_by_upstream ON task_run_edges(upstream);
CREATE TABLE logs (
  key BIGINT GENERATED ALWAYS AS IDENTITY,
  flow_run TEXT,
  task_run TEXT,
  level INTEGER NOT NULL,
  time BIGINT NOT NULL,
  message TEXT NOT NULL
) PARTITION BY RANGE (time);
CREATE INDEX logs_by_flow_run ON logs(flow_run, key);
CREATE TABLE task_run_results (
  key BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  task_run TEXT NOT NULL,
  flow_run TEXT,
  cache_key TEXT NOT NULL DEFAULT '',
  location TEXT NOT NULL,
  size BIGINT NOT NULL,
  serializer TEXT NOT NULL,
  produced_by TEXT,
  from_cache INTEGER NOT NULL
);
CREATE INDEX task_run_results_by_task_run ON task_run_results(task_run);
CREATE INDEX task_run_results_by_flow_run ON task_run_results(flow_run, key);
CREATE INDEX task_run_results_by_cache_key ON task_run_results(cache_key, key);
CREATE TABLE ingest_sources (
  source TEXT PRIMARY KEY,
  last_seq BIGINT NOT NULL
);
)sql"};

// The dependency graph between task names, kept by ingest: a 100,000-task-run
// flow run's graph groups come from a few rows instead of a join over its edges.
constexpr std::string_view kGroupEdges = R"sql(
CREATE TABLE task_group_edges (
  flow_run TEXT NOT NULL,
  upstream_task TEXT NOT NULL,
  downstream_task TEXT NOT NULL,
  PRIMARY KEY (flow_run, upstream_task, downstream_task)
);
INSERT INTO task_group_edges (flow_run, upstream_task, downstream_task)
  SELECT DISTINCT e.flow_run, u.task_name, d.task_name
    FROM task_run_edges e JOIN task_runs u ON u.id = e.upstream JOIN task_runs d ON d.id = e.downstream
   WHERE e.flow_run IS NOT NULL;
)sql";
constexpr Migration kMigration2{kGroupEdges, kGroupEdges};

// Task runs counted by (flow run, task name, latest state), and each group's
// first start and last end, kept by ingest: a flow run's counts and its graph
// groups are read from a few rows, whatever the number of its task runs.
constexpr std::string_view kGroupCounts = R"sql(
CREATE TABLE task_group_counts (
  flow_run TEXT NOT NULL,
  task_name TEXT NOT NULL,
  state TEXT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (flow_run, task_name, state)
);
CREATE TABLE task_group_times (
  flow_run TEXT NOT NULL,
  task_name TEXT NOT NULL,
  start_time BIGINT,
  end_time BIGINT,
  PRIMARY KEY (flow_run, task_name)
);
INSERT INTO task_group_counts (flow_run, task_name, state, n)
  SELECT flow_run, task_name, state, count(*) FROM task_runs WHERE flow_run IS NOT NULL
   GROUP BY flow_run, task_name, state;
INSERT INTO task_group_times (flow_run, task_name, start_time, end_time)
  SELECT flow_run, task_name, min(start_time), max(end_time) FROM task_runs WHERE flow_run IS NOT NULL
   GROUP BY flow_run, task_name;
)sql";
constexpr Migration kMigration3{kGroupCounts, kGroupCounts};


// Deployments, schedules, work pools, workers, concurrency limits and artifacts
// (issue 16). Flow runs created by a deployment carry its name, pool, schedule
// and expected start time; the unique index on (schedule, expected_start_time)
// makes scheduled-run creation idempotent (INSERT ... ON CONFLICT DO NOTHING),
// also with several servers on one PostgreSQL. NULLs are distinct in both
// databases, so runs created by hand or by an engine are not constrained.
// due_time is when a run may be claimed: its expected start time, or later for
// a retry (which keeps its expected start time, and so its unique key).
constexpr std::string_view kDeploymentsCommon = R"sql(
ALTER TABLE flow_runs ADD COLUMN deployment TEXT;
ALTER TABLE flow_runs ADD COLUMN work_pool TEXT;
ALTER TABLE flow_runs ADD COLUMN schedule TEXT;
ALTER TABLE flow_runs ADD COLUMN expected_start_time BIGINT;
ALTER TABLE flow_runs ADD COLUMN due_time BIGINT;
ALTER TABLE flow_runs ADD COLUMN worker TEXT;
ALTER TABLE flow_runs ADD COLUMN lease_expires BIGINT;
ALTER TABLE flow_runs ADD COLUMN run_count BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX flow_runs_one_per_schedule_time ON flow_runs(schedule, expected_start_time);
CREATE INDEX flow_runs_due ON flow_runs(work_pool, due_time, key) WHERE state IN ('Scheduled', 'Late');
CREATE INDEX flow_runs_scheduled ON flow_runs(due_time) WHERE state = 'Scheduled';
CREATE INDEX flow_runs_by_deployment ON flow_runs(deployment, expected_start_time);
CREATE INDEX flow_runs_leased ON flow_runs(lease_expires) WHERE worker IS NOT NULL;
CREATE TABLE work_pools (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  concurrency_limit BIGINT,
  paused INTEGER NOT NULL DEFAULT 0,
  created BIGINT NOT NULL
);
CREATE TABLE deployments (
  name TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  flow_name TEXT NOT NULL,
  command TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  parameters TEXT NOT NULL DEFAULT '{}',
  parameter_specs TEXT NOT NULL DEFAULT '[]',
  tags TEXT NOT NULL DEFAULT '[]',
  work_pool TEXT NOT NULL,
  paused INTEGER NOT NULL DEFAULT 0,
  retries BIGINT NOT NULL DEFAULT 0,
  retry_delay_us BIGINT NOT NULL DEFAULT 0,
  concurrency_limit BIGINT,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL
);
CREATE INDEX deployments_by_pool ON deployments(work_pool, name);
CREATE TABLE deployment_schedules (
  id TEXT PRIMARY KEY,
  deployment TEXT NOT NULL,
  position INTEGER NOT NULL,
  kind TEXT NOT NULL,
  expression TEXT NOT NULL,
  timezone TEXT NOT NULL,
  anchor BIGINT,
  active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX deployment_schedules_by_deployment ON deployment_schedules(deployment, position);
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  work_pool TEXT NOT NULL,
  hostname TEXT NOT NULL DEFAULT '',
  pid BIGINT NOT NULL DEFAULT 0,
  run_limit BIGINT,
  last_heartbeat BIGINT NOT NULL,
  lease_us BIGINT NOT NULL
);
CREATE INDEX workers_by_pool ON workers(work_pool, last_heartbeat);
CREATE TABLE concurrency_limits (
  tag TEXT PRIMARY KEY,
  slots BIGINT NOT NULL,
  created BIGINT NOT NULL
);
CREATE TABLE concurrency_leases (
  lease_id TEXT NOT NULL,
  tag TEXT NOT NULL,
  holder TEXT NOT NULL,
  expires BIGINT NOT NULL,
  PRIMARY KEY (lease_id, tag)
);
CREATE INDEX concurrency_leases_by_tag ON concurrency_leases(tag, expires);
)sql";
constexpr std::string_view kArtifactsSqlite = R"sql(
CREATE TABLE artifacts (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  artifact_key TEXT NOT NULL,
  version BIGINT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  flow_run TEXT,
  task_run TEXT,
  created BIGINT NOT NULL,
  UNIQUE (artifact_key, version)
);
CREATE INDEX artifacts_by_flow_run ON artifacts(flow_run, key);
CREATE INDEX artifacts_by_task_run ON artifacts(task_run, key);
)sql";
constexpr std::string_view kArtifactsPostgres = R"sql(
CREATE TABLE artifacts (
  key BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  artifact_key TEXT NOT NULL,
  version BIGINT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  flow_run TEXT,
  task_run TEXT,
  created BIGINT NOT NULL,
  UNIQUE (artifact_key, version)
);
CREATE INDEX artifacts_by_flow_run ON artifacts(flow_run, key);
CREATE INDEX artifacts_by_task_run ON artifacts(task_run, key);
)sql";

// The two dialects differ only in the artifacts table's key column; the
// migration runs both halves in its one transaction.
struct MigrationPair {
  std::string sqlite;
  std::string postgres;
};
const MigrationPair& deployments_migration() {
  static const MigrationPair m{std::string(kDeploymentsCommon) + std::string(kArtifactsSqlite),
                               std::string(kDeploymentsCommon) + std::string(kArtifactsPostgres)};
  return m;
}

const std::array<Migration, 4>& migrations() {
  static const std::array<Migration, 4> all = {
      kMigration1, kMigration2, kMigration3,
      Migration{deployments_migration().sqlite, deployments_migration().postgres}};
  return all;
}


}  // namespace

int latest_schema_version() { return static_cast<int>(migrations().size()); }

int current_schema_version(Connection& c) {
  auto exists = c.dialect() == Dialect::Sqlite
                    ? c.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'baton_schema'")
                    : c.query("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'baton_schema'");
  if (exists.empty()) return 0;
  auto v = c.query("SELECT version FROM baton_schema");
  return v.empty() ? 0 : static_cast<int>(v.int64(0, 0));
}

void migrate(Connection& c) {
  if (current_schema_version(c) == latest_schema_version()) return;  // the common case needs no lock
  for (int target = 1; target <= latest_schema_version(); ++target) {
    Transaction txn(c);
    if (c.dialect() == Dialect::Postgres) {
      // Two servers starting at once: the second waits here, then sees the work done.
      c.query("SELECT pg_advisory_xact_lock(7406253)");
    }
    c.exec_script("CREATE TABLE IF NOT EXISTS baton_schema (version INTEGER NOT NULL)");
    const int version = current_schema_version(c);
    if (version > latest_schema_version()) {
      throw DbError(fmt::format("the database has schema version {}, newer than this server understands ({}); "
                                "use a newer baton",
                                version, latest_schema_version()),
                    false);
    }
    if (version >= target) continue;
    const Migration& m = migrations()[static_cast<std::size_t>(target - 1)];
    c.exec_script(c.dialect() == Dialect::Sqlite ? m.sqlite : m.postgres);
    c.query("DELETE FROM baton_schema");
    const SqlValue v = std::int64_t{target};
    c.query("INSERT INTO baton_schema (version) VALUES (?)", std::span(&v, 1));
    txn.commit();
  }
}

}  // namespace baton::server::db

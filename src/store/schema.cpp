#include "store/schema.h"

#include "store/sqlite_db.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace baton::store {

namespace {

// Ids are 16-byte blobs (RunId::hi then ::lo, big-endian), so byte order equals the
// order of their hex text and a typed prefix becomes an index range. Times are
// microseconds since the Unix epoch (UTC). A run's state transitions are kept in
// its own row as a JSON array [[state, time, message?], ...]: one row write per
// run instead of one per transition; the view state_transitions unfolds them.
// end_time is NULL exactly while a run is not final.
//
// Task run ids are not indexed on purpose: ids are random, and inserting random
// keys into an index dirties pages all over it in every batch, which more than
// doubles the cost of writing a task run. Task runs and log lines are found
// through their flow run (indexed); a lookup by task run id alone is a scan.
constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE flow_runs (
  key              INTEGER PRIMARY KEY,
  id               BLOB NOT NULL UNIQUE,
  parent_flow_run  BLOB,
  flow_name        TEXT NOT NULL,
  run_name         TEXT NOT NULL DEFAULT '',
  parameters       TEXT NOT NULL DEFAULT '{}',
  tags             TEXT NOT NULL DEFAULT '[]',
  version          TEXT NOT NULL DEFAULT '',
  created          INTEGER NOT NULL,
  state            TEXT NOT NULL,
  state_time       INTEGER NOT NULL,
  state_message    TEXT NOT NULL DEFAULT '',
  start_time       INTEGER,
  end_time         INTEGER,
  history          TEXT NOT NULL DEFAULT '[]',
  pid              INTEGER NOT NULL DEFAULT 0,
  process_started  INTEGER NOT NULL DEFAULT 0,
  hostname         TEXT NOT NULL DEFAULT '',
  heartbeat        INTEGER,
  heartbeat_every  INTEGER,
  cancel_requested INTEGER
);
CREATE INDEX flow_runs_by_created ON flow_runs(created);
CREATE INDEX flow_runs_by_flow ON flow_runs(flow_name, created);
CREATE INDEX flow_runs_open ON flow_runs(key) WHERE end_time IS NULL;

CREATE TABLE task_runs (
  key              INTEGER PRIMARY KEY,
  id               BLOB NOT NULL,
  flow_run         BLOB,
  task_name        TEXT NOT NULL,
  run_name         TEXT NOT NULL DEFAULT '',
  parameters       TEXT NOT NULL DEFAULT '{}',
  tags             TEXT NOT NULL DEFAULT '[]',
  created          INTEGER NOT NULL,
  state            TEXT NOT NULL,
  state_time       INTEGER NOT NULL,
  state_message    TEXT NOT NULL DEFAULT '',
  start_time       INTEGER,
  end_time         INTEGER,
  history          TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX task_runs_by_flow_run ON task_runs(flow_run);

CREATE TABLE task_run_edges (
  key              INTEGER PRIMARY KEY,
  flow_run         BLOB,
  upstream         BLOB NOT NULL,
  downstream       BLOB NOT NULL,
  kind             TEXT NOT NULL
);
CREATE INDEX task_run_edges_by_flow_run ON task_run_edges(flow_run);

CREATE TABLE logs (
  key              INTEGER PRIMARY KEY,
  flow_run         BLOB,
  task_run         BLOB,
  level            INTEGER NOT NULL,
  time             INTEGER NOT NULL,
  message          TEXT NOT NULL
);
CREATE INDEX logs_by_flow_run ON logs(flow_run, time);

CREATE VIEW state_transitions AS
  SELECT 'flow' AS run_kind, r.id AS run_id, CAST(h.key AS INTEGER) AS seq,
         json_extract(h.value, '$[0]') AS state, json_extract(h.value, '$[1]') AS time,
         coalesce(json_extract(h.value, '$[2]'), '') AS message
    FROM flow_runs r, json_each(r.history) h
  UNION ALL
  SELECT 'task', r.id, CAST(h.key AS INTEGER), json_extract(h.value, '$[0]'), json_extract(h.value, '$[1]'),
         coalesce(json_extract(h.value, '$[2]'), '')
    FROM task_runs r, json_each(r.history) h;
)sql";

// Persisted results of task runs: where each lives, and for a cache hit which
// run produced the value.
constexpr std::string_view kMigration2 = R"sql(
CREATE TABLE task_run_results (
  key              INTEGER PRIMARY KEY,
  task_run         BLOB NOT NULL,
  flow_run         BLOB,
  cache_key        TEXT NOT NULL DEFAULT '',
  location         TEXT NOT NULL,
  size             INTEGER NOT NULL,
  serializer       TEXT NOT NULL,
  produced_by      BLOB,
  from_cache       INTEGER NOT NULL
);
CREATE INDEX task_run_results_by_flow_run ON task_run_results(flow_run);
)sql";

// Task runs packed: a task run whose first write happens once it is final (the
// common case: created, run and finished within task_run_write_delay) is not
// given a task_runs row of its own but an entry in a pack, one row per flow run
// and write batch. A row per task run costs about as much as the engine's whole
// work on the task; a pack entry costs a few dozen bytes. Packed runs are final,
// so nothing updates them (crash detection only touches runs that are not).
//   ids   16 bytes per entry, in entry order (the ids are blobs, as elsewhere)
//   runs  a JSON array, one entry per run:
//         [task_name, run_name, parameters, tags, created, history]
//         (parameters and tags as JSON strings holding their JSON text; history
//         in the history column's format). Its latest state, state time, message,
//         start and end times follow from the history.
// Dependency edges of a flow run are packed the same way, one row per flow run
// and batch in task_run_edge_packs: upstream and downstream ids as 16-byte blobs
// one after another, kinds as a JSON array ("data" or "wait_for").
// The views all_task_runs (every task run with task_runs' columns),
// all_task_run_edges (every edge with task_run_edges' columns) and
// state_transitions unfold the packs, so SQL sees what it saw before.
constexpr std::string_view kMigration3 = R"sql(
CREATE TABLE task_run_packs (
  key              INTEGER PRIMARY KEY,
  flow_run         BLOB NOT NULL,
  created          INTEGER NOT NULL,
  count            INTEGER NOT NULL,
  ids              BLOB NOT NULL,
  runs             TEXT NOT NULL
);
CREATE INDEX task_run_packs_by_flow_run ON task_run_packs(flow_run);

CREATE TABLE task_run_edge_packs (
  key              INTEGER PRIMARY KEY,
  flow_run         BLOB NOT NULL,
  count            INTEGER NOT NULL,
  upstreams        BLOB NOT NULL,
  downstreams      BLOB NOT NULL,
  kinds            TEXT NOT NULL
);
CREATE INDEX task_run_edge_packs_by_flow_run ON task_run_edge_packs(flow_run);

CREATE VIEW all_task_run_edges AS
  SELECT flow_run, upstream, downstream, kind FROM task_run_edges
  UNION ALL
  SELECT p.flow_run, substr(p.upstreams, 16 * k.key + 1, 16), substr(p.downstreams, 16 * k.key + 1, 16), k.value
    FROM task_run_edge_packs p, json_each(p.kinds) k;

CREATE VIEW all_task_runs AS
  SELECT id, flow_run, task_name, run_name, parameters, tags, created, state, state_time, state_message,
         start_time, end_time, history
    FROM task_runs
  UNION ALL
  SELECT substr(p.ids, 16 * e.key + 1, 16), p.flow_run, json_extract(e.value, '$[0]'),
         json_extract(e.value, '$[1]'), json_extract(e.value, '$[2]'), json_extract(e.value, '$[3]'),
         json_extract(e.value, '$[4]'), json_extract(e.value, '$[5][#-1][0]'),
         json_extract(e.value, '$[5][#-1][1]'), coalesce(json_extract(e.value, '$[5][#-1][2]'), ''),
         (SELECT json_extract(h.value, '$[1]') FROM json_each(e.value, '$[5]') h
           WHERE json_extract(h.value, '$[0]') IN ('Running', 'Retrying') ORDER BY h.key LIMIT 1),
         json_extract(e.value, '$[5][#-1][1]'), json_extract(e.value, '$[5]')
    FROM task_run_packs p, json_each(p.runs) e;

DROP VIEW state_transitions;
CREATE VIEW state_transitions AS
  SELECT 'flow' AS run_kind, r.id AS run_id, CAST(h.key AS INTEGER) AS seq,
         json_extract(h.value, '$[0]') AS state, json_extract(h.value, '$[1]') AS time,
         coalesce(json_extract(h.value, '$[2]'), '') AS message
    FROM flow_runs r, json_each(r.history) h
  UNION ALL
  SELECT 'task', r.id, CAST(h.key AS INTEGER), json_extract(h.value, '$[0]'), json_extract(h.value, '$[1]'),
         coalesce(json_extract(h.value, '$[2]'), '')
    FROM task_runs r, json_each(r.history) h
  UNION ALL
  SELECT 'task', substr(p.ids, 16 * e.key + 1, 16), CAST(h.key AS INTEGER), json_extract(h.value, '$[0]'),
         json_extract(h.value, '$[1]'), coalesce(json_extract(h.value, '$[2]'), '')
    FROM task_run_packs p, json_each(p.runs) e, json_each(e.value, '$[5]') h;
)sql";

// Append new migrations at the end; never edit one that has shipped.
constexpr std::array<std::string_view, 3> kMigrations = {kMigration1, kMigration2, kMigration3};

int user_version(Database& db) {
  Statement st(db, "PRAGMA user_version");
  st.step();
  return static_cast<int>(st.int64(0));
}

}  // namespace

int schema_version() { return static_cast<int>(kMigrations.size()); }

Status migrate(Database& db) {
  try {
    // Cheap check first: an up-to-date database needs no write lock.
    int version = user_version(db);
    if (version == schema_version()) return {};
    for (int target = 1; target <= schema_version(); ++target) {
      WriteTransaction txn(db);
      version = user_version(db);  // re-read under the lock: another process may have migrated
      if (version > schema_version()) break;
      if (version >= target) continue;
      db.exec(kMigrations[static_cast<std::size_t>(target - 1)]);
      db.exec(fmt::format("PRAGMA user_version = {}", target));
      txn.commit();
    }
    if (version > schema_version()) {
      return Status::error(fmt::format("{}: run history has schema version {}, newer than this baton understands ({}); "
                                       "use a newer baton or another BATON_DATABASE",
                                       db.path().string(), version, schema_version()));
    }
  } catch (const SqliteError& e) {
    return Status::error(fmt::format("cannot migrate the run history: {}", e.what()));
  }
  return {};
}

}  // namespace baton::store

#pragma once
// The embedded run store: the engine's run history in a SQLite database
// (default $BATON_HOME/baton.db), WAL mode, versioned schema.
//
// Writes are compact: one row per flow run and per task run holding its latest
// state and its whole state history; the writer keeps the runs that are not
// final yet in memory, so each batch is one transaction with at most one row
// write per run it touches (plus one row per edge and per log line).
//
// A new task run's first write waits until it is final or `task_run_write_delay`
// has passed (or the next heartbeat, or the store closes): a short task is then
// written once, and as an entry of its flow run's pack for this batch
// (task_run_packs, schema.cpp) instead of a row of its own: a few dozen bytes
// and no row insert per task. A task run written before it is final keeps a row
// in task_runs, updated as it goes on. The reader and the SQL views show both
// kinds alike. Flow runs are written at once. The price of the delay: a process
// killed within it of creating a task run leaves no record of that run (its flow
// run is still marked Crashed), the same kind of window as the engine's own
// event queue.
//
// The events of a batch are read in place, not copied: only a run still open
// when the batch is done copies its creation event (write() takes the batch as
// const, since the engine resends a batch the store refused).
//
// Several processes may write the same database at once: every write
// transaction starts with BEGIN IMMEDIATE and waits (with backoff, never giving
// up) while another holds the lock.
//
// Thread safety: write() and heartbeat() are called from one writer thread (the
// RunStoreSink contract); the object is not otherwise shared.
#include "engine/run_store_sink.h"
#include "store/run_slot_index.h"
#include "util/clock.h"
#include "util/status.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace baton::store {

class Database;
class Statement;

struct SqliteRunStoreOptions {
  std::filesystem::path path;  // "" means settings::database_path()
  Clock* clock = &system_clock();
  // BATON_HEARTBEAT_SECONDS when not set. Recorded with each flow run this store
  // writes; runs of other hosts are judged by the interval recorded with them
  // (this one for rows that have none).
  std::optional<std::chrono::milliseconds> heartbeat_interval;
  bool mark_crashed_on_open = true;
  // Readers: a history that cannot be written is opened read-only (no runs are
  // then marked Crashed); Database::open_for_reading.
  bool read_only_ok = false;
  // See above; 0 writes every run in the batch that created it.
  std::chrono::milliseconds task_run_write_delay{500};
};

// The run-history database as the writer and the reader both open it: path and
// heartbeat from the options or the settings, schema migrated, and (unless the
// options say not to) the runs of dead processes marked Crashed.
struct OpenedRunHistory {
  std::unique_ptr<Database> db;
  std::chrono::milliseconds heartbeat_interval{};
  int crashed = 0;  // flow runs marked Crashed on open
};
Result<OpenedRunHistory> open_run_history(const SqliteRunStoreOptions& options);

class SqliteRunStore final : public engine::RunStoreSink {
 public:
  // Opens or creates the database (and its directory), migrates the schema, and
  // marks the runs of dead processes Crashed. Errors name the file.
  static Result<std::unique_ptr<SqliteRunStore>> open(SqliteRunStoreOptions options = {});

  SqliteRunStore(const SqliteRunStore&) = delete;
  SqliteRunStore& operator=(const SqliteRunStore&) = delete;
  // Writes the task runs whose first write was deferred (errors go to stderr).
  ~SqliteRunStore() override;

  // One transaction per batch. Throws SqliteError only when the database cannot
  // be written at all; a busy or locked database is waited out.
  void write(std::span<const engine::Event> batch) override;

  // Refreshes the heartbeat of the given flow runs and returns those whose
  // cancellation was requested. A requested run is returned by every heartbeat
  // until it is final (the engine ignores repeats). An empty list touches nothing.
  std::vector<RunId> heartbeat(std::span<const RunId> active_flow_runs) override;

  const std::filesystem::path& path() const;
  // How many flow runs of dead processes open() marked Crashed.
  int crashed_on_open() const { return crashed_on_open_; }

 private:
  // A run that is not final yet, as the writer knows it.
  struct OpenRun {
    RunId id;
    bool is_flow = false;
    std::uint32_t slot = RunSlotIndex::kNone;  // task runs: its place in task_slots_
    std::int64_t key = 0;  // its rowid, 0 until first written
    // The creation event, until the run's first write. A flow run's is a copy;
    // a task run's points into the batch being written (task_borrowed) and is
    // copied (task_owned) only if the run outlives the batch unwritten.
    std::unique_ptr<engine::FlowRunCreated> flow_created;
    const engine::TaskRunCreated* task_created = nullptr;
    bool task_borrowed = false;
    std::unique_ptr<engine::TaskRunCreated> task_owned;
    std::chrono::steady_clock::time_point first_seen;  // when the writer saw it created
    bool implied_initial = true;  // still in the Pending implied by its creation
    bool touched = false;         // in touched_
    bool deferred = false;        // in deferred_, first write still to come
    StateType state = StateType::Pending;
    std::int64_t state_time = 0;
    std::string state_message;
    std::optional<std::int64_t> start_time;
    std::optional<std::int64_t> end_time;
    std::string history;  // JSON array without its closing ']'
  };
  // The final task runs of one flow run written by the current transaction.
  struct Pack {
    RunId flow_run;
    std::int64_t created = 0;  // the earliest creation time in it
    std::int64_t count = 0;  // 0: empty (ids and runs are then stale)
    std::string ids;   // 16 bytes per run
    std::string runs;  // the JSON array, without its closing ']'
  };
  // The dependency edges of one flow run recorded by the current transaction.
  struct EdgePack {
    RunId flow_run;
    std::int64_t count = 0;  // 0: empty (the buffers are then stale)
    std::string upstreams;    // 16 bytes per edge
    std::string downstreams;  // 16 bytes per edge
    std::string kinds;        // JSON array of "data" / "wait_for", without its closing ']'
  };
  // What an open run held before the current batch first changed it: put back
  // when the transaction fails, since the engine resends the whole batch and
  // its transitions must then be recorded once, not twice.
  struct Undo {
    OpenRun* run = nullptr;
    bool implied_initial = true;
    StateType state = StateType::Pending;
    std::int64_t state_time = 0;
    std::string state_message;
    std::optional<std::int64_t> start_time;
    std::optional<std::int64_t> end_time;
    std::size_t history_size = 0;
  };
  struct Statements;
  SqliteRunStore(std::unique_ptr<Database> db, Clock* clock, std::chrono::milliseconds heartbeat_interval,
                 std::chrono::milliseconds task_run_write_delay);

  // A created run: in its implied Pending state, to be written with this batch.
  void start_pending(OpenRun& run, TimePoint created);
  void apply(const engine::FlowRunCreated& e);
  void apply(const engine::TaskRunCreated& e);
  void apply(const engine::StateChanged& e);
  void apply(const engine::EdgeAdded& e);
  void apply(const engine::LogRecorded& e);
  void apply(const engine::ResultRecorded& e);
  OpenRun* find_task(const RunId& id);
  void flush_run(OpenRun& run);
  void pack_task_run(OpenRun& run);
  // Inserts a pack (if it holds runs) and empties it.
  void write_pack(Pack& pack);
  void write_edge_pack(EdgePack& pack);
  // Inserts the packs of the current transaction (just before its commit).
  void write_packs();
  // Writes the deferred task runs created before `cutoff` (all of them for max()).
  void flush_deferred(std::chrono::steady_clock::time_point cutoff);
  void after_commit();
  void forget_uncommitted();
  // The runs created by the batch being written stop pointing into it: those
  // still unwritten copy their creation event.
  void own_borrowed();
  void free_task_slot(OpenRun& run);
  // Gives the run's copy of its creation event (if any) to spare_created_.
  void drop_owned(OpenRun& run);

  std::unique_ptr<Database> db_;
  std::unique_ptr<Statements> st_;
  Clock* clock_;
  std::chrono::milliseconds heartbeat_interval_;  // recorded with each flow run
  std::chrono::milliseconds task_run_write_delay_;
  int crashed_on_open_ = 0;
  // Runs not final yet, as last written (writer thread only). Task runs live in
  // slots (a deque: addresses stay put; freed slots are reused, their strings'
  // capacity with them) found through a flat index.
  std::unordered_map<RunId, OpenRun> flows_;
  std::deque<OpenRun> task_slots_;
  std::vector<std::uint32_t> free_slots_;
  RunSlotIndex tasks_;
  OpenRun* last_task_ = nullptr;  // the task run the last state change found: the next change is often its too
  std::vector<OpenRun*> touched_;   // runs changed by the current batch, in first-touch order
  // When the current batch's write began: the time its runs were first seen (a
  // clock read per batch, not per run; the write delay is hundreds of ms).
  std::chrono::steady_clock::time_point batch_seen_{};
  std::vector<Undo> undo_;  // runs of earlier batches changed by the current one
  // Copies of creation events no run holds any more, reused by own_borrowed():
  // a run that outlives its creation's batch then costs no allocation.
  std::vector<std::unique_ptr<engine::TaskRunCreated>> spare_created_;
  std::vector<OpenRun*> flushed_;   // runs written by the current transaction
  std::vector<OpenRun*> borrowed_;  // task runs whose creation event is in the current batch
  std::vector<std::pair<OpenRun*, std::int64_t>> new_keys_;  // their rowids, applied on commit
  std::deque<std::pair<RunId, std::chrono::steady_clock::time_point>> deferred_;  // oldest first
  std::vector<Pack> packs_;  // the first packs_used_ are the current transaction's
  std::size_t packs_used_ = 0;
  std::size_t last_pack_ = 0;
  std::vector<EdgePack> edge_packs_;  // the first edge_packs_used_ are the current transaction's
  std::size_t edge_packs_used_ = 0;
};

// The default store for the engine: SqliteRunStore at settings::database_path().
Result<std::unique_ptr<engine::RunStoreSink>> open_default_run_store();

}  // namespace baton::store

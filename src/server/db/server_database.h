#pragma once
// The server's model: everything the API does to the database, written once
// over db::Connection for SQLite and PostgreSQL.
//
// Writes: on SQLite one writer thread owns every write (WAL; readers have their
// own connections), and it commits the writes queued meanwhile together (each in
// a savepoint, so one bad write does not fail the others); "database is locked"
// never reaches a client. On PostgreSQL each write runs on a pooled connection
// in its own transaction; rows are written with multi-row statements, never one
// round trip per event.
//
// Errors: DbError (unavailable -> 503), BadInput (-> 400 naming the field),
// NotFound (-> 404 naming the id), Conflict (-> 409).
//
// Thread safety: every member function may be called from any thread.
#include "server/db/sql.h"
#include "store/event_json.h"
#include "store/run_records.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace baton::server::db {

class BadInput : public std::runtime_error {
 public:
  BadInput(std::string field, const std::string& message) : std::runtime_error(message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// Well-formed but invalid (an unknown cron field, a parameter of the wrong
// type): 422 naming the field.
class Unprocessable : public BadInput {
 public:
  using BadInput::BadInput;
};

// A body part over its documented cap (an artifact over 1 MiB): 413.
class TooLarge : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class NotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Conflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_cursor;
};

struct FlowRunFilter {
  std::optional<std::string> flow;
  std::vector<StateType> states;
  bool late = false;  // also (or, with no states, only) Late runs
  std::vector<std::string> tags;  // all of them
  std::optional<std::int64_t> since_us;
  std::optional<std::int64_t> until_us;
  std::optional<RunId> parent;
  std::optional<std::string> name;  // substring of the run or flow name
  int limit = 100;
  std::optional<std::string> cursor;
};

struct TaskRunFilter {
  std::vector<StateType> states;
  std::optional<std::string> name;
  int limit = 100;
  std::optional<std::string> cursor;
};

struct LogFilter {
  std::optional<LogLevel> min_level;
  std::optional<RunId> task_run;
  std::optional<std::string> text;
  int limit = 100;
  std::optional<std::string> cursor;
};

struct FlowRunDetail {
  store::FlowRunRecord run;
  // The history column as stored: it may hold server-only states (Late) that
  // run.history, parsed into StateType, leaves out.
  std::string history_text;
  std::map<std::string, std::int64_t> task_run_counts;  // by latest state
};

struct ResultRow {
  RunId task_run;
  RunId flow_run;
  std::string task_name;
  std::string cache_key;
  std::string location;
  std::int64_t size = 0;
  std::string serializer;
  RunId produced_by;
  bool from_cache = false;
};

struct TaskRunDetail {
  store::TaskRunRecord run;
  std::vector<RunId> upstream;
  std::vector<RunId> downstream;
  std::optional<ResultRow> result;
};

struct GraphGroup {
  std::string task_name;
  std::int64_t count = 0;
  std::map<std::string, std::int64_t> counts_by_state;
  std::optional<std::int64_t> start_us;
  std::optional<std::int64_t> end_us;
  std::vector<std::string> upstream_groups;
};

struct Graph {
  std::int64_t total_nodes = 0;
  std::int64_t total_edges = 0;
  std::vector<GraphGroup> groups;
  std::vector<store::TaskRunRecord> nodes;
  std::vector<store::EdgeRecord> edges;
  std::optional<std::string> next_cursor;
};

struct StatsBucket {
  std::int64_t start_us = 0;
  std::map<std::string, std::int64_t> counts;
};

struct Stats {
  std::vector<StatsBucket> buckets;
  std::int64_t running = 0;
  std::int64_t failed = 0;
  std::int64_t crashed = 0;
};

// What a batch changed, for the live stream. Task runs and logs are collected
// only when asked (someone follows a flow run).
struct IngestOutcome {
  std::int64_t accepted = 0;
  std::int64_t duplicates = 0;
  std::vector<RunId> cancel_requested;
  std::vector<RunId> flow_runs_touched;
  std::vector<store::TaskRunRecord> task_runs_touched;  // latest state only, history empty
  std::vector<store::LogRecord> logs;
};

struct RetentionOutcome {
  std::int64_t flow_runs = 0;
  std::int64_t task_runs = 0;
  std::int64_t logs = 0;
};

struct ServerDatabaseOptions {
  std::string database;   // a SQLite path or postgresql://...
  int max_connections = 16;  // readers (SQLite) / all connections (PostgreSQL)
};

class ServerDatabase {
 public:
  // Connects, migrates, and (SQLite) starts the writer thread. Throws DbError.
  explicit ServerDatabase(ServerDatabaseOptions options);
  // Finishes the queued writes, then stops the writer.
  ~ServerDatabase();
  ServerDatabase(const ServerDatabase&) = delete;
  ServerDatabase& operator=(const ServerDatabase&) = delete;

  Dialect dialect() const { return factory_->dialect(); }
  std::string describe() const { return factory_->describe(); }
  // The schema version the database reports now (a round trip: /ready).
  int schema_version();

  // ---- writes
  IngestOutcome ingest(const store::IngestBatch& batch, bool collect_details);
  // Refreshes the heartbeat of the flow runs that are not final; returns those
  // whose cancellation was requested.
  std::vector<RunId> heartbeat(const std::vector<RunId>& flow_runs, std::chrono::microseconds interval,
                               std::int64_t now_us);
  // Marks the run for cancellation (Conflict when final; NotFound).
  store::FlowRunRecord cancel(std::string_view id_or_prefix, std::int64_t now_us);
  // Flow runs whose heartbeat (or creation, if none came) is older than 3 of
  // their intervals become Crashed, with their unfinished task runs. Returns the
  // ids marked. Runs that never reported an interval use `default_interval`.
  std::vector<RunId> mark_crashed(std::int64_t now_us, std::chrono::microseconds default_interval);
  // Deletes final flow runs that ended before `cutoff_us`, with their task runs,
  // edges, logs and results, at most `batch` flow runs per transaction so writes
  // are never stalled for long. Also flow-less logs older than the cutoff.
  RetentionOutcome delete_older_than(std::int64_t cutoff_us, int batch = 200);

  // ---- reads
  Page<store::FlowRunRecord> list_flow_runs(const FlowRunFilter& filter);
  Stats flow_run_stats(std::int64_t since_us, std::int64_t until_us, std::int64_t bucket_us,
                       const std::optional<std::string>& flow);
  FlowRunDetail read_flow_run(std::string_view id_or_prefix);
  store::FlowRunRecord read_flow_run_summary(const RunId& id);
  // Those of `ids` that exist, in the order of `ids`.
  std::vector<store::FlowRunRecord> read_flow_run_summaries(const std::vector<RunId>& ids);
  Page<store::TaskRunRecord> list_task_runs(std::string_view flow_run, const TaskRunFilter& filter);
  Graph flow_run_graph(std::string_view flow_run, int limit, const std::optional<std::string>& cursor);
  Page<store::LogRecord> flow_run_logs(std::string_view flow_run, const LogFilter& filter);
  TaskRunDetail read_task_run(std::string_view id_or_prefix);
  Page<store::LogRecord> task_run_logs(std::string_view task_run, int limit, const std::optional<std::string>& cursor);
  Page<ResultRow> flow_run_results(std::string_view flow_run, int limit, const std::optional<std::string>& cursor);
  Page<ResultRow> list_results(const std::optional<std::string>& cache_key, const std::optional<std::string>& task,
                               int limit, const std::optional<std::string>& cursor);
  // The full id of a flow run given its id or a unique prefix (NotFound, BadInput).
  RunId resolve_flow_run(std::string_view id_or_prefix);
  RunId resolve_task_run(std::string_view id_or_prefix);

  // ---- hooks for the stores beside this file (deployment_store.cpp,
  // work_queue.cpp, concurrency_store.cpp, artifact_store.cpp)
  // `f` on a pooled read connection (retried once on a stale one).
  void run_read(const std::function<void(Connection&)>& f);
  // `f` in a write transaction (the writer thread on SQLite).
  void run_write(std::function<void(Connection&)> f);
  // A new connection of its own (PostgreSQL LISTEN).
  std::unique_ptr<Connection> connect_new();

 private:
  class Lease;
  std::unique_ptr<Connection> acquire();
  void release(std::unique_ptr<Connection> c);
  template <class F>
  auto read(F&& f);
  // Runs `f` in a write transaction (the writer thread on SQLite).
  void write(std::function<void(Connection&)> f);
  void writer_loop();
  RunId resolve(Connection& c, std::string_view table, std::string_view id_or_prefix, std::string_view what);
  // PostgreSQL: creates the day partitions of logs these times fall in, each in
  // its own short transaction (the parent's lock is not held by an ingest).
  void ensure_log_partitions(const store::IngestBatch& batch);
  // PostgreSQL: drops the day partitions of logs that end before the cutoff.
  std::int64_t drop_log_partitions(std::int64_t cutoff_us);

  std::mutex partitions_mu_;  // guards known_days_
  std::set<std::int64_t> known_days_;

  std::unique_ptr<ConnectionFactory> factory_;
  ServerDatabaseOptions options_;

  std::mutex pool_mu_;  // guards idle_
  std::vector<std::unique_ptr<Connection>> idle_;

  // The SQLite writer: its queue and connection.
  struct WriteJob {
    std::function<void(Connection&)> f;
    std::promise<void> done;
  };
  std::mutex write_mu_;  // guards jobs_, stopping_
  std::condition_variable write_cv_;
  std::deque<WriteJob> jobs_;
  bool stopping_ = false;
  std::unique_ptr<Connection> writer_conn_;
  std::thread writer_;
};

// Inside a write: the task runs of flow run `id` that are not final become
// Crashed with `reason` (their group counts moved with them).
void crash_open_task_runs(Connection& c, const std::string& id, const std::string& reason, std::int64_t now_us);

// `baton server database upgrade`: migrates and returns the version reached.
int upgrade_database(const std::string& database);

}  // namespace baton::server::db

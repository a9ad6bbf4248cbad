#pragma once
// Reads the SQLite run history back (the `baton` command reads it through
// history_reader.h, which can also be a server).
// Opening it marks the runs of dead processes Crashed (like the engine does), so
// what it shows is never a run "Running" in a process that is gone.
//
// Errors (unknown id, ambiguous prefix, unreadable database) come back as a
// Status whose message names the id or file at fault. Thread safety: one thread
// at a time per reader; open one reader per thread.
#include "store/history_reader.h"
#include "store/run_records.h"
#include "store/sqlite_run_store.h"
#include "util/status.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::store {

class Database;

class RunStoreReader {
 public:
  // Same options as the writer: path (default settings::database_path()),
  // clock and heartbeat interval for crash detection. A missing database is
  // created empty.
  static Result<std::unique_ptr<RunStoreReader>> open(SqliteRunStoreOptions options = {});

  RunStoreReader(const RunStoreReader&) = delete;
  RunStoreReader& operator=(const RunStoreReader&) = delete;
  ~RunStoreReader();

  const std::filesystem::path& path() const;
  // Opened read-only (the history cannot be written here): readable, but runs
  // of dead processes are not marked Crashed and cancellation cannot be requested.
  bool read_only() const;
  int crashed_on_open() const { return crashed_on_open_; }

  // Newest first.
  Result<std::vector<FlowRunRecord>> list_flow_runs(const FlowRunFilter& filter = {});

  // By full id or a unique prefix of its hex text (dashes optional, any case).
  // Unknown and ambiguous prefixes are errors that say so.
  Result<FlowRunRecord> find_flow_run(std::string_view id_or_prefix);
  Result<FlowRunRecord> flow_run(const RunId& id);
  // Task run ids are not indexed (see schema.cpp): this scans the task runs.
  Result<TaskRunRecord> find_task_run(std::string_view id_or_prefix);

  // The flow run's task runs, oldest first.
  Result<std::vector<TaskRunRecord>> task_runs(const RunId& flow_run);
  // Its dependency edges, in the order they were recorded.
  Result<std::vector<EdgeRecord>> edges(const RunId& flow_run);
  // Persisted and cached results of its task runs, in the order they were recorded.
  Result<std::vector<ResultRecordInfo>> results(const RunId& flow_run);
  // Flow-level and task-run lines of the flow run, by time (then record order).
  Result<std::vector<LogRecord>> logs(const RunId& flow_run);
  // The lines of one task run, by time (found through its flow run).
  Result<std::vector<LogRecord>> task_run_logs(const TaskRunRecord& task_run);

  // Records a request to cancel the flow run; the process running it sees the
  // request at its next heartbeat and cancels. Fails for an unknown or final
  // run ("... is already Completed"). Requesting twice is harmless.
  Status request_cancellation(const RunId& flow_run);

 private:
  explicit RunStoreReader(std::unique_ptr<Database> db);
  // A read failed (or returned a row no writer makes): SQLite's quick_check says
  // whether the file is damaged; if so the error says that, naming the file.
  Status read_failed(const std::string& what) const;
  std::unique_ptr<Database> db_;
  Clock* clock_ = &system_clock();
  int crashed_on_open_ = 0;
};

}  // namespace baton::store

#pragma once
// Where the run history is read from, for the `baton` command: the local SQLite
// file (open_local_history, over RunStoreReader) or a baton server (the client
// layer's ServerReader, when BATON_API_URL is set). Each command has one code
// path over this interface; the records are the same either way.
//
// Errors come back as a Status whose message names the id, file or URL at fault.
// Thread safety: one thread at a time per reader.
#include "store/run_records.h"
#include "util/status.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::store {

struct FlowRunFilter {
  std::string flow_name;           // "" for any flow
  std::optional<StateType> state;  // the latest state; nullopt for any
  int limit = 20;                  // <= 0 for no limit
};

// Whether task-run records need their state history (a server sends it per run,
// so a list that does not show it should not ask for it).
enum class WithHistory { No, Yes };

class HistoryReader {
 public:
  virtual ~HistoryReader() = default;

  // The database file or the server's URL, for messages ("No flow runs in ...").
  virtual std::string location() const = 0;

  // Newest first.
  virtual Result<std::vector<FlowRunRecord>> list_flow_runs(const FlowRunFilter& filter) = 0;
  // By full id or a unique prefix of its hex text; the record has its state history.
  virtual Result<FlowRunRecord> find_flow_run(std::string_view id_or_prefix) = 0;
  // The flow run's task runs, oldest first (their histories only with WithHistory::Yes).
  virtual Result<std::vector<TaskRunRecord>> task_runs(const RunId& flow_run, WithHistory history) = 0;
  // Its dependency edges.
  virtual Result<std::vector<EdgeRecord>> edges(const RunId& flow_run) = 0;
  // Persisted and cached results of its task runs.
  virtual Result<std::vector<ResultRecordInfo>> results(const RunId& flow_run) = 0;
  // Flow-level and task-run lines of the flow run, by time.
  virtual Result<std::vector<LogRecord>> logs(const RunId& flow_run) = 0;
  // Asks the process running the flow run to cancel it (at its next heartbeat).
  // Fails for an unknown or final run, with a message saying which.
  virtual Status request_cancellation(const RunId& flow_run) = 0;
};

// The local SQLite history at settings::database_path(). Opening it marks the runs
// of dead processes Crashed; `crashed` (if given) receives how many.
Result<std::unique_ptr<HistoryReader>> open_local_history(int* crashed = nullptr);

}  // namespace baton::store

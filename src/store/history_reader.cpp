#include "store/history_reader.h"

#include "store/run_store_reader.h"

namespace baton::store {

namespace {

// The SQLite run store as a HistoryReader: RunStoreReader, one call each.
class LocalHistory final : public HistoryReader {
 public:
  explicit LocalHistory(std::unique_ptr<RunStoreReader> reader) : reader_(std::move(reader)) {}

  std::string location() const override { return reader_->path().string(); }
  Result<std::vector<FlowRunRecord>> list_flow_runs(const FlowRunFilter& filter) override {
    return reader_->list_flow_runs(filter);
  }
  Result<FlowRunRecord> find_flow_run(std::string_view id_or_prefix) override {
    return reader_->find_flow_run(id_or_prefix);
  }
  Result<std::vector<TaskRunRecord>> task_runs(const RunId& flow_run, WithHistory) override {
    return reader_->task_runs(flow_run);  // the history comes with the row
  }
  Result<std::vector<EdgeRecord>> edges(const RunId& flow_run) override { return reader_->edges(flow_run); }
  Result<std::vector<ResultRecordInfo>> results(const RunId& flow_run) override { return reader_->results(flow_run); }
  Result<std::vector<LogRecord>> logs(const RunId& flow_run) override { return reader_->logs(flow_run); }
  Status request_cancellation(const RunId& flow_run) override { return reader_->request_cancellation(flow_run); }

 private:
  std::unique_ptr<RunStoreReader> reader_;
};

}  // namespace

Result<std::unique_ptr<HistoryReader>> open_local_history(int* crashed) {
  auto reader = RunStoreReader::open();
  if (!reader.ok()) return reader.status();
  if (crashed != nullptr) *crashed = (*reader)->crashed_on_open();
  return std::unique_ptr<HistoryReader>(std::make_unique<LocalHistory>(std::move(reader).value()));
}

}  // namespace baton::store

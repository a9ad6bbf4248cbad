#pragma once
// The run history as a baton server shows it (GET routes of src/server/openapi.json),
// behind the CLI's HistoryReader: the same records the SQLite reader returns, read
// page by page (the server caps a page at 1000 rows). Crash detection is the
// server's own, so nothing is marked here.
//
// Errors name the URL and the setting at fault (BATON_API_URL, BATON_API_KEY), or
// carry the server's own message for an unknown id or a final run.
#include "client/http_client.h"
#include "store/history_reader.h"

#include <memory>

namespace baton::client {

class ServerReader final : public store::HistoryReader {
 public:
  explicit ServerReader(HttpClient::Options options);

  std::string location() const override;
  Result<std::vector<store::FlowRunRecord>> list_flow_runs(const store::FlowRunFilter& filter) override;
  Result<store::FlowRunRecord> find_flow_run(std::string_view id_or_prefix) override;
  Result<std::vector<store::TaskRunRecord>> task_runs(const RunId& flow_run, store::WithHistory history) override;
  Result<std::vector<store::EdgeRecord>> edges(const RunId& flow_run) override;
  Result<std::vector<store::ResultRecordInfo>> results(const RunId& flow_run) override;
  Result<std::vector<store::LogRecord>> logs(const RunId& flow_run) override;
  Status request_cancellation(const RunId& flow_run) override;

 private:
  HttpClient http_;
};

// Parses the API's times ("2026-12-07T11:25:30.123456Z", or with a +hh:mm offset).
std::optional<TimePoint> parse_api_time(std::string_view text);

}  // namespace baton::client

#pragma once
// Shared by the command groups: opening the run history, and showing runs to
// people (aligned tables, short ids, human times and durations) or to scripts
// (JSON).
#include "store/run_records.h"
#include "commands.h"
#include "store/history_reader.h"
#include "util/status.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace baton::cli {

// Where the history is read from: the server at BATON_API_URL when it is set,
// else the SQLite file at settings::database_path() (marking the runs of dead
// processes Crashed, said on stderr). Throws CommandError naming the file, or
// the variable at fault.
std::unique_ptr<store::HistoryReader> open_reader();

// Finds a flow run by id or unique prefix, or throws CommandError.
store::FlowRunRecord find_flow_run(store::HistoryReader& reader, const std::string& id);

template <class T>
T value_or_fail(Result<T> result) {
  if (!result.ok()) throw CommandError(result.status().message());
  return std::move(result).value();
}

// ---- for people ----

std::string short_id(const RunId& id);                   // the first 8 hex digits
std::string local_time(TimePoint t);                     // 2026-11-24 15:22:05
std::string local_time_ms(TimePoint t);                  // 2026-11-24 15:22:05.123
std::string human_duration(std::chrono::microseconds d); // 850ms, 1.25s, 2m03s, 1h02m
// From the first Running to the end (or to now, for a run still going); "-" if it never ran.
std::string run_duration(const std::optional<TimePoint>& start, const std::optional<TimePoint>& end);
// One line, at most `width` characters (counting UTF-8 code points), "…" if cut.
std::string one_line(const std::string& text, std::size_t width = 60);

// Columns padded to their widest cell; the last column is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out, const std::string& indent = "") const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// ---- for scripts ----

std::string iso_time(TimePoint t);  // 2026-11-24T15:22:05.123456Z (UTC)
nlohmann::json to_json(const store::FlowRunRecord& r, bool with_history);
nlohmann::json to_json(const store::TaskRunRecord& r);
// Prints with invalid UTF-8 replaced rather than failing.
void print_json(const nlohmann::json& j);

}  // namespace baton::cli

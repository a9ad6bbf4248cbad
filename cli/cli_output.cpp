#include "cli_output.h"

#include "client/server_reader.h"
#include "commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <iostream>

namespace baton::cli {

std::unique_ptr<store::HistoryReader> open_reader() {
  client::HttpClient::Options server;
  try {
    server = client::HttpClient::options_from_settings();
  } catch (const std::exception& e) {
    throw CommandError(e.what(), kExitUsage);
  }
  if (!server.base_url.empty()) return std::make_unique<client::ServerReader>(std::move(server));
  int crashed = 0;
  auto reader = store::open_local_history(&crashed);
  if (!reader.ok()) throw CommandError(reader.status().message());
  if (crashed > 0) {
    std::cerr << fmt::format("baton: marked {} flow run{} of a process that is gone as Crashed\n", crashed,
                             crashed == 1 ? "" : "s");
  }
  return std::move(reader).value();
}

store::FlowRunRecord find_flow_run(store::HistoryReader& reader, const std::string& id) {
  return value_or_fail(reader.find_flow_run(id));
}

std::string short_id(const RunId& id) { return id.empty() ? "-" : id.str().substr(0, 8); }

namespace {

std::tm local_tm(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm;
}

long long sub_second_micros(TimePoint t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  return ((us % 1'000'000) + 1'000'000) % 1'000'000;
}

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

nlohmann::json optional_time(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(iso_time(*t)) : nlohmann::json(nullptr);
}

nlohmann::json id_or_null(const RunId& id) { return id.empty() ? nlohmann::json(nullptr) : nlohmann::json(id.str()); }

// Parameters and tags are JSON already; keep them structured, or as text if a
// hand-edited row holds something else.
nlohmann::json embedded(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

nlohmann::json duration_seconds(const std::optional<TimePoint>& start, const std::optional<TimePoint>& end) {
  if (!start || !end) return nullptr;
  return std::chrono::duration<double>(*end - *start).count();
}

nlohmann::json history_json(const std::vector<store::StateTransition>& history) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : history) {
    out.push_back({{"state", to_string(h.type)}, {"state_type", to_string(kind_of(h.type))}, {"time", iso_time(h.at)}, {"message", h.message}});
  }
  return out;
}

}  // namespace

std::string local_time(TimePoint t) {
  const std::tm tm = local_tm(t);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::string local_time_ms(TimePoint t) { return fmt::format("{}.{:03}", local_time(t), sub_second_micros(t) / 1000); }

std::string iso_time(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, sub_second_micros(t));
}

std::string human_duration(std::chrono::microseconds d) {
  const long long us = std::max<long long>(0, d.count());
  if (us < 1'000) return fmt::format("{}us", us);
  if (us < 1'000'000) return fmt::format("{}ms", us / 1'000);
  if (us < 60'000'000) return fmt::format("{:.2f}s", static_cast<double>(us) / 1e6);
  const long long s = us / 1'000'000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string run_duration(const std::optional<TimePoint>& start, const std::optional<TimePoint>& end) {
  if (!start) return "-";
  const TimePoint stop = end ? *end : std::chrono::system_clock::now();
  return human_duration(std::chrono::duration_cast<std::chrono::microseconds>(stop - *start)) + (end ? "" : "+");
}

std::string one_line(const std::string& text, std::size_t width) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (chars == width) {
        out += "…";
        return out;
      }
      ++chars;
    }
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : text[i]);
  }
  return out;
}

void Table::print(std::ostream& out, const std::string& indent) const {
  std::vector<std::size_t> widths(headers_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  };
  measure(headers_);
  for (const auto& row : rows_) measure(row);
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line = indent;
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  emit(headers_);
  for (const auto& row : rows_) emit(row);
}

nlohmann::json to_json(const store::FlowRunRecord& r, bool with_history) {
  nlohmann::json j = {
      {"id", r.id.str()},
      {"flow_name", r.flow_name},
      {"run_name", r.run_name},
      {"state", to_string(r.state)},
      {"state_type", to_string(kind_of(r.state))},
      {"state_message", r.state_message},
      {"state_time", iso_time(r.state_time)},
      {"created", iso_time(r.created)},
      {"start_time", optional_time(r.start_time)},
      {"end_time", optional_time(r.end_time)},
      {"duration_seconds", duration_seconds(r.start_time, r.end_time)},
      {"parent_flow_run", id_or_null(r.parent_flow_run)},
      {"parameters", embedded(r.parameters_json)},
      {"tags", embedded(r.tags_json)},
      {"version", r.version},
      {"pid", r.pid},
      {"hostname", r.hostname},
      {"heartbeat", optional_time(r.heartbeat)},
      {"cancel_requested", optional_time(r.cancel_requested)},
      {"task_run_count", r.task_run_count},
  };
  if (with_history) j["state_history"] = history_json(r.history);
  return j;
}

nlohmann::json to_json(const store::TaskRunRecord& r) {
  return {
      {"id", r.id.str()},
      {"flow_run", id_or_null(r.flow_run)},
      {"task_name", r.task_name},
      {"run_name", r.run_name},
      {"state", to_string(r.state)},
      {"state_type", to_string(kind_of(r.state))},
      {"state_message", r.state_message},
      {"state_time", iso_time(r.state_time)},
      {"created", iso_time(r.created)},
      {"start_time", optional_time(r.start_time)},
      {"end_time", optional_time(r.end_time)},
      {"duration_seconds", duration_seconds(r.start_time, r.end_time)},
      {"parameters", embedded(r.parameters_json)},
      {"tags", embedded(r.tags_json)},
      {"state_history", history_json(r.history)},
  };
}

void print_json(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace baton::cli

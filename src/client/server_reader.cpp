#include "client/server_reader.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>
#include <functional>
#include <set>
#include <tuple>
#include <utility>

namespace baton::client {

namespace {

using nlohmann::json;

constexpr int kPage = 1000;  // the API's largest page

// A failed answer as one message: the server's own words for an unknown id or a
// final run (they name the id), else the URL and the setting at fault.
Status failure(const HttpResponse& r) {
  const std::string said = r.server_message();
  if ((r.status == 400 || r.status == 404 || r.status == 409) && !said.empty()) return Status::error(said);
  return Status::error(r.describe());
}

Result<json> get_json(HttpClient& http, const std::string& path) {
  HttpResponse r = http.get(path);
  if (!r.ok()) return failure(r);
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::error(fmt::format("{} answered with something that is not a JSON object; is BATON_API_URL the "
                                     "server's API (ending in /api)?",
                                     r.url));
  }
  return j;
}

std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t integer(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

RunId id(const json& j, const char* key) { return RunId::parse(text(j, key)).value_or(RunId{}); }

std::optional<TimePoint> time(const json& j, const char* key) { return parse_api_time(text(j, key)); }

// Parameters and tags come as JSON values; the records hold their text.
std::string embedded(const json& j, const char* key, const char* empty) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return empty;
  return it->dump(-1, ' ', false, json::error_handler_t::replace);
}

// The server knows a state the engine never produces (Late: a scheduled run
// past its time); it reads as Scheduled, and any other unknown name as Pending,
// so a listing never fails on them.
StateType state(const json& j, const char* key) {
  const std::string name = text(j, key);
  StateType t = StateType::Pending;
  if (parse_state_type(name, t)) return t;
  if (name == "Late") return StateType::Scheduled;
  return StateType::Pending;
}

std::vector<store::StateTransition> history(const json& j) {
  std::vector<store::StateTransition> out;
  auto it = j.find("history");
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& h : *it) {
    out.push_back({state(h, "state"), time(h, "time").value_or(TimePoint{}), text(h, "message")});
  }
  return out;
}

store::FlowRunRecord flow_run(const json& j) {
  store::FlowRunRecord r;
  r.id = id(j, "id");
  r.parent_flow_run = id(j, "parent_flow_run");
  r.flow_name = text(j, "flow_name");
  r.run_name = text(j, "run_name");
  r.parameters_json = embedded(j, "parameters", "{}");
  r.tags_json = embedded(j, "tags", "[]");
  r.version = text(j, "version");
  r.created = time(j, "created").value_or(TimePoint{});
  r.state = state(j, "state");
  r.state_time = time(j, "state_time").value_or(r.created);
  r.state_message = text(j, "state_message");
  r.start_time = time(j, "start_time");
  r.end_time = time(j, "end_time");
  r.history = history(j);
  r.pid = integer(j, "pid");
  r.hostname = text(j, "hostname");
  r.heartbeat = time(j, "heartbeat");
  r.cancel_requested = time(j, "cancel_requested");
  r.task_run_count = integer(j, "task_run_count");
  return r;
}

store::TaskRunRecord task_run(const json& j) {
  store::TaskRunRecord r;
  r.id = id(j, "id");
  r.flow_run = id(j, "flow_run");
  r.task_name = text(j, "task_name");
  r.run_name = text(j, "run_name");
  r.parameters_json = embedded(j, "parameters", "{}");
  r.tags_json = embedded(j, "tags", "[]");
  r.created = time(j, "created").value_or(TimePoint{});
  r.state = state(j, "state");
  r.state_time = time(j, "state_time").value_or(r.created);
  r.state_message = text(j, "state_message");
  r.start_time = time(j, "start_time");
  r.end_time = time(j, "end_time");
  r.history = history(j);
  return r;
}

// Every page of a list route: `path` has its query already ("?limit=1000...").
// Calls `each` with every element of `field`; stops after `want` elements (<= 0: all).
Status pages(HttpClient& http, const std::string& path, const char* field, long want,
             const std::function<void(const json&)>& each) {
  std::string cursor;
  long seen = 0;
  while (true) {
    const std::string page_path = cursor.empty() ? path : path + "&cursor=" + url_encode(cursor);
    auto page = get_json(http, page_path);
    if (!page.ok()) return page.status();
    auto items = page->find(field);
    if (items == page->end() || !items->is_array()) {
      return Status::error(fmt::format("{}{}: the answer has no '{}' list", http.base_url(), page_path, field));
    }
    for (const auto& item : *items) {
      each(item);
      if (want > 0 && ++seen >= want) return {};
    }
    auto next = page->find("next_cursor");
    if (next == page->end() || !next->is_string() || items->empty()) return {};
    cursor = next->get<std::string>();
  }
}

std::string run_path(const RunId& run) { return "/flow-runs/" + run.str(); }

}  // namespace

std::optional<TimePoint> parse_api_time(std::string_view s) {
  if (s.size() < 20) return std::nullopt;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, consumed = 0;
  const std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  std::size_t i = 19;
  long long micros = 0;
  if (i < s.size() && s[i] == '.') {
    int digits = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (digits < 6) micros = micros * 10 + (s[i] - '0');
    }
    for (; digits < 6; ++digits) micros *= 10;
  }
  long offset_seconds = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    const int oh = std::atoi(str.substr(i + 1, 2).c_str());
    const int om = std::atoi(str.substr(i + 4, 2).c_str());
    offset_seconds = (s[i] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  return TimePoint(std::chrono::seconds(t - offset_seconds)) + std::chrono::microseconds(micros);
}

ServerReader::ServerReader(HttpClient::Options options) : http_(std::move(options)) {}

std::string ServerReader::location() const { return http_.base_url(); }

Result<std::vector<store::FlowRunRecord>> ServerReader::list_flow_runs(const store::FlowRunFilter& filter) {
  const int per_page = filter.limit > 0 && filter.limit < kPage ? filter.limit : kPage;
  std::string path = fmt::format("/flow-runs?limit={}", per_page);
  if (!filter.flow_name.empty()) path += "&flow=" + url_encode(filter.flow_name);
  if (filter.state) path += "&state=" + url_encode(to_string(*filter.state));
  std::vector<store::FlowRunRecord> out;
  Status s = pages(http_, path, "flow_runs", filter.limit, [&](const json& j) { out.push_back(flow_run(j)); });
  if (!s.ok()) return s;
  return out;
}

Result<store::FlowRunRecord> ServerReader::find_flow_run(std::string_view id_or_prefix) {
  auto j = get_json(http_, "/flow-runs/" + url_encode(id_or_prefix));
  if (!j.ok()) return j.status();
  return flow_run(*j);
}

Result<std::vector<store::TaskRunRecord>> ServerReader::task_runs(const RunId& flow_run_id, store::WithHistory with) {
  std::vector<store::TaskRunRecord> out;
  Status s = pages(http_, fmt::format("{}/task-runs?limit={}", run_path(flow_run_id), kPage), "task_runs", 0,
                   [&](const json& j) { out.push_back(task_run(j)); });
  if (!s.ok()) return s;
  if (with == store::WithHistory::Yes) {
    // The list carries the latest state only; each run's history is its own read.
    for (auto& t : out) {
      if (!t.history.empty()) continue;
      auto detail = get_json(http_, "/task-runs/" + t.id.str());
      if (!detail.ok()) return detail.status();
      t.history = history(*detail);
    }
  }
  return out;
}

Result<std::vector<store::EdgeRecord>> ServerReader::edges(const RunId& flow_run_id) {
  std::vector<store::EdgeRecord> out;
  std::set<std::tuple<RunId, RunId, int>> seen;  // a page may repeat an edge that crosses pages
  // The graph is paged by its nodes; each page brings the edges of its nodes.
  std::string cursor;
  while (true) {
    std::string path = fmt::format("{}/graph?limit=5000", run_path(flow_run_id));
    if (!cursor.empty()) path += "&cursor=" + url_encode(cursor);
    auto page = get_json(http_, path);
    if (!page.ok()) return page.status();
    if (auto e = page->find("edges"); e != page->end() && e->is_array()) {
      for (const auto& j : *e) {
        store::EdgeRecord r{id(j, "upstream"), id(j, "downstream"),
                            text(j, "kind") == "wait_for" ? engine::EdgeKind::WaitFor : engine::EdgeKind::Data};
        if (seen.insert({r.upstream, r.downstream, static_cast<int>(r.kind)}).second) out.push_back(r);
      }
    }
    auto next = page->find("next_cursor");
    auto nodes = page->find("nodes");
    if (next == page->end() || !next->is_string() || nodes == page->end() || !nodes->is_array() || nodes->empty()) {
      break;
    }
    cursor = next->get<std::string>();
  }
  return out;
}

Result<std::vector<store::ResultRecordInfo>> ServerReader::results(const RunId& flow_run_id) {
  std::vector<store::ResultRecordInfo> out;
  Status s = pages(http_, fmt::format("{}/results?limit={}", run_path(flow_run_id), kPage), "results", 0,
                   [&](const json& j) {
                     store::ResultRecordInfo r;
                     r.task_run = id(j, "task_run");
                     r.cache_key = text(j, "cache_key");
                     r.location = text(j, "location");
                     r.size = integer(j, "size");
                     r.serializer = text(j, "serializer");
                     r.produced_by = id(j, "produced_by");
                     auto fc = j.find("from_cache");
                     r.from_cache = fc != j.end() && fc->is_boolean() && fc->get<bool>();
                     out.push_back(std::move(r));
                   });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<store::LogRecord>> ServerReader::logs(const RunId& flow_run_id) {
  std::vector<store::LogRecord> out;
  Status s = pages(http_, fmt::format("{}/logs?limit={}", run_path(flow_run_id), kPage), "logs", 0,
                   [&](const json& j) {
                     store::LogRecord r;
                     r.flow_run = id(j, "flow_run");
                     r.task_run = id(j, "task_run");
                     LogLevel level = LogLevel::Info;
                     if (!parse_log_level(text(j, "level"), level)) level = LogLevel::Info;
                     r.level = level;
                     r.at = time(j, "time").value_or(TimePoint{});
                     r.message = text(j, "message");
                     out.push_back(std::move(r));
                   });
  if (!s.ok()) return s;
  return out;
}

Status ServerReader::request_cancellation(const RunId& flow_run_id) {
  HttpResponse r = http_.post_json(run_path(flow_run_id) + "/cancel", "{}");
  if (!r.ok()) return failure(r);
  return {};
}

}  // namespace baton::client

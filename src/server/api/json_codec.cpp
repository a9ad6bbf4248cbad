#include "server/api/json_codec.h"

#include "store/history_codec.h"

#include <fmt/format.h>

#include <chrono>

namespace baton::server::api {

using nlohmann::json;

std::string format_time(std::int64_t us) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<microseconds>(microseconds(us)));
  const year_month_day ymd(day);
  const std::int64_t in_day = us - duration_cast<microseconds>(day.time_since_epoch()).count();
  const std::int64_t secs = in_day / 1'000'000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), secs / 3600,
                     (secs / 60) % 60, secs % 60, in_day % 1'000'000);
}

std::string format_time(TimePoint t) { return format_time(store::to_micros(t)); }

std::int64_t parse_time(std::string_view s, std::string_view field) {
  auto fail = [&]() -> std::int64_t {
    throw db::BadInput(std::string(field), fmt::format("{}: expected an RFC 3339 time such as "
                                                       "2026-12-07T11:25:30Z, got '{}'",
                                                       field, s));
  };
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!digits(0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, mi) ||
      s[16] != ':' || !digits(17, 2, se)) {
    return fail();
  }
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return fail();
  std::size_t pos = 19;
  std::int64_t frac_us = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    std::int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 6) frac_us += (s[pos] - '0') * scale, scale /= 10;
      ++pos, ++n;
    }
    if (n == 0) return fail();
  }
  std::int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(pos + 4, 2, om)) return fail();
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return fail();
  }
  if (pos != s.size()) return fail();
  const std::int64_t day_us = duration_cast<microseconds>(sys_days(ymd).time_since_epoch()).count();
  return day_us + (static_cast<std::int64_t>(h) * 3600 + mi * 60 + se - offset_s) * 1'000'000 + frac_us;
}

namespace {

json opt_time(const std::optional<TimePoint>& t) { return t ? json(format_time(*t)) : json(nullptr); }
json opt_id(const RunId& id) { return id.empty() ? json(nullptr) : json(id.str()); }

// Stored JSON texts come from the ingest codec, which checked them; a row edited
// by hand still never breaks a response.
json parsed(const std::string& text, json fallback) {
  auto v = json::parse(text, nullptr, false);
  return v.is_discarded() ? fallback : v;
}

std::optional<double> duration_seconds(const std::optional<TimePoint>& start, const std::optional<TimePoint>& end) {
  if (!start || !end) return std::nullopt;
  return std::chrono::duration<double>(*end - *start).count();
}

}  // namespace

json history_json(const std::vector<store::StateTransition>& history) {
  json out = json::array();
  for (const auto& t : history) {
    json h = {{"state", to_string(t.type)}, {"time", format_time(t.at)}};
    if (!t.message.empty()) h["message"] = t.message;
    out.push_back(std::move(h));
  }
  return out;
}

json history_json(std::string_view stored) {
  // [[state, time_us, message?], ...]; entries it cannot read are skipped.
  json in = json::parse(stored, nullptr, false);
  json out = json::array();
  if (!in.is_array()) return out;
  for (const auto& e : in) {
    if (!e.is_array() || e.size() < 2 || !e[0].is_string() || !e[1].is_number_integer()) continue;
    json h = {{"state", e[0]}, {"time", format_time(e[1].get<std::int64_t>())}};
    if (e.size() > 2 && e[2].is_string() && !e[2].get<std::string>().empty()) h["message"] = e[2];
    out.push_back(std::move(h));
  }
  return out;
}

json to_json(const store::FlowRunRecord& r) {
  json j = {{"id", r.id.str()},
            {"parent_flow_run", opt_id(r.parent_flow_run)},
            {"flow_name", r.flow_name},
            {"run_name", r.run_name},
            {"parameters", parsed(r.parameters_json, json::object())},
            {"tags", parsed(r.tags_json, json::array())},
            {"version", r.version},
            {"created", format_time(r.created)},
            {"state", to_string(r.state)},
            {"state_time", format_time(r.state_time)},
            {"state_message", r.state_message},
            {"start_time", opt_time(r.start_time)},
            {"end_time", opt_time(r.end_time)},
            {"pid", r.pid},
            {"hostname", r.hostname},
            {"heartbeat", opt_time(r.heartbeat)},
            {"cancel_requested", opt_time(r.cancel_requested)},
            {"task_run_count", r.task_run_count},
            {"deployment", r.deployment ? json(*r.deployment) : json(nullptr)},
            {"work_pool", r.work_pool ? json(*r.work_pool) : json(nullptr)},
            {"schedule", r.schedule ? json(*r.schedule) : json(nullptr)},
            {"expected_start_time", opt_time(r.expected_start_time)},
            {"worker", r.worker ? json(*r.worker) : json(nullptr)},
            {"lease_expires", opt_time(r.lease_expires)},
            {"run_count", r.run_count}};
  if (!r.state_label.empty()) j["state"] = r.state_label;
  auto d = duration_seconds(r.start_time, r.end_time);
  j["duration_seconds"] = d ? json(*d) : json(nullptr);
  return j;
}

json to_json(const db::FlowRunDetail& d) {
  json j = to_json(d.run);
  j["history"] = d.history_text.empty() ? history_json(d.run.history) : history_json(d.history_text);
  j["task_run_counts"] = d.task_run_counts;
  return j;
}

json to_json(const store::TaskRunRecord& r) {
  return {{"id", r.id.str()},
          {"flow_run", opt_id(r.flow_run)},
          {"task_name", r.task_name},
          {"run_name", r.run_name},
          {"parameters", parsed(r.parameters_json, json::object())},
          {"tags", parsed(r.tags_json, json::array())},
          {"created", format_time(r.created)},
          {"state", to_string(r.state)},
          {"state_time", format_time(r.state_time)},
          {"state_message", r.state_message},
          {"start_time", opt_time(r.start_time)},
          {"end_time", opt_time(r.end_time)}};
}

json to_json(const db::TaskRunDetail& d) {
  json j = to_json(d.run);
  j["history"] = history_json(d.run.history);
  j["upstream"] = json::array();
  for (const auto& id : d.upstream) j["upstream"].push_back(id.str());
  j["downstream"] = json::array();
  for (const auto& id : d.downstream) j["downstream"].push_back(id.str());
  j["result"] = d.result ? to_json(*d.result) : json(nullptr);
  return j;
}

json to_json(const store::LogRecord& l) {
  return {{"flow_run", opt_id(l.flow_run)},
          {"task_run", opt_id(l.task_run)},
          {"level", to_string(l.level)},
          {"time", format_time(l.at)},
          {"message", l.message}};
}

json to_json(const db::ResultRow& r) {
  return {{"task_run", r.task_run.str()},     {"flow_run", opt_id(r.flow_run)},  {"task_name", r.task_name},
          {"cache_key", r.cache_key},         {"location", r.location},          {"size", r.size},
          {"serializer", r.serializer},       {"produced_by", opt_id(r.produced_by)}, {"from_cache", r.from_cache}};
}

json to_json(const store::EdgeRecord& e) {
  return {{"upstream", e.upstream.str()},
          {"downstream", e.downstream.str()},
          {"kind", e.kind == engine::EdgeKind::Data ? "data" : "wait_for"}};
}

json to_json(const db::Graph& g) {
  json groups = json::array();
  for (const auto& gg : g.groups) {
    groups.push_back({{"task_name", gg.task_name},
                      {"count", gg.count},
                      {"counts_by_state", gg.counts_by_state},
                      {"start_time", gg.start_us ? json(format_time(*gg.start_us)) : json(nullptr)},
                      {"end_time", gg.end_us ? json(format_time(*gg.end_us)) : json(nullptr)},
                      {"upstream_groups", gg.upstream_groups}});
  }
  json nodes = json::array();
  for (const auto& n : g.nodes) nodes.push_back(to_json(n));
  json edges = json::array();
  for (const auto& e : g.edges) edges.push_back(to_json(e));
  return {{"total_nodes", g.total_nodes},
          {"total_edges", g.total_edges},
          {"groups", std::move(groups)},
          {"nodes", std::move(nodes)},
          {"edges", std::move(edges)},
          {"next_cursor", g.next_cursor ? json(*g.next_cursor) : json(nullptr)}};
}

json to_json(const db::Stats& s) {
  json buckets = json::array();
  for (const auto& b : s.buckets) buckets.push_back({{"start", format_time(b.start_us)}, {"counts", b.counts}});
  return {{"buckets", std::move(buckets)}, {"running", s.running}, {"failed", s.failed}, {"crashed", s.crashed}};
}

std::string error_body(int status, std::string_view message, std::string_view field) {
  json e = {{"status", status}, {"message", message}};
  if (!field.empty()) e["field"] = field;
  return json{{"error", std::move(e)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace baton::server::api

// The routes of issue 16 (deployments, work pools and workers, concurrency
// limits, artifacts) and their JSON: decode and check the request, call the
// stores of services::WorkModel, encode the answer. Long polls (claim,
// acquire) sleep on the model's wake-ups, never longer than a second at a
// time, so a notification lost between servers costs at most that second.
#include "server/api/deploy_routes.h"

#include "server/api/json_codec.h"
#include "server/api/request_helpers.h"
#include "server/db/store_util.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <regex>
#include <set>

namespace baton::server::api {

using nlohmann::json;
using db::BadInput;
using db::util::now_us;
using db::Unprocessable;

namespace {

using api::to_json;

// Field readers: each names the field in its error.
class Fields {
 public:
  Fields(const json& j, std::string prefix, std::set<std::string> known) : j_(j), prefix_(std::move(prefix)) {
    for (const auto& [k, v] : j.items()) {
      if (!known.count(k)) throw BadInput(name(k), fmt::format("{}: unknown field", name(k)));
    }
  }
  std::string name(const std::string& k) const { return prefix_.empty() ? k : prefix_ + "." + k; }
  bool has(const std::string& k) const { return j_.contains(k) && !j_.at(k).is_null(); }
  const json& at(const std::string& k) const { return j_.at(k); }

  std::optional<std::string> str(const std::string& k, bool required = false) const {
    if (!has(k)) {
      if (required) throw BadInput(name(k), fmt::format("{}: missing", name(k)));
      return std::nullopt;
    }
    if (!j_.at(k).is_string()) bad(k, "a string");
    return j_.at(k).get<std::string>();
  }
  std::optional<std::int64_t> integer(const std::string& k, std::int64_t min, std::int64_t max) const {
    if (!has(k)) return std::nullopt;
    const json& v = j_.at(k);
    if (!v.is_number_integer() || v.get<std::int64_t>() < min || v.get<std::int64_t>() > max) {
      bad(k, fmt::format("an integer from {} to {}", min, max));
    }
    return v.get<std::int64_t>();
  }
  std::optional<double> number(const std::string& k, double min, double max) const {
    if (!has(k)) return std::nullopt;
    const json& v = j_.at(k);
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < min || v.get<double>() > max) {
      bad(k, fmt::format("a number from {} to {}", min, max));
    }
    return v.get<double>();
  }
  std::optional<bool> boolean(const std::string& k) const {
    if (!has(k)) return std::nullopt;
    if (!j_.at(k).is_boolean()) bad(k, "true or false");
    return j_.at(k).get<bool>();
  }
  std::vector<std::string> strings(const std::string& k, bool required = false) const {
    std::vector<std::string> out;
    if (!has(k)) {
      if (required) throw BadInput(name(k), fmt::format("{}: missing", name(k)));
      return out;
    }
    const json& v = j_.at(k);
    if (!v.is_array()) bad(k, "an array of strings");
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) {
        const std::string f = fmt::format("{}[{}]", name(k), i);
        throw BadInput(f, fmt::format("{}: expected a string, got {}", f, v[i].dump()));
      }
      out.push_back(v[i].get<std::string>());
    }
    return out;
  }
  [[noreturn]] void bad(const std::string& k, const std::string& expected) const {
    throw BadInput(name(k), fmt::format("{}: expected {}, got {}", name(k), expected, j_.at(k).dump()));
  }

 private:
  const json& j_;
  std::string prefix_;
};

std::string check_name(const std::string& name, const char* what) {
  if (name.empty() || name.size() > 200) {
    throw BadInput("name", fmt::format("name: a {} name has 1 to 200 characters", what));
  }
  for (char ch : name) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == '/') {
      throw BadInput("name", fmt::format("name: '{}' holds a control character or '/'", name));
    }
  }
  return name;
}

std::chrono::microseconds seconds_us(double s) { return std::chrono::microseconds(static_cast<std::int64_t>(s * 1e6)); }

json opt_us(const std::optional<std::int64_t>& v) { return v ? json(format_time(*v)) : json(nullptr); }

json parsed_or(const std::string& text, json fallback) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

// ---------------------------------------------------------------- codecs

json to_json(const db::WorkPoolRow& p) {
  return {{"name", p.name},
          {"description", p.description},
          {"concurrency_limit", p.concurrency_limit ? json(*p.concurrency_limit) : json(nullptr)},
          {"paused", p.paused},
          {"created", format_time(p.created_us)},
          {"workers_online", p.workers_online},
          {"runs_scheduled", p.runs_scheduled},
          {"runs_running", p.runs_running}};
}

json to_json(const db::ScheduleRow& s) {
  json j = {{"id", s.id}, {"kind", s.kind}, {"timezone", s.timezone}, {"active", s.active}};
  if (s.kind == "interval") {
    j["interval_seconds"] = std::stoll(s.expression);
  } else {
    j[s.kind] = s.expression;
  }
  if (s.anchor_us) j["anchor"] = format_time(*s.anchor_us);
  return j;
}

json to_json(const db::DeploymentRow& d) {
  json schedules = json::array();
  for (const auto& s : d.schedules) schedules.push_back(to_json(s));
  json next = json::array();
  for (auto t : d.next_runs_us) next.push_back(format_time(t));
  return {{"id", d.id},
          {"name", d.name},
          {"flow_name", d.flow_name},
          {"command", parsed_or(d.command_json, json::array())},
          {"description", d.description},
          {"parameters", parsed_or(d.parameters_json, json::object())},
          {"parameter_specs", parsed_or(d.parameter_specs_json, json::array())},
          {"tags", parsed_or(d.tags_json, json::array())},
          {"work_pool", d.work_pool},
          {"schedules", std::move(schedules)},
          {"paused", d.paused},
          {"retries", d.retries},
          {"retry_delay_seconds", static_cast<double>(d.retry_delay_us) / 1e6},
          {"concurrency_limit", d.concurrency_limit ? json(*d.concurrency_limit) : json(nullptr)},
          {"created", format_time(d.created_us)},
          {"updated", format_time(d.updated_us)},
          {"next_runs", std::move(next)}};
}

json to_json(const db::WorkerRow& w) {
  return {{"id", w.id},
          {"name", w.name},
          {"work_pool", w.work_pool},
          {"hostname", w.hostname},
          {"pid", w.pid},
          {"limit", w.limit ? json(*w.limit) : json(nullptr)},
          {"last_heartbeat", format_time(w.last_heartbeat_us)},
          {"status", w.online ? "online" : "offline"},
          {"runs", w.runs}};
}

json to_json(const db::ClaimedRun& c) {
  json j = to_json(c.run);
  j["command"] = parsed_or(c.command_json, json::array());
  j["lease_expires"] = c.run.lease_expires ? json(format_time(*c.run.lease_expires)) : json(nullptr);
  return j;
}

json to_json(const db::ConcurrencyLimitRow& l) {
  return {{"tag", l.tag},
          {"limit", l.limit},
          {"active_slots", l.active_slots},
          {"holders", l.holders},
          {"created", format_time(l.created_us)}};
}

json to_json(const db::ArtifactRow& a) {
  return {{"id", a.id},
          {"key", a.key},
          {"version", a.version},
          {"type", a.type},
          {"data", parsed_or(a.data_json, json(nullptr))},
          {"description", a.description},
          {"flow_run", a.flow_run ? json(*a.flow_run) : json(nullptr)},
          {"task_run", a.task_run ? json(*a.task_run) : json(nullptr)},
          {"created", format_time(a.created_us)}};
}

db::ScheduleRow schedule_from(const json& j, const std::string& field) {
  if (!j.is_object()) throw BadInput(field, fmt::format("{}: expected an object, got {}", field, j.dump()));
  Fields f(j, field, {"id", "kind", "cron", "interval_seconds", "anchor", "rrule", "timezone", "active"});
  db::ScheduleRow s;
  s.kind = *f.str("kind", true);
  if (s.kind != "cron" && s.kind != "interval" && s.kind != "rrule") {
    throw Unprocessable(f.name("kind"), fmt::format("{}: expected cron, interval or rrule, got '{}'", f.name("kind"),
                                                    s.kind));
  }
  int given = 0;
  for (const char* k : {"cron", "interval_seconds", "rrule"}) given += f.has(k) ? 1 : 0;
  const std::string own = s.kind == "interval" ? "interval_seconds" : s.kind;
  if (!f.has(own)) {
    throw Unprocessable(f.name(own), fmt::format("{}: missing (a {} schedule needs it)", f.name(own), s.kind));
  }
  if (given > 1) {
    throw Unprocessable(field, fmt::format("{}: give exactly one of cron, interval_seconds and rrule", field));
  }
  if (s.kind == "interval") {
    const json& v = f.at("interval_seconds");
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 1 ||
        v.get<double>() != std::floor(v.get<double>()) || v.get<double>() > 366.0 * 86400 * 100) {
      throw Unprocessable(f.name("interval_seconds"),
                          fmt::format("{}: expected a whole number of seconds, at least 1, got {}",
                                      f.name("interval_seconds"), v.dump()));
    }
    s.expression = std::to_string(static_cast<std::int64_t>(v.get<double>()));
  } else {
    s.expression = *f.str(own);
  }
  s.timezone = f.str("timezone").value_or("UTC");
  if (auto a = f.str("anchor")) s.anchor_us = parse_time(*a, f.name("anchor"));
  s.active = f.boolean("active").value_or(true);
  db::check_schedule(s, field);
  return s;
}

db::DeploymentRow deployment_from(const std::string& name, const std::string& body) {
  const json j = parse_object(body);
  // The read-only fields of a Deployment are accepted (a GET sent back as a
  // PUT) and ignored.
  Fields f(j, "", {"flow_name", "command", "description", "parameters", "parameter_specs", "tags", "work_pool",
                   "schedules", "paused", "retries", "retry_delay_seconds", "concurrency_limit", "id", "name",
                   "created", "updated", "next_runs"});
  db::DeploymentRow d;
  d.name = check_name(name, "deployment");
  d.flow_name = *f.str("flow_name", true);
  if (d.flow_name.empty()) throw BadInput("flow_name", "flow_name: empty");
  const auto command = f.strings("command", true);
  if (command.empty() || command[0].empty()) {
    throw BadInput("command", "command: expected the program and its arguments, got an empty list");
  }
  d.command_json = json(command).dump();
  d.description = f.str("description").value_or("");
  d.work_pool = *f.str("work_pool", true);
  if (f.has("parameters")) {
    const json& p = f.at("parameters");
    if (!p.is_object()) f.bad("parameters", "an object");
    for (const auto& [k, v] : p.items()) {
      if (v.is_object() || v.is_array()) {
        throw BadInput("parameters." + k, fmt::format("parameters.{}: expected a JSON scalar, got {}", k, v.dump()));
      }
    }
    d.parameters_json = p.dump();
  }
  if (f.has("parameter_specs")) {
    const json& specs = f.at("parameter_specs");
    if (!specs.is_array()) f.bad("parameter_specs", "an array");
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const std::string field = fmt::format("parameter_specs[{}]", i);
      if (!specs[i].is_object()) throw BadInput(field, fmt::format("{}: expected an object", field));
      Fields s(specs[i], field, {"name", "type", "required", "default"});
      s.str("name", true);
      s.str("type", true);
      s.boolean("required");
    }
    d.parameter_specs_json = specs.dump();
  }
  d.tags_json = json(f.strings("tags")).dump();
  if (f.has("schedules")) {
    const json& s = f.at("schedules");
    if (!s.is_array()) f.bad("schedules", "an array");
    for (std::size_t i = 0; i < s.size(); ++i) d.schedules.push_back(schedule_from(s[i], fmt::format("schedules[{}]", i)));
  }
  d.paused = f.boolean("paused").value_or(false);
  d.retries = f.integer("retries", 0, 1000).value_or(0);
  d.retry_delay_us = seconds_us(f.number("retry_delay_seconds", 0, 86400.0 * 30).value_or(0)).count();
  d.concurrency_limit = f.integer("concurrency_limit", 1, 1'000'000);
  // The defaults themselves must fit the declared parameters.
  d.parameters_json = db::merge_parameters(d, "{}");
  return d;
}

db::WorkerInfo worker_from(const Fields& f, const char* name_field) {
  db::WorkerInfo w;
  w.id = *f.str("worker_id", true);
  if (w.id.empty() || w.id.size() > 200) throw BadInput("worker_id", "worker_id: 1 to 200 characters");
  w.name = f.str(name_field).value_or("");
  w.hostname = f.str("hostname").value_or("");
  w.pid = f.integer("pid", 0, std::numeric_limits<std::int32_t>::max()).value_or(0);
  return w;
}

std::optional<std::string> run_id_field(const Fields& f, const std::string& k) {
  auto v = f.str(k);
  if (v && !RunId::parse(*v)) throw BadInput(k, fmt::format("{}: not a run id: '{}'", k, *v));
  return v;
}

}  // namespace

void add_deploy_routes(std::vector<Route>& routes, ApiContext& ctx) {
  auto& m = *ctx.work;
  auto& hub = ctx.hub;
  auto& database = ctx.db;

  // ---- deployments
  routes.push_back({"GET", "/deployments", {"work_pool", "limit", "cursor"}, [&m](const ApiRequest& r) {
                      auto page = m.deployments.list_deployments(param(r, "work_pool"), limit_of(r), param(r, "cursor"));
                      json items = json::array();
                      for (const auto& d : page.items) items.push_back(to_json(d));
                      return ok({{"deployments", std::move(items)},
                                 {"next_cursor", page.next_cursor ? json(*page.next_cursor) : json(nullptr)}});
                    }});
  routes.push_back({"GET", "/deployments/{name}", {}, [&m](const ApiRequest& r) {
                      return ok(to_json(m.deployments.read_deployment(r.path_params.at(0))));
                    }});
  routes.push_back({"PUT", "/deployments/{name}", {}, [&m](const ApiRequest& r) {
                      auto [d, created] =
                          m.deployments.apply_deployment(deployment_from(r.path_params.at(0), r.body), now_us());
                      return ok(to_json(d), created ? 201 : 200);
                    }});
  routes.push_back({"DELETE", "/deployments/{name}", {}, [&m](const ApiRequest& r) {
                      m.deployments.delete_deployment(r.path_params.at(0));
                      return ApiResponse{204, "", "application/json"};
                    }});
  routes.push_back({"POST", "/deployments/{name}/pause", {}, [&m](const ApiRequest& r) {
                      return ok(to_json(m.deployments.set_paused(r.path_params.at(0), true, now_us())));
                    }});
  routes.push_back({"POST", "/deployments/{name}/resume", {}, [&m](const ApiRequest& r) {
                      return ok(to_json(m.deployments.set_paused(r.path_params.at(0), false, now_us())));
                    }});
  routes.push_back({"POST", "/deployments/{name}/runs", {}, [&m, &hub, &database](const ApiRequest& r) {
                      const json j = r.body.empty() ? json::object() : parse_object(r.body);
                      Fields f(j, "", {"parameters", "tags", "scheduled_time", "run_name"});
                      const auto d = m.deployments.read_deployment(r.path_params.at(0));
                      std::string given = "{}";
                      if (f.has("parameters")) {
                        if (!f.at("parameters").is_object()) f.bad("parameters", "an object");
                        given = f.at("parameters").dump();
                      }
                      const std::string params = db::merge_parameters(d, given);
                      std::optional<std::string> tags;
                      if (f.has("tags")) tags = json(f.strings("tags")).dump();
                      std::optional<std::int64_t> at;
                      if (auto t = f.str("scheduled_time")) at = parse_time(*t, "scheduled_time");
                      auto run = m.deployments.create_run(d, params, tags, at, f.str("run_name").value_or(""), now_us());
                      hub.publish_flow_runs({run.id}, database);
                      return ok(to_json(run), 201);
                    }});
  routes.push_back({"POST", "/flow-runs/{id}/retry", {}, [&m, &hub, &database](const ApiRequest& r) {
                      auto run = m.deployments.retry(r.path_params.at(0), now_us());
                      hub.publish_flow_runs({run.id}, database);
                      return ok(to_json(run), 202);
                    }});

  // ---- work pools and workers
  routes.push_back({"GET", "/work-pools", {}, [&m](const ApiRequest&) {
                      json items = json::array();
                      for (const auto& p : m.deployments.list_work_pools(now_us())) items.push_back(to_json(p));
                      return ok({{"work_pools", std::move(items)}});
                    }});
  routes.push_back({"GET", "/work-pools/{name}", {}, [&m](const ApiRequest& r) {
                      return ok(to_json(m.deployments.read_work_pool(r.path_params.at(0), now_us())));
                    }});
  routes.push_back({"PUT", "/work-pools/{name}", {}, [&m](const ApiRequest& r) {
                      const json j = r.body.empty() ? json::object() : parse_object(r.body);
                      Fields f(j, "", {"name", "description", "concurrency_limit", "paused", "created",
                                       "workers_online", "runs_scheduled", "runs_running"});
                      db::WorkPoolRow p;
                      p.name = check_name(r.path_params.at(0), "work pool");
                      if (auto n = f.str("name"); n && *n != p.name) {
                        throw BadInput("name", fmt::format("name: '{}' differs from the path's '{}'", *n, p.name));
                      }
                      p.description = f.str("description").value_or("");
                      p.concurrency_limit = f.integer("concurrency_limit", 1, 1'000'000);
                      p.paused = f.boolean("paused").value_or(false);
                      auto [pool, created] = m.deployments.apply_work_pool(p, now_us());
                      return ok(to_json(pool), created ? 201 : 200);
                    }});
  routes.push_back({"DELETE", "/work-pools/{name}", {}, [&m](const ApiRequest& r) {
                      m.deployments.delete_work_pool(r.path_params.at(0));
                      return ApiResponse{204, "", "application/json"};
                    }});
  routes.push_back({"GET", "/work-pools/{name}/workers", {}, [&m](const ApiRequest& r) {
                      json items = json::array();
                      for (const auto& w : m.queue.list_workers(r.path_params.at(0), now_us())) {
                        items.push_back(to_json(w));
                      }
                      return ok({{"workers", std::move(items)}});
                    }});
  routes.push_back({"POST", "/work-pools/{name}/claim", {}, [&m, &hub, &database](const ApiRequest& r) {
                      const json j = parse_object(r.body);
                      Fields f(j, "", {"worker_id", "worker_name", "hostname", "pid", "limit", "lease_seconds",
                                       "wait_ms"});
                      db::WorkerInfo w = worker_from(f, "worker_name");
                      const int limit = static_cast<int>(f.integer("limit", 1, 1000).value_or(1));
                      w.limit = std::nullopt;  // `limit` is this claim's, not a standing limit
                      const auto lease = seconds_us(f.number("lease_seconds", 1, 3600).value_or(30));
                      const auto wait = std::chrono::milliseconds(f.integer("wait_ms", 0, 60000).value_or(0));
                      const std::string pool = r.path_params.at(0);
                      const auto deadline = std::chrono::steady_clock::now() + wait;
                      for (;;) {
                        const auto seen = m.runs_ready.generation();
                        auto runs = m.queue.claim(pool, w, limit, lease, now_us());
                        const auto now = std::chrono::steady_clock::now();
                        if (!runs.empty() || now >= deadline || m.stopping()) {
                          json items = json::array();
                          std::vector<RunId> ids;
                          for (const auto& c : runs) {
                            items.push_back(to_json(c));
                            ids.push_back(c.run.id);
                          }
                          if (!ids.empty()) hub.publish_flow_runs(ids, database);
                          return ok({{"runs", std::move(items)}});
                        }
                        // Sleep until woken, the next run is due, or a second
                        // passes (the fallback when a notification is missed).
                        auto wake = std::min(deadline, now + std::chrono::seconds(1));
                        if (auto next = m.queue.next_due(pool, now_us())) {
                          const auto in = std::chrono::microseconds(*next - now_us());
                          wake = std::min(wake, now + std::max(in, std::chrono::microseconds(0)));
                        }
                        m.runs_ready.wait(seen, wake);
                      }
                    }});
  routes.push_back({"POST", "/workers/heartbeat", {}, [&m](const ApiRequest& r) {
                      const json j = parse_object(r.body);
                      Fields f(j, "", {"worker_id", "work_pool", "worker_name", "hostname", "pid", "runs",
                                       "lease_seconds"});
                      const db::WorkerInfo w = worker_from(f, "worker_name");
                      const std::string pool = *f.str("work_pool", true);
                      const auto runs = f.strings("runs");
                      const auto lease = seconds_us(f.number("lease_seconds", 1, 3600).value_or(30));
                      auto reply = m.queue.heartbeat(pool, w, runs, lease, now_us());
                      return ok({{"lost", reply.lost}, {"cancel", reply.cancel}});
                    }});
  routes.push_back({"POST", "/flow-runs/{id}/release", {}, [&m, &hub, &database](const ApiRequest& r) {
                      const json j = parse_object(r.body);
                      Fields f(j, "", {"worker_id"});
                      auto run = m.queue.release(r.path_params.at(0), *f.str("worker_id", true), now_us());
                      hub.publish_flow_runs({run.id}, database);
                      return ok(to_json(run));
                    }});
  routes.push_back({"POST", "/flow-runs/{id}/exit", {}, [&m, &hub, &database](const ApiRequest& r) {
                      const json j = parse_object(r.body);
                      Fields f(j, "", {"worker_id", "exit_code", "signal", "message"});
                      db::ExitReport e;
                      e.worker_id = *f.str("worker_id", true);
                      e.exit_code = f.integer("exit_code", -1'000'000, 1'000'000);
                      e.signal = f.integer("signal", 1, 128);
                      e.message = f.str("message").value_or("");
                      if (e.message.size() > 4000) e.message.resize(4000);
                      auto run = m.queue.report_exit(r.path_params.at(0), e, now_us());
                      hub.publish_flow_runs({run.id}, database);
                      return ok(to_json(run));
                    }});

  // ---- concurrency limits
  routes.push_back({"GET", "/concurrency-limits", {}, [&m](const ApiRequest&) {
                      json items = json::array();
                      for (const auto& l : m.limits.list_limits(now_us())) items.push_back(to_json(l));
                      return ok({{"concurrency_limits", std::move(items)}});
                    }});
  routes.push_back({"GET", "/concurrency-limits/{tag}", {}, [&m](const ApiRequest& r) {
                      return ok(to_json(m.limits.read_limit(r.path_params.at(0), now_us())));
                    }});
  routes.push_back({"PUT", "/concurrency-limits/{tag}", {}, [&m](const ApiRequest& r) {
                      const json j = parse_object(r.body);
                      Fields f(j, "", {"limit", "tag", "active_slots", "holders", "created"});
                      if (!f.has("limit")) throw BadInput("limit", "limit: missing");
                      const auto limit = *f.integer("limit", 0, 1'000'000);
                      auto [l, created] = m.limits.apply_limit(check_name(r.path_params.at(0), "tag"), limit, now_us());
                      m.slots_freed.notify();
                      return ok(to_json(l), created ? 201 : 200);
                    }});
  routes.push_back({"DELETE", "/concurrency-limits/{tag}", {}, [&m](const ApiRequest& r) {
                      m.limits.delete_limit(r.path_params.at(0));
                      m.slots_freed.notify();
                      return ApiResponse{204, "", "application/json"};
                    }});
  routes.push_back({"POST", "/concurrency-limits/acquire", {}, [&m](const ApiRequest& r) {
                      const json j = parse_object(r.body);
                      Fields f(j, "", {"holder", "tags", "lease_seconds", "wait_ms"});
                      const std::string holder = *f.str("holder", true);
                      const auto tags = f.strings("tags", true);
                      const auto lease = seconds_us(f.number("lease_seconds", 1, 3600).value_or(30));
                      const auto wait = std::chrono::milliseconds(f.integer("wait_ms", 0, 60000).value_or(0));
                      const auto deadline = std::chrono::steady_clock::now() + wait;
                      for (;;) {
                        const auto seen = m.slots_freed.generation();
                        auto a = m.limits.acquire(holder, tags, lease, now_us());
                        const auto now = std::chrono::steady_clock::now();
                        if (a.granted || now >= deadline || m.stopping()) {
                          return ok({{"granted", a.granted},
                                     {"lease_id", a.lease_id ? json(*a.lease_id) : json(nullptr)},
                                     {"lease_expires", opt_us(a.lease_expires_us)},
                                     {"blocked_by", a.blocked_by ? json(*a.blocked_by) : json(nullptr)}});
                        }
                        // Until a release, the first blocking lease's expiry, or a second.
                        auto wake = std::min(deadline, now + std::chrono::seconds(1));
                        if (a.retry_at_us) {
                          const auto in = std::chrono::microseconds(*a.retry_at_us - now_us() + 1000);
                          wake = std::min(wake, now + std::max(in, std::chrono::microseconds(0)));
                        }
                        m.slots_freed.wait(seen, wake);
                      }
                    }});
  routes.push_back({"POST", "/concurrency-limits/renew", {}, [&m](const ApiRequest& r) {
                      const json j = parse_object(r.body);
                      Fields f(j, "", {"lease_ids", "lease_seconds"});
                      const auto ids = f.strings("lease_ids", true);
                      const auto lease = seconds_us(f.number("lease_seconds", 1, 3600).value_or(30));
                      return ok({{"lost", m.limits.renew(ids, lease, now_us())}});
                    }});
  routes.push_back({"POST", "/concurrency-limits/release", {}, [&m](const ApiRequest& r) {
                      const json j = parse_object(r.body);
                      Fields f(j, "", {"lease_id"});
                      if (m.limits.release(*f.str("lease_id", true))) m.slots_freed.notify();
                      return ApiResponse{204, "", "application/json"};
                    }});

  // ---- artifacts
  routes.push_back({"GET", "/artifacts", {"key", "flow_run", "task_run", "limit", "cursor"}, [&m](const ApiRequest& r) {
                      db::ArtifactFilter f;
                      f.key = param(r, "key");
                      f.flow_run = param(r, "flow_run");
                      f.task_run = param(r, "task_run");
                      f.limit = limit_of(r);
                      f.cursor = param(r, "cursor");
                      auto page = m.artifacts.list(f);
                      json items = json::array();
                      for (const auto& a : page.items) items.push_back(to_json(a));
                      return ok({{"artifacts", std::move(items)},
                                 {"next_cursor", page.next_cursor ? json(*page.next_cursor) : json(nullptr)}});
                    }});
  routes.push_back({"POST", "/artifacts", {}, [&m](const ApiRequest& r) {
                      const json j = parse_object(r.body);
                      Fields f(j, "", {"key", "type", "data", "description", "flow_run", "task_run", "id", "version",
                                       "created"});
                      db::ArtifactRow a;
                      a.key = *f.str("key", true);
                      static const std::regex key_re("[a-z0-9][a-z0-9-]{0,199}");
                      if (!std::regex_match(a.key, key_re)) {
                        throw BadInput("key", fmt::format("key: lowercase letters, digits and dashes (at most 200), "
                                                          "got '{}'",
                                                          a.key));
                      }
                      a.type = *f.str("type", true);
                      if (!f.has("data")) throw BadInput("data", "data: missing");
                      const json& data = f.at("data");
                      if (a.type == "markdown") {
                        if (!data.is_string()) f.bad("data", "a markdown string");
                      } else if (a.type == "link") {
                        if (!data.is_object() || !data.contains("url") || !data["url"].is_string()) {
                          f.bad("data", "an object {\"url\": ..., \"text\": ...}");
                        }
                      } else if (a.type == "table") {
                        if (!data.is_object() || !data.contains("columns") || !data["columns"].is_array() ||
                            !data.contains("rows") || !data["rows"].is_array()) {
                          f.bad("data", "an object {\"columns\": [names], \"rows\": [[cells]]}");
                        }
                        const std::size_t width = data["columns"].size();
                        for (std::size_t i = 0; i < data["rows"].size(); ++i) {
                          const json& row = data["rows"][i];
                          if (!row.is_array() || row.size() != width) {
                            const std::string field = fmt::format("data.rows[{}]", i);
                            throw BadInput(field, fmt::format("{}: expected an array of {} cells (one per column)",
                                                              field, width));
                          }
                        }
                      } else {
                        throw BadInput("type", fmt::format("type: expected markdown, table or link, got '{}'", a.type));
                      }
                      a.data_json = data.dump();
                      a.description = f.str("description").value_or("");
                      a.flow_run = run_id_field(f, "flow_run");
                      a.task_run = run_id_field(f, "task_run");
                      return ok(to_json(m.artifacts.create(std::move(a), now_us())), 201);
                    }});
}

}  // namespace baton::server::api

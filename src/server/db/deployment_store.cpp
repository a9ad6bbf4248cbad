#include "server/db/deployment_store.h"

#include "schedule/schedule.h"
#include "server/db/store_util.h"
#include "store/history_codec.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <set>

namespace baton::server::db {

using nlohmann::json;

namespace {

// The instant an interval counts from, and an rrule's DTSTART, when none is
// given (openapi.json, Schedule).
constexpr std::int64_t kDefaultAnchorUs = 1767225600LL * 1'000'000;  // 2026-01-01T00:00:00Z

schedule::TimePoint tp(std::int64_t us) {
  return schedule::TimePoint(std::chrono::duration_cast<schedule::TimePoint::duration>(std::chrono::microseconds(us)));
}
std::int64_t us_of(schedule::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

schedule::ScheduleSpec spec_of(const ScheduleRow& s) {
  schedule::ScheduleSpec spec;
  spec.kind = schedule::schedule_kind_from_string(s.kind).value_or(schedule::ScheduleKind::cron);
  spec.expression = s.kind == "interval" ? s.expression + "s" : s.expression;
  spec.timezone = s.timezone.empty() ? "UTC" : s.timezone;
  if (s.anchor_us) {
    spec.anchor = tp(*s.anchor_us);
  } else if (s.kind == "interval" || (s.kind == "rrule" && s.expression.find("DTSTART") == std::string::npos)) {
    spec.anchor = tp(kDefaultAnchorUs);
  }
  return spec;
}

// Parsed schedules by their text: the scheduler reads every schedule on every
// tick, and parsing an rrule is not free.
class ScheduleCache {
 public:
  std::shared_ptr<const schedule::Schedule> get(const ScheduleRow& s) {
    const std::string key =
        fmt::format("{}\x1f{}\x1f{}\x1f{}", s.kind, s.expression, s.timezone, s.anchor_us ? *s.anchor_us : -1);
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    auto parsed = schedule::parse_schedule(spec_of(s));
    std::shared_ptr<const schedule::Schedule> out;
    if (parsed.ok()) out = std::shared_ptr<const schedule::Schedule>(std::move(*parsed));
    if (cache_.size() > 10000) cache_.clear();
    cache_.emplace(key, out);
    return out;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const schedule::Schedule>> cache_;
};

ScheduleCache& schedule_cache() {
  static ScheduleCache cache;
  return cache;
}

constexpr std::string_view kDeploymentColumns =
    "name, id, flow_name, command, description, parameters, parameter_specs, tags, work_pool, paused, retries, "
    "retry_delay_us, concurrency_limit, created, updated";

DeploymentRow deployment_from(const SqlRows& r, std::size_t i) {
  DeploymentRow d;
  d.name = r.text(i, 0);
  d.id = r.text(i, 1);
  d.flow_name = r.text(i, 2);
  d.command_json = r.text(i, 3);
  d.description = r.text(i, 4);
  d.parameters_json = r.text(i, 5);
  d.parameter_specs_json = r.text(i, 6);
  d.tags_json = r.text(i, 7);
  d.work_pool = r.text(i, 8);
  d.paused = r.int64(i, 9) != 0;
  d.retries = r.int64(i, 10);
  d.retry_delay_us = r.int64(i, 11);
  d.concurrency_limit = r.opt_int64(i, 12);
  d.created_us = r.int64(i, 13);
  d.updated_us = r.int64(i, 14);
  return d;
}

void load_schedules(Connection& c, std::vector<DeploymentRow>& ds) {
  if (ds.empty()) return;
  std::vector<SqlValue> names;
  std::map<std::string, DeploymentRow*> by_name;
  for (auto& d : ds) {
    names.emplace_back(d.name);
    by_name[d.name] = &d;
  }
  auto r = c.query("SELECT deployment, id, kind, expression, timezone, anchor, active FROM deployment_schedules "
                   "WHERE deployment IN " +
                       util::in_list(names.size()) + " ORDER BY deployment, position",
                   names);
  for (std::size_t i = 0; i < r.size(); ++i) {
    ScheduleRow s;
    s.id = r.text(i, 1);
    s.kind = r.text(i, 2);
    s.expression = r.text(i, 3);
    s.timezone = r.text(i, 4);
    s.anchor_us = r.opt_int64(i, 5);
    s.active = r.int64(i, 6) != 0;
    by_name[r.text(i, 0)]->schedules.push_back(std::move(s));
  }
  for (auto& d : ds) {
    const SqlValue p = d.name;
    auto n = c.query("SELECT expected_start_time FROM flow_runs WHERE deployment = ? AND state IN ('Scheduled', 'Late') "
                     "AND expected_start_time IS NOT NULL ORDER BY expected_start_time LIMIT 5",
                     std::span(&p, 1));
    for (std::size_t i = 0; i < n.size(); ++i) d.next_runs_us.push_back(n.int64(i, 0));
  }
}

DeploymentRow read_in(Connection& c, const std::string& name) {
  const SqlValue p = name;
  auto r = c.query(fmt::format("SELECT {} FROM deployments WHERE name = ?", kDeploymentColumns), std::span(&p, 1));
  if (r.empty()) throw NotFound(fmt::format("no deployment named '{}'", name));
  std::vector<DeploymentRow> ds{deployment_from(r, 0)};
  load_schedules(c, ds);
  return std::move(ds[0]);
}

// True when `t` is an occurrence of `s`.
bool occurs_at(const schedule::Schedule& s, std::int64_t t_us) {
  auto next = s.next_after(tp(t_us) - std::chrono::seconds(1));
  return next && us_of(*next) == t_us;
}

bool value_has_type(const json& v, const std::string& type) {
  if (type == "int64" || type == "int" || type == "int32" || type == "long" || type == "std::int64_t" ||
      type == "integer") {
    return v.is_number_integer();
  }
  if (type == "double" || type == "float" || type == "number") return v.is_number();
  if (type == "bool" || type == "boolean") return v.is_boolean();
  if (type == "string" || type == "std::string") return v.is_string();
  return true;  // a type the server does not know: the engine checks it
}

WorkPoolRow pool_from(const SqlRows& r, std::size_t i) {
  WorkPoolRow p;
  p.name = r.text(i, 0);
  p.description = r.text(i, 1);
  p.concurrency_limit = r.opt_int64(i, 2);
  p.paused = r.int64(i, 3) != 0;
  p.created_us = r.int64(i, 4);
  p.workers_online = r.int64(i, 5);
  p.runs_scheduled = r.int64(i, 6);
  p.runs_running = r.int64(i, 7);
  return p;
}

std::string pool_select(std::string_view where) {
  // Online: heard from within its lease (3 heartbeat intervals).
  return fmt::format(
      "SELECT p.name, p.description, p.concurrency_limit, p.paused, p.created, "
      "(SELECT count(*) FROM workers w WHERE w.work_pool = p.name AND w.last_heartbeat + w.lease_us >= ?), "
      "(SELECT count(*) FROM flow_runs f WHERE f.work_pool = p.name AND f.state IN ('Scheduled', 'Late')), "
      "(SELECT count(*) FROM flow_runs f WHERE f.work_pool = p.name AND f.worker IS NOT NULL AND f.end_time IS NULL) "
      "FROM work_pools p {} ORDER BY p.name",
      where);
}

}  // namespace

void check_schedule(const ScheduleRow& s, const std::string& field) {
  const auto kind = schedule::schedule_kind_from_string(s.kind);
  if (!kind) {
    throw Unprocessable(field + ".kind",
                        fmt::format("{}.kind: expected cron, interval or rrule, got '{}'", field, s.kind));
  }
  const std::string sub = s.kind == "interval" ? "interval_seconds" : s.kind;
  if (s.expression.empty()) throw Unprocessable(field + "." + sub, fmt::format("{}.{}: missing", field, sub));
  auto parsed = schedule::parse_schedule(spec_of(s));
  if (!parsed.ok()) {
    // A time zone error names the zone; anything else is the expression's.
    const std::string message = parsed.status().message();
    const bool zone = message.find("zone") != std::string::npos && message.find(s.timezone) != std::string::npos &&
                      s.timezone != "UTC";
    const std::string f = field + "." + (zone ? "timezone" : sub);
    throw Unprocessable(f, fmt::format("{}: {}", f, message));
  }
}

std::string merge_parameters(const DeploymentRow& d, const std::string& given_json) {
  json merged = json::parse(d.parameters_json, nullptr, false);
  if (!merged.is_object()) merged = json::object();
  json given = json::parse(given_json.empty() ? "{}" : given_json, nullptr, false);
  if (!given.is_object()) throw BadInput("parameters", "parameters: expected an object");
  json specs = json::parse(d.parameter_specs_json, nullptr, false);
  std::map<std::string, json> by_name;
  if (specs.is_array()) {
    for (const auto& s : specs) {
      if (s.is_object() && s.contains("name") && s["name"].is_string()) by_name[s["name"].get<std::string>()] = s;
    }
  }
  for (const auto& [k, v] : given.items()) merged[k] = v;
  if (!by_name.empty()) {
    for (const auto& [k, v] : merged.items()) {
      auto it = by_name.find(k);
      if (it == by_name.end()) {
        std::string known;
        for (const auto& [n, s] : by_name) known += (known.empty() ? "" : ", ") + n;
        throw Unprocessable("parameters." + k, fmt::format("parameters.{}: the flow declares no parameter '{}' "
                                                           "(it declares: {})",
                                                           k, k, known));
      }
      const std::string type = it->second.value("type", std::string());
      if (!value_has_type(v, type)) {
        throw Unprocessable("parameters." + k,
                            fmt::format("parameters.{}: expected a value of type {}, got {}", k, type, v.dump()));
      }
    }
    for (const auto& [n, s] : by_name) {
      if (s.value("required", false) && !merged.contains(n)) {
        throw Unprocessable("parameters." + n, fmt::format("parameters.{}: required and not given", n));
      }
    }
  }
  return merged.dump();
}

DeploymentStore::DeploymentStore(ServerDatabase& db, std::function<void(const std::string&)> on_runs_ready)
    : db_(db), on_runs_ready_(std::move(on_runs_ready)) {}

void DeploymentStore::notify(const std::vector<std::string>& pools) {
  if (!on_runs_ready_) return;
  for (const auto& p : pools) on_runs_ready_(p);
}

// ---------------------------------------------------------------- work pools

std::pair<WorkPoolRow, bool> DeploymentStore::apply_work_pool(const WorkPoolRow& in, std::int64_t now_us) {
  bool created = false;
  db_.run_write([&](Connection& c) {
    const SqlValue n = in.name;
    created = c.query("SELECT 1 FROM work_pools WHERE name = ?", std::span(&n, 1)).empty();
    const std::vector<SqlValue> p = {in.name, in.description,
                                     in.concurrency_limit ? SqlValue(*in.concurrency_limit) : SqlValue(nullptr),
                                     std::int64_t{in.paused ? 1 : 0}, now_us};
    c.query("INSERT INTO work_pools (name, description, concurrency_limit, paused, created) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET description = excluded.description, "
            "concurrency_limit = excluded.concurrency_limit, paused = excluded.paused",
            p);
    util::notify_channel(c, util::kRunsChannel, in.name);
  });
  notify({in.name});
  return {read_work_pool(in.name, now_us), created};
}

std::vector<WorkPoolRow> DeploymentStore::list_work_pools(std::int64_t now_us) {
  std::vector<WorkPoolRow> out;
  db_.run_read([&](Connection& c) {
    const SqlValue p = now_us;
    auto r = c.query(pool_select(""), std::span(&p, 1));
    for (std::size_t i = 0; i < r.size(); ++i) out.push_back(pool_from(r, i));
  });
  return out;
}

WorkPoolRow DeploymentStore::read_work_pool(const std::string& name, std::int64_t now_us) {
  WorkPoolRow out;
  db_.run_read([&](Connection& c) {
    const SqlValue p[] = {now_us, name};
    auto r = c.query(pool_select("WHERE p.name = ?"), p);
    if (r.empty()) throw NotFound(fmt::format("no work pool named '{}'", name));
    out = pool_from(r, 0);
  });
  return out;
}

void DeploymentStore::delete_work_pool(const std::string& name) {
  db_.run_write([&](Connection& c) {
    const SqlValue n = name;
    if (c.query("SELECT 1 FROM work_pools WHERE name = ?", std::span(&n, 1)).empty()) {
      throw NotFound(fmt::format("no work pool named '{}'", name));
    }
    auto users = c.query("SELECT name FROM deployments WHERE work_pool = ? ORDER BY name LIMIT 11", std::span(&n, 1));
    if (!users.empty()) {
      std::string list;
      for (std::size_t i = 0; i < users.size() && i < 10; ++i) list += (i ? ", " : "") + users.text(i, 0);
      if (users.size() > 10) list += ", ...";
      throw Conflict(fmt::format("work pool '{}' is used by deployments: {}; delete them or move them to another pool",
                                 name, list));
    }
    c.query("DELETE FROM workers WHERE work_pool = ?", std::span(&n, 1));
    c.query("DELETE FROM work_pools WHERE name = ?", std::span(&n, 1));
  });
}

// ---------------------------------------------------------------- deployments

std::pair<DeploymentRow, bool> DeploymentStore::apply_deployment(DeploymentRow in, std::int64_t now_us) {
  bool created = false;
  db_.run_write([&](Connection& c) {
    const SqlValue pool = in.work_pool;
    if (c.query("SELECT 1 FROM work_pools WHERE name = ?", std::span(&pool, 1)).empty()) {
      throw NotFound(fmt::format("no work pool named '{}' (work_pool); create it first with PUT /work-pools/{}",
                                 in.work_pool, in.work_pool));
    }
    const SqlValue n = in.name;
    auto existing = c.query("SELECT id, created FROM deployments WHERE name = ?", std::span(&n, 1));
    created = existing.empty();
    in.id = created ? RunId::random().str() : existing.text(0, 0);
    in.created_us = created ? now_us : existing.int64(0, 1);
    in.updated_us = now_us;
    const std::vector<SqlValue> p = {
        in.name, in.id, in.flow_name, in.command_json, in.description, in.parameters_json, in.parameter_specs_json,
        in.tags_json, in.work_pool, std::int64_t{in.paused ? 1 : 0}, in.retries, in.retry_delay_us,
        in.concurrency_limit ? SqlValue(*in.concurrency_limit) : SqlValue(nullptr), in.created_us, in.updated_us};
    c.query(fmt::format("INSERT INTO deployments ({}) VALUES {} ON CONFLICT (name) DO UPDATE SET "
                        "flow_name = excluded.flow_name, command = excluded.command, "
                        "description = excluded.description, parameters = excluded.parameters, "
                        "parameter_specs = excluded.parameter_specs, tags = excluded.tags, "
                        "work_pool = excluded.work_pool, paused = excluded.paused, retries = excluded.retries, "
                        "retry_delay_us = excluded.retry_delay_us, concurrency_limit = excluded.concurrency_limit, "
                        "updated = excluded.updated",
                        kDeploymentColumns, util::placeholders(1, 15)),
            p);
    c.query("DELETE FROM deployment_schedules WHERE deployment = ?", std::span(&n, 1));
    std::vector<SqlValue> rows;
    std::vector<SqlValue> active_ids;
    for (std::size_t i = 0; i < in.schedules.size(); ++i) {
      ScheduleRow& s = in.schedules[i];
      s.id = fmt::format("{}-s{}", in.id, i);
      rows.insert(rows.end(), {s.id, in.name, static_cast<std::int64_t>(i), s.kind, s.expression, s.timezone,
                               s.anchor_us ? SqlValue(*s.anchor_us) : SqlValue(nullptr),
                               std::int64_t{s.active ? 1 : 0}});
      if (s.active && !in.paused) active_ids.emplace_back(s.id);
    }
    util::multi_row(c,
                    "INSERT INTO deployment_schedules (id, deployment, position, kind, expression, timezone, anchor, "
                    "active) VALUES ",
                    "", 8, rows);

    // Runs not started keep up with the deployment's defaults.
    const std::vector<SqlValue> up = {in.flow_name, in.parameters_json, in.tags_json, in.work_pool, in.name};
    c.query("UPDATE flow_runs SET flow_name = ?, parameters = ?, tags = ?, work_pool = ? WHERE deployment = ? "
            "AND schedule IS NOT NULL AND state IN ('Scheduled', 'Late') AND worker IS NULL",
            up);
    // Runs of schedules that are gone, inactive, or paused: deleted.
    std::vector<SqlValue> del = {in.name};
    del.insert(del.end(), active_ids.begin(), active_ids.end());
    c.query("DELETE FROM flow_runs WHERE deployment = ? AND schedule IS NOT NULL AND state IN ('Scheduled', 'Late') "
            "AND worker IS NULL" +
                (active_ids.empty() ? std::string() : " AND schedule NOT IN " + util::in_list(active_ids.size())),
            del);
    // Runs of kept schedules whose time is no longer an occurrence: deleted.
    for (const ScheduleRow& s : in.schedules) {
      if (!s.active || in.paused) continue;
      auto parsed = schedule_cache().get(s);
      if (!parsed) continue;
      const SqlValue sid = s.id;
      auto runs = c.query("SELECT id, expected_start_time FROM flow_runs WHERE schedule = ? "
                          "AND state IN ('Scheduled', 'Late') AND worker IS NULL",
                          std::span(&sid, 1));
      std::vector<SqlValue> gone;
      for (std::size_t i = 0; i < runs.size(); ++i) {
        if (!occurs_at(*parsed, runs.int64(i, 1))) gone.emplace_back(runs.text(i, 0));
      }
      for (std::size_t i = 0; i < gone.size(); i += 500) {
        std::vector<SqlValue> chunk(gone.begin() + static_cast<std::ptrdiff_t>(i),
                                    gone.begin() + static_cast<std::ptrdiff_t>(std::min(gone.size(), i + 500)));
        c.query("DELETE FROM flow_runs WHERE id IN " + util::in_list(chunk.size()), chunk);
      }
    }
  });
  if (!in.paused) schedule_runs(now_us, in.name);
  return {read_deployment(in.name), created};
}

Page<DeploymentRow> DeploymentStore::list_deployments(const std::optional<std::string>& pool, int limit,
                                                       const std::optional<std::string>& cursor) {
  Page<DeploymentRow> page;
  db_.run_read([&](Connection& c) {
    std::string sql = fmt::format("SELECT {} FROM deployments WHERE 1 = 1", kDeploymentColumns);
    std::vector<SqlValue> p;
    if (pool) sql += " AND work_pool = ?", p.emplace_back(*pool);
    if (cursor) sql += " AND name > ?", p.emplace_back(*cursor);
    sql += " ORDER BY name LIMIT ?";
    p.emplace_back(std::int64_t{limit + 1});
    auto r = c.query(sql, p);
    const std::size_t n = std::min<std::size_t>(r.size(), static_cast<std::size_t>(limit));
    for (std::size_t i = 0; i < n; ++i) page.items.push_back(deployment_from(r, i));
    if (r.size() > n && n > 0) page.next_cursor = page.items.back().name;
    load_schedules(c, page.items);
  });
  return page;
}

DeploymentRow DeploymentStore::read_deployment(const std::string& name) {
  DeploymentRow out;
  db_.run_read([&](Connection& c) { out = read_in(c, name); });
  return out;
}

void DeploymentStore::delete_deployment(const std::string& name) {
  db_.run_write([&](Connection& c) {
    const SqlValue n = name;
    if (c.query("SELECT 1 FROM deployments WHERE name = ?", std::span(&n, 1)).empty()) {
      throw NotFound(fmt::format("no deployment named '{}'", name));
    }
    c.query("DELETE FROM flow_runs WHERE deployment = ? AND state IN ('Scheduled', 'Late') AND worker IS NULL",
            std::span(&n, 1));
    c.query("DELETE FROM deployment_schedules WHERE deployment = ?", std::span(&n, 1));
    c.query("DELETE FROM deployments WHERE name = ?", std::span(&n, 1));
  });
}

DeploymentRow DeploymentStore::set_paused(const std::string& name, bool paused, std::int64_t now_us) {
  db_.run_write([&](Connection& c) {
    const SqlValue p[] = {std::int64_t{paused ? 1 : 0}, now_us, name};
    if (c.query("UPDATE deployments SET paused = ?, updated = ? WHERE name = ?", p).changes == 0) {
      throw NotFound(fmt::format("no deployment named '{}'", name));
    }
    if (paused) {
      c.query("DELETE FROM flow_runs WHERE deployment = ? AND schedule IS NOT NULL "
              "AND state IN ('Scheduled', 'Late') AND worker IS NULL",
              std::span(&p[2], 1));
    }
  });
  if (!paused) schedule_runs(now_us, name);
  return read_deployment(name);
}

store::FlowRunRecord DeploymentStore::create_run(const DeploymentRow& d, const std::string& parameters_json,
                                                 const std::optional<std::string>& tags_json,
                                                 std::optional<std::int64_t> scheduled_us, const std::string& run_name,
                                                 std::int64_t now_us) {
  const RunId id = RunId::random();
  const std::int64_t due = scheduled_us.value_or(now_us);
  db_.run_write([&](Connection& c) {
    const std::string history =
        "[" + util::transition(StateType::Scheduled, now_us, scheduled_us ? "created by hand for a later time" : "created by hand") + "]";
    const std::vector<SqlValue> p = {id.str(), d.flow_name, run_name.empty() ? d.name : run_name, parameters_json,
                                     tags_json.value_or(d.tags_json), now_us, now_us, history, d.name, d.work_pool,
                                     due, due};
    c.query("INSERT INTO flow_runs (id, flow_name, run_name, parameters, tags, created, state, state_time, history, "
            "deployment, work_pool, expected_start_time, due_time, run_count) "
            "VALUES (?, ?, ?, ?, ?, ?, 'Scheduled', ?, ?, ?, ?, ?, ?, 1)",
            p);
    util::notify_channel(c, util::kRunsChannel, d.work_pool);
  });
  notify({d.work_pool});
  return db_.read_flow_run_summary(id);
}

store::FlowRunRecord DeploymentStore::retry(std::string_view id_or_prefix, std::int64_t now_us) {
  const RunId id = db_.resolve_flow_run(id_or_prefix);
  std::string pool;
  db_.run_write([&](Connection& c) {
    const SqlValue p = id.str();
    auto r = c.query("SELECT deployment, end_time, state, work_pool, run_count FROM flow_runs WHERE id = ?",
                     std::span(&p, 1));
    if (r.empty()) throw NotFound(fmt::format("no flow run with id '{}'", id.str()));
    if (!r.at(0, 0)) {
      throw Conflict(fmt::format("flow run {} was not created from a deployment, so the server cannot start it again; "
                                 "run its program again instead",
                                 id.str()));
    }
    if (!r.at(0, 1)) {
      throw Conflict(fmt::format("flow run {} is not final (it is {}); only a run that ended can be retried", id.str(),
                                 r.text(0, 2)));
    }
    const SqlValue dep = r.text(0, 0);
    if (c.query("SELECT 1 FROM deployments WHERE name = ?", std::span(&dep, 1)).empty()) {
      throw Conflict(fmt::format("flow run {} was created by deployment '{}', which has been deleted; nothing can "
                                 "start it again",
                                 id.str(), r.text(0, 0)));
    }
    pool = r.text(0, 3);
    const std::string message = fmt::format("retry requested: attempt {}", r.int64(0, 4) + 1);
    const std::vector<SqlValue> u = {now_us, message, util::transition(StateType::Scheduled, now_us, message), now_us,
                                     id.str()};
    c.query(fmt::format("UPDATE flow_runs SET state = 'Scheduled', state_time = ?, state_message = ?, {}, "
                        "end_time = NULL, worker = NULL, lease_expires = NULL, cancel_requested = NULL, "
                        "heartbeat = NULL, due_time = ?, run_count = run_count + 1 WHERE id = ?",
                        util::kAppendHistory),
            u);
    util::notify_channel(c, util::kRunsChannel, pool);
  });
  notify({pool});
  return db_.read_flow_run_summary(id);
}

// ---------------------------------------------------------------- the scheduler

ScheduleOutcome DeploymentStore::schedule_runs(std::int64_t now_us, const std::optional<std::string>& deployment) {
  struct Due {
    ScheduleRow s;
    std::string deployment, flow_name, parameters, tags, pool;
    std::int64_t existing = 0;
    std::optional<std::int64_t> last;
  };
  std::vector<Due> due;
  db_.run_read([&](Connection& c) {
    std::vector<SqlValue> p;
    std::string sql =
        "SELECT s.id, s.kind, s.expression, s.timezone, s.anchor, d.name, d.flow_name, d.parameters, d.tags, "
        "d.work_pool FROM deployment_schedules s JOIN deployments d ON d.name = s.deployment "
        "WHERE s.active = 1 AND d.paused = 0";
    if (deployment) sql += " AND d.name = ?", p.emplace_back(*deployment);
    auto r = c.query(sql, p);
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < r.size(); ++i) {
      Due d;
      d.s.id = r.text(i, 0);
      d.s.kind = r.text(i, 1);
      d.s.expression = r.text(i, 2);
      d.s.timezone = r.text(i, 3);
      d.s.anchor_us = r.opt_int64(i, 4);
      d.deployment = r.text(i, 5);
      d.flow_name = r.text(i, 6);
      d.parameters = r.text(i, 7);
      d.tags = r.text(i, 8);
      d.pool = r.text(i, 9);
      index[d.s.id] = due.size();
      due.push_back(std::move(d));
    }
    if (due.empty()) return;
    std::vector<SqlValue> q = {now_us};
    std::string ahead =
        "SELECT schedule, count(*), max(expected_start_time) FROM flow_runs WHERE schedule IS NOT NULL "
        "AND expected_start_time >= ?";
    if (deployment) ahead += " AND deployment = ?", q.emplace_back(*deployment);
    ahead += " GROUP BY schedule";
    auto a = c.query(ahead, q);
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto it = index.find(a.text(i, 0));
      if (it == index.end()) continue;
      due[it->second].existing = a.int64(i, 1);
      due[it->second].last = a.opt_int64(i, 2);
    }
  });

  ScheduleOutcome out;
  std::vector<SqlValue> rows;
  std::set<std::string> pools;
  const auto horizon_end = tp(now_us) + kHorizon;
  for (const Due& d : due) {
    if (d.existing >= static_cast<std::int64_t>(kMaxAhead)) continue;
    auto parsed = schedule_cache().get(d.s);
    if (!parsed) continue;  // checked when applied; a tzdata change could still break one
    const auto from = d.last ? tp(*d.last) + std::chrono::seconds(1) : tp(now_us);
    const auto times = parsed->occurrences(from, horizon_end, kMaxAhead - static_cast<std::size_t>(d.existing));
    for (const auto& t : times) {
      const std::int64_t at = us_of(t);
      rows.insert(rows.end(),
                  {RunId::random().str(), d.flow_name, d.deployment, d.parameters, d.tags, now_us, now_us,
                   "[" + util::transition(StateType::Scheduled, now_us, "scheduled for " + schedule::format_utc(t)) +
                       "]",
                   d.deployment, d.pool, d.s.id, at, at, std::string("Scheduled"), std::int64_t{1}});
    }
    if (!times.empty()) pools.insert(d.pool);
  }
  if (rows.empty()) return out;
  db_.run_write([&](Connection& c) {
    out.created = util::multi_row(
        c,
        "INSERT INTO flow_runs (id, flow_name, run_name, parameters, tags, created, state_time, history, "
        "deployment, work_pool, schedule, expected_start_time, due_time, state, run_count) VALUES ",
        " ON CONFLICT DO NOTHING", 15, rows);
    for (const auto& p : pools) util::notify_channel(c, util::kRunsChannel, p);
  });
  out.pools.assign(pools.begin(), pools.end());
  notify(out.pools);
  return out;
}

std::int64_t DeploymentStore::mark_late(std::int64_t now_us) {
  std::int64_t n = 0;
  db_.run_write([&](Connection& c) {
    const std::string message = fmt::format("not started {} s after its scheduled time", kLateAfter.count());
    const std::int64_t cutoff = now_us - std::chrono::duration_cast<std::chrono::microseconds>(kLateAfter).count();
    const std::vector<SqlValue> p = {now_us, message, util::transition("Late", now_us, message), cutoff};
    n = c.query(fmt::format("UPDATE flow_runs SET state = 'Late', state_time = ?, state_message = ?, {} "
                            "WHERE state = 'Scheduled' AND worker IS NULL AND due_time < ?",
                            util::kAppendHistory),
                p)
            .changes;
  });
  return n;
}

}  // namespace baton::server::db

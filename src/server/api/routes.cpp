#include "server/api/routes.h"

#include "server/api/deploy_routes.h"
#include "server/api/json_codec.h"
#include "server/api/request_helpers.h"
#include "server/db/migrations.h"
#include "server/db/store_util.h"
#include "store/event_json.h"

#include <fmt/format.h>


namespace baton::server::api {

using nlohmann::json;
using db::BadInput;
using db::util::now_us;

std::string field_of(std::string_view message) {
  const auto colon = message.find(": ");
  return colon == std::string_view::npos ? std::string() : std::string(message.substr(0, colon));
}

namespace {

std::vector<std::string> params(const ApiRequest& r, const std::string& name) {
  std::vector<std::string> out;
  auto [b, e] = r.query.equal_range(name);
  for (; b != e; ++b) out.push_back(b->second);
  return out;
}

// `late`, when given, receives whether "Late" (a state only the server knows:
// a Scheduled run past its time) was asked for; otherwise Late is unknown here.
std::vector<StateType> states_of(const ApiRequest& r, bool* late = nullptr) {
  std::vector<StateType> out;
  auto v = param(r, "state");
  if (!v) return out;
  std::string_view rest = *v;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    if (late && name == "Late") {
      *late = true;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      continue;
    }
    StateType t;
    if (!parse_state_type(name, t)) throw BadInput("state", fmt::format("state: unknown state '{}'", name));
    out.push_back(t);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return out;
}

std::optional<std::string> text_param(const ApiRequest& r, const std::string& name) {
  auto v = param(r, name);
  if (v && v->size() > 1000) throw BadInput(name, fmt::format("{}: longer than 1000 characters", name));
  return v;
}

json page_json(const char* key, json items, const std::optional<std::string>& next) {
  return {{key, std::move(items)}, {"next_cursor", next ? json(*next) : json(nullptr)}};
}

template <class T>
json items_json(const std::vector<T>& items) {
  json a = json::array();
  for (const auto& i : items) a.push_back(to_json(i));
  return a;
}

}  // namespace

std::vector<Route> make_routes(ApiContext& ctx) {
  std::vector<Route> routes;
  auto& db = ctx.db;
  auto& hub = ctx.hub;

  routes.push_back({"GET", "/health", {}, [](const ApiRequest&) {
                      return ok({{"status", "ok"}, {"version", BATON_VERSION}});
                    }, false, true});

  routes.push_back({"GET", "/ready", {}, [&db](const ApiRequest&) {
                      const int version = db.schema_version();
                      if (version != db::latest_schema_version()) {
                        return ApiResponse{503, error_body(503, fmt::format("the database schema is at version {}, "
                                                                            "this server needs {}",
                                                                            version, db::latest_schema_version())),
                                           "application/json"};
                      }
                      return ok({{"status", "ready"},
                                 {"database", db.dialect() == db::Dialect::Sqlite ? "sqlite" : "postgresql"},
                                 {"schema_version", version}});
                    }, false, true});

  routes.push_back({"GET", "/openapi.json", {}, [&ctx](const ApiRequest&) {
                      return ApiResponse{200, std::string(ctx.openapi), "application/json"};
                    }, false, true});

  routes.push_back({"POST", "/events", {}, [&db, &hub](const ApiRequest& r) {
                      auto batch = store::decode_ingest_batch(r.body);
                      if (!batch.ok()) {
                        throw BadInput(field_of(batch.status().message()), batch.status().message());
                      }
                      auto outcome = db.ingest(*batch, hub.wants_details());
                      hub.publish(outcome, db);
                      json cancelled = json::array();
                      for (const auto& id : outcome.cancel_requested) cancelled.push_back(id.str());
                      return ok({{"accepted", outcome.accepted},
                                 {"duplicates", outcome.duplicates},
                                 {"cancel_requested", std::move(cancelled)}});
                    }});

  routes.push_back({"POST", "/heartbeat", {}, [&db](const ApiRequest& r) {
                      const json body = parse_object(r.body);
                      for (const auto& [k, v] : body.items()) {
                        if (k != "flow_runs" && k != "interval_seconds") {
                          throw BadInput(k, fmt::format("{}: unknown field", k));
                        }
                      }
                      auto runs = body.find("flow_runs");
                      if (runs == body.end()) throw BadInput("flow_runs", "flow_runs: missing");
                      if (!runs->is_array()) {
                        throw BadInput("flow_runs", fmt::format("flow_runs: expected an array, got {}", runs->type_name()));
                      }
                      std::vector<RunId> ids;
                      for (std::size_t i = 0; i < runs->size(); ++i) {
                        const json& v = (*runs)[i];
                        auto id = v.is_string() ? RunId::parse(v.get<std::string>()) : std::nullopt;
                        if (!id) {
                          const std::string field = fmt::format("flow_runs[{}]", i);
                          throw BadInput(field, fmt::format("{}: not a run id: {}", field, v.dump()));
                        }
                        ids.push_back(*id);
                      }
                      auto every = body.find("interval_seconds");
                      if (every == body.end()) throw BadInput("interval_seconds", "interval_seconds: missing");
                      if (!every->is_number() || every->get<double>() <= 0 || every->get<double>() > 86400) {
                        throw BadInput("interval_seconds",
                                       fmt::format("interval_seconds: expected a number of seconds in (0, 86400], got {}",
                                                   every->dump()));
                      }
                      const auto interval =
                          std::chrono::microseconds(static_cast<std::int64_t>(every->get<double>() * 1e6));
                      json cancelled = json::array();
                      for (const auto& id : db.heartbeat(ids, interval, now_us())) cancelled.push_back(id.str());
                      return ok({{"cancel_requested", std::move(cancelled)}});
                    }});

  routes.push_back({"GET", "/flow-runs", {"flow", "state", "tag", "since", "until", "parent", "name", "limit", "cursor"},
                    [&db](const ApiRequest& r) {
                      db::FlowRunFilter f;
                      f.flow = text_param(r, "flow");
                      f.states = states_of(r, &f.late);
                      f.tags = params(r, "tag");
                      if (auto v = param(r, "since")) f.since_us = parse_time(*v, "since");
                      if (auto v = param(r, "until")) f.until_us = parse_time(*v, "until");
                      if (auto v = param(r, "parent")) {
                        auto id = RunId::parse(*v);
                        if (!id) throw BadInput("parent", fmt::format("parent: not a run id: '{}'", *v));
                        f.parent = *id;
                      }
                      f.name = text_param(r, "name");
                      f.limit = limit_of(r);
                      f.cursor = param(r, "cursor");
                      auto page = db.list_flow_runs(f);
                      return ok(page_json("flow_runs", items_json(page.items), page.next_cursor));
                    }});

  routes.push_back({"GET", "/flow-runs/stats", {"since", "until", "bucket_seconds", "flow"}, [&db](const ApiRequest& r) {
                      auto since = param(r, "since");
                      if (!since) throw BadInput("since", "since: missing");
                      const std::int64_t since_us = parse_time(*since, "since");
                      auto until = param(r, "until");
                      const std::int64_t until_us = until ? parse_time(*until, "until") : now_us();
                      if (until_us <= since_us) throw BadInput("until", "until: must be after since");
                      auto b = param(r, "bucket_seconds");
                      const std::int64_t bucket = b ? integer(*b, "bucket_seconds", 60, 366LL * 86400) : 3600;
                      if ((until_us - since_us) / (bucket * 1'000'000) > 10000) {
                        throw BadInput("bucket_seconds", "bucket_seconds: more than 10000 buckets; use larger buckets");
                      }
                      return ok(to_json(db.flow_run_stats(since_us, until_us, bucket * 1'000'000, text_param(r, "flow"))));
                    }});

  routes.push_back({"GET", "/flow-runs/{id}", {}, [&db](const ApiRequest& r) {
                      return ok(to_json(db.read_flow_run(r.path_params.at(0))));
                    }});

  routes.push_back({"POST", "/flow-runs/{id}/cancel", {}, [&db, &hub](const ApiRequest& r) {
                      auto run = db.cancel(r.path_params.at(0), now_us());
                      hub.publish_flow_runs({run.id}, db);
                      return ok(to_json(run), 202);
                    }});

  routes.push_back({"GET", "/flow-runs/{id}/task-runs", {"state", "name", "limit", "cursor"}, [&db](const ApiRequest& r) {
                      db::TaskRunFilter f;
                      f.states = states_of(r);
                      f.name = text_param(r, "name");
                      f.limit = limit_of(r);
                      f.cursor = param(r, "cursor");
                      auto page = db.list_task_runs(r.path_params.at(0), f);
                      return ok(page_json("task_runs", items_json(page.items), page.next_cursor));
                    }});

  routes.push_back({"GET", "/flow-runs/{id}/graph", {"limit", "cursor"}, [&db](const ApiRequest& r) {
                      const int limit = limit_of(r, 5000, 1000, 0);
                      return ok(to_json(db.flow_run_graph(r.path_params.at(0), limit, param(r, "cursor"))));
                    }});

  routes.push_back({"GET", "/flow-runs/{id}/logs", {"level", "task_run", "q", "limit", "cursor"}, [&db](const ApiRequest& r) {
                      db::LogFilter f;
                      if (auto v = param(r, "level")) {
                        LogLevel level;
                        if (!parse_log_level(*v, level)) {
                          throw BadInput("level", fmt::format("level: expected DEBUG, INFO, WARNING, ERROR or "
                                                              "CRITICAL, got '{}'",
                                                              *v));
                        }
                        f.min_level = level;
                      }
                      if (auto v = param(r, "task_run")) {
                        auto id = RunId::parse(*v);
                        if (!id) throw BadInput("task_run", fmt::format("task_run: not a run id: '{}'", *v));
                        f.task_run = *id;
                      }
                      f.text = text_param(r, "q");
                      f.limit = limit_of(r);
                      f.cursor = param(r, "cursor");
                      auto page = db.flow_run_logs(r.path_params.at(0), f);
                      return ok(page_json("logs", items_json(page.items), page.next_cursor));
                    }});

  routes.push_back({"GET", "/flow-runs/{id}/results", {"limit", "cursor"}, [&db](const ApiRequest& r) {
                      auto page = db.flow_run_results(r.path_params.at(0), limit_of(r), param(r, "cursor"));
                      return ok(page_json("results", items_json(page.items), page.next_cursor));
                    }});

  routes.push_back({"GET", "/task-runs/{id}", {}, [&db](const ApiRequest& r) {
                      return ok(to_json(db.read_task_run(r.path_params.at(0))));
                    }});

  routes.push_back({"GET", "/task-runs/{id}/logs", {"limit", "cursor"}, [&db](const ApiRequest& r) {
                      auto page = db.task_run_logs(r.path_params.at(0), limit_of(r), param(r, "cursor"));
                      return ok(page_json("logs", items_json(page.items), page.next_cursor));
                    }});

  routes.push_back({"GET", "/results", {"cache_key", "task", "limit", "cursor"}, [&db](const ApiRequest& r) {
                      auto page = db.list_results(text_param(r, "cache_key"), text_param(r, "task"), limit_of(r),
                                                  param(r, "cursor"));
                      return ok(page_json("results", items_json(page.items), page.next_cursor));
                    }});

  // Served by the shell from the hub (a long-lived response); registered here
  // so the route table is the whole API.
  routes.push_back({"GET", "/stream", {"flow_run"}, nullptr, true});

  if (ctx.work) add_deploy_routes(routes, ctx);

  return routes;
}

}  // namespace baton::server::api

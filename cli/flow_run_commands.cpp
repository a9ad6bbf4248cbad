// `baton flow-run ls | inspect | logs | cancel | retry`
#include "api_client.h"
#include "cli_output.h"
#include "commands.h"
#include "engine/settings.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

namespace baton::cli {
namespace {

struct LsOptions {
  std::string flow;
  std::string state;
  int limit = 20;
  bool json = false;
};

void flow_run_ls(const LsOptions& o) {
  store::FlowRunFilter filter;
  filter.flow_name = o.flow;
  filter.limit = o.limit;
  if (!o.state.empty()) {
    StateType t{};
    if (!parse_state_type(o.state, t)) {
      throw CommandError(fmt::format("--state {}: unknown state; expected one of Scheduled, Pending, Running, "
                                     "Retrying, AwaitingRetry, Completed, Cached, Failed, TimedOut, Crashed, "
                                     "Cancelled, NotReady",
                                     o.state),
                         kExitUsage);
    }
    filter.state = t;
  }
  auto reader = open_reader();
  const auto runs = value_or_fail(reader->list_flow_runs(filter));
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : runs) out.push_back(to_json(r, false));
    print_json(out);
    return;
  }
  if (runs.empty()) {
    std::cout << "No flow runs" << (o.flow.empty() && o.state.empty() ? "" : " match") << " in " << reader->location()
              << ".\n";
    return;
  }
  Table table({"ID", "FLOW", "NAME", "STATE", "CREATED", "DURATION", "TASKS"});
  for (const auto& r : runs) {
    table.add({short_id(r.id), r.flow_name, r.run_name, std::string(to_string(r.state)), local_time(r.created),
               run_duration(r.start_time, r.end_time), std::to_string(r.task_run_count)});
  }
  table.print(std::cout);
}

// Parameters as "name  value" lines; anything that is not a JSON object as is.
void print_parameters(const std::string& json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    std::cout << "  " << json_text << '\n';
    return;
  }
  if (j.empty()) {
    std::cout << "  (none)\n";
    return;
  }
  Table table({"NAME", "VALUE"});
  for (const auto& [k, v] : j.items()) {
    table.add({k, one_line(v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), 100)});
  }
  table.print(std::cout, "  ");
}

void flow_run_inspect(const std::string& id, bool json) {
  auto reader = open_reader();
  const auto run = find_flow_run(*reader, id);
  const auto tasks = value_or_fail(reader->task_runs(run.id, json ? store::WithHistory::Yes : store::WithHistory::No));
  const auto edges = value_or_fail(reader->edges(run.id));
  const auto results = value_or_fail(reader->results(run.id));
  if (json) {
    nlohmann::json out = to_json(run, true);
    out["task_runs"] = nlohmann::json::array();
    for (const auto& t : tasks) out["task_runs"].push_back(to_json(t));
    out["dependencies"] = nlohmann::json::array();
    for (const auto& e : edges) {
      out["dependencies"].push_back({{"upstream", e.upstream.str()},
                                     {"downstream", e.downstream.str()},
                                     {"kind", e.kind == engine::EdgeKind::Data ? "data" : "wait_for"}});
    }
    out["results"] = nlohmann::json::array();
    for (const auto& r : results) {
      out["results"].push_back({{"task_run", r.task_run.str()},
                                {"cache_key", r.cache_key},
                                {"location", r.location},
                                {"size", r.size},
                                {"serializer", r.serializer},
                                {"produced_by", r.produced_by.str()},
                                {"from_cache", r.from_cache}});
    }
    print_json(out);
    return;
  }
  std::map<RunId, const store::TaskRunRecord*> by_id;
  for (const auto& t : tasks) by_id[t.id] = &t;
  auto task_label = [&](const RunId& tid) {
    auto it = by_id.find(tid);
    return short_id(tid) + (it == by_id.end() ? "" : " " + it->second->run_name);
  };

  Table head({"Flow run", run.id.str()});
  head.add({"Flow", run.flow_name + (run.version.empty() ? "" : " (version " + run.version + ")")});
  head.add({"Name", run.run_name});
  head.add({"State", std::string(to_string(run.state)) + (run.state_message.empty() ? "" : ": " + one_line(run.state_message, 200))});
  head.add({"Created", local_time_ms(run.created)});
  if (run.start_time) head.add({"Started", local_time_ms(*run.start_time)});
  if (run.end_time) head.add({"Ended", local_time_ms(*run.end_time)});
  head.add({"Duration", run_duration(run.start_time, run.end_time)});
  if (run.pid != 0 || !run.hostname.empty()) head.add({"Process", fmt::format("pid {} on host {}", run.pid, run.hostname)});
  if (!run.parent_flow_run.empty()) head.add({"Parent", run.parent_flow_run.str()});
  if (run.tags_json != "[]" && !run.tags_json.empty()) head.add({"Tags", run.tags_json});
  if (run.cancel_requested) head.add({"Cancel", "requested at " + local_time_ms(*run.cancel_requested)});
  head.print(std::cout);

  std::cout << "\nParameters\n";
  print_parameters(run.parameters_json);

  std::cout << "\nState history\n";
  Table history({"TIME", "STATE", "MESSAGE"});
  for (const auto& h : run.history) history.add({local_time_ms(h.at), std::string(to_string(h.type)), one_line(h.message, 200)});
  history.print(std::cout, "  ");

  std::cout << "\nTask runs (" << tasks.size() << ")\n";
  if (!tasks.empty()) {
    Table t({"ID", "TASK", "NAME", "STATE", "STARTED", "DURATION", "MESSAGE"});
    for (const auto& r : tasks) {
      t.add({short_id(r.id), r.task_name, r.run_name, std::string(to_string(r.state)),
             r.start_time ? local_time_ms(*r.start_time) : "-", run_duration(r.start_time, r.end_time),
             one_line(r.state_message)});
    }
    t.print(std::cout, "  ");
  }

  std::cout << "\nResults (" << results.size() << ")\n";
  if (!results.empty()) {
    Table r({"TASK RUN", "", "SIZE", "LOCATION"});
    for (const auto& res : results) {
      r.add({task_label(res.task_run), res.from_cache ? "cached, from " + short_id(res.produced_by) : "persisted",
             std::to_string(res.size) + " B", res.location});
    }
    r.print(std::cout, "  ");
  }

  std::cout << "\nDependencies (" << edges.size() << ")\n";
  if (!edges.empty()) {
    Table d({"UPSTREAM", "", "DOWNSTREAM", "KIND"});
    for (const auto& e : edges) {
      d.add({task_label(e.upstream), "->", task_label(e.downstream), e.kind == engine::EdgeKind::Data ? "data" : "wait_for"});
    }
    d.print(std::cout, "  ");
  }
}

void flow_run_logs(const std::string& id, bool json) {
  auto reader = open_reader();
  const auto run = find_flow_run(*reader, id);
  const auto logs = value_or_fail(reader->logs(run.id));
  const auto tasks = value_or_fail(reader->task_runs(run.id, store::WithHistory::No));
  std::map<RunId, std::string> names;
  for (const auto& t : tasks) names[t.id] = t.run_name.empty() ? t.task_name : t.run_name;
  auto source = [&](const RunId& task_run) {
    if (task_run.empty()) return std::string("flow");
    auto it = names.find(task_run);
    return it != names.end() ? it->second : short_id(task_run);
  };
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& l : logs) {
      out.push_back({{"time", iso_time(l.at)},
                     {"level", to_string(l.level)},
                     {"task_run", l.task_run.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.task_run.str())},
                     {"source", source(l.task_run)},
                     {"message", l.message}});
    }
    print_json(out);
    return;
  }
  if (logs.empty()) {
    std::cout << "No logs for flow run " << short_id(run.id) << " (" << run.run_name << ").\n";
    return;
  }
  std::size_t source_width = 4;
  for (const auto& l : logs) source_width = std::max(source_width, source(l.task_run).size());
  for (const auto& l : logs) {
    const std::string prefix = fmt::format("{}  {:<8}  {:<{}}  ", local_time_ms(l.at), to_string(l.level), source(l.task_run),
                                           source_width);
    // Continuation lines of a multi-line message line up under its first line.
    std::string message = l.message;
    while (!message.empty() && message.back() == '\n') message.pop_back();
    std::string out = prefix;
    for (char c : message) {
      out.push_back(c);
      if (c == '\n') out += std::string(prefix.size(), ' ');
    }
    std::cout << out << '\n';
  }
}

void flow_run_cancel(const std::string& id) {
  auto reader = open_reader();
  const auto run = find_flow_run(*reader, id);
  if (Status s = reader->request_cancellation(run.id); !s.ok()) throw CommandError(s.message());
  std::cout << fmt::format("Cancellation of flow run {} ({}) requested; its process cancels it at its next heartbeat.\n",
                           short_id(run.id), run.run_name);
}

// pause_flow_run waits for this file (src/engine/pause.cpp): the engine and the
// CLI share BATON_HOME, whichever store records the history.
void flow_run_resume(const std::string& id) {
  auto reader = open_reader();
  const auto run = find_flow_run(*reader, id);
  if (run.state != StateType::Paused) {
    throw CommandError(fmt::format("flow run {} ({}) is not paused: its state is {}", short_id(run.id), run.run_name,
                                   to_string(run.state)));
  }
  const auto dir = settings::home() / "resume";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::ofstream out(dir / run.id.str());
  if (ec || !out) throw CommandError("cannot write the resume file in " + dir.string());
  std::cout << fmt::format("Resumed flow run {} ({}); it goes on within a moment.\n", short_id(run.id), run.run_name);
}

}  // namespace
}  // namespace baton::cli

void add_flow_run_commands(CLI::App& app) {
  using namespace baton::cli;
  CLI::App* group = app.add_subcommand("flow-run", "Flow runs: list, inspect, logs, cancel, resume");
  group->require_subcommand(1);

  auto ls_opts = std::make_shared<LsOptions>();
  CLI::App* ls = group->add_subcommand("ls", "List flow runs, newest first");
  ls->add_option("--flow", ls_opts->flow, "Only runs of this flow (by name)");
  ls->add_option("--state", ls_opts->state, "Only runs in this state (Running, Completed, Failed, ...)");
  ls->add_option("--limit", ls_opts->limit, "At most this many runs (default 20)")->check(CLI::Range(1, 1'000'000));
  ls->add_flag("--json", ls_opts->json, "JSON for scripts");
  ls->callback([ls_opts] { flow_run_ls(*ls_opts); });

  auto inspect_id = std::make_shared<std::string>();
  auto inspect_json = std::make_shared<bool>(false);
  CLI::App* inspect = group->add_subcommand("inspect", "Parameters, state history, task runs and dependencies of a flow run");
  inspect->add_option("id", *inspect_id, "Flow run id or a unique prefix of it")->required();
  inspect->add_flag("--json", *inspect_json, "JSON for scripts");
  inspect->callback([inspect_id, inspect_json] { flow_run_inspect(*inspect_id, *inspect_json); });

  auto logs_id = std::make_shared<std::string>();
  auto logs_json = std::make_shared<bool>(false);
  CLI::App* logs = group->add_subcommand("logs", "Log lines of a flow run and its task runs, in order");
  logs->add_option("id", *logs_id, "Flow run id or a unique prefix of it")->required();
  logs->add_flag("--json", *logs_json, "JSON for scripts");
  logs->callback([logs_id, logs_json] { flow_run_logs(*logs_id, *logs_json); });

  auto cancel_id = std::make_shared<std::string>();
  CLI::App* cancel = group->add_subcommand("cancel", "Ask the process running a flow run to cancel it");
  cancel->add_option("id", *cancel_id, "Flow run id or a unique prefix of it")->required();
  cancel->callback([cancel_id] { flow_run_cancel(*cancel_id); });

  auto resume_id = std::make_shared<std::string>();
  CLI::App* resume = group->add_subcommand("resume", "Let a flow run paused in pause_flow_run go on (same BATON_HOME)");
  resume->add_option("id", *resume_id, "Flow run id or a unique prefix of it")->required();
  resume->callback([resume_id] { flow_run_resume(*resume_id); });

  auto retry_id = std::make_shared<std::string>();
  CLI::App* retry = group->add_subcommand(
      "retry", "Run a finished deployment run again with the same parameters (needs the server); cached and "
               "persisted tasks are served from their results");
  retry->add_option("id", *retry_id, "Flow run id or a unique prefix of it")->required();
  retry->callback([retry_id] {
    auto reader = open_reader();
    const auto run = find_flow_run(*reader, *retry_id);
    auto fr = api_call("POST", "/flow-runs/" + run.id.str() + "/retry");
    std::cout << fmt::format("Flow run {} ({}) scheduled again (attempt {}); a worker of pool '{}' runs it.\n",
                             run.id.str(), run.run_name, fr.value("run_count", 0),
                             fr.contains("work_pool") && fr["work_pool"].is_string() ? fr["work_pool"].get<std::string>() : "?");
  });
}

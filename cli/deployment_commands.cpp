// `baton deploy` and `baton deployment ls | inspect | run | pause | resume | delete`.
#include "api_client.h"
#include "cli_output.h"
#include "commands.h"
#include "deploy_spec.h"

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <thread>

namespace baton::cli {
namespace {

struct DeployArgs {
  std::string name, program, flow, pool, file, description;
  std::vector<std::string> params, tags;
  std::vector<std::string> crons, intervals, rrules;
  std::string timezone;
  int retries = 0;
  int concurrency = 0;
  bool paused = false;
};

std::string schedule_text(const nlohmann::json& s) {
  std::string kind = s.value("kind", "");
  std::string text;
  if (kind == "cron") text = "cron " + s.value("cron", "");
  else if (kind == "rrule") text = "rrule " + s.value("rrule", "");
  else if (s.contains("interval_seconds") && s["interval_seconds"].is_number()) text = fmt::format("every {}s", s["interval_seconds"].get<double>());
  const std::string tz = s.value("timezone", "UTC");
  if (kind != "interval" && tz != "UTC") text += " (" + tz + ")";
  if (s.contains("active") && s["active"].is_boolean() && !s["active"].get<bool>()) text += " [paused]";
  return text;
}

std::string str_or(const nlohmann::json& j, const char* key, const std::string& dflt = "-") {
  if (!j.contains(key) || j[key].is_null()) return dflt;
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

void deploy(const DeployArgs& a) {
  std::vector<DeploySpec> specs;
  if (!a.file.empty()) {
    if (!a.name.empty() || !a.program.empty()) {
      throw CommandError("--file: give either a file or NAME --program ..., not both", kExitUsage);
    }
    specs = read_deploy_file(a.file);
  } else {
    if (a.name.empty()) throw CommandError("NAME is required (or --file baton.yaml)", kExitUsage);
    DeploySpec s;
    s.name = a.name;
    s.program = a.program;
    s.flow = a.flow;
    s.pool = a.pool;
    s.description = a.description;
    for (const auto& p : a.params) s.params.push_back(split_assignment(p, "--param"));
    for (const auto& c : a.crons) s.schedules.push_back({c, "", "", a.timezone});
    for (const auto& i : a.intervals) s.schedules.push_back({"", i, "", ""});
    for (const auto& r : a.rrules) s.schedules.push_back({"", "", r, a.timezone});
    if (!a.timezone.empty() && a.crons.empty() && a.rrules.empty()) {
      throw CommandError("--timezone applies to --cron and --rrule; give one", kExitUsage);
    }
    s.tags = a.tags;
    s.retries = a.retries;
    if (a.concurrency > 0) s.concurrency_limit = a.concurrency;
    s.paused = a.paused;
    specs.push_back(std::move(s));
  }
  // Every deployment is checked before any is sent: a file is applied whole or not at all.
  std::vector<nlohmann::json> bodies;
  for (const auto& s : specs) bodies.push_back(deployment_body(s));
  for (std::size_t i = 0; i < specs.size(); ++i) {
    nlohmann::json d;
    try {
      d = api_call("PUT", "/deployments/" + url_part(specs[i].name), bodies[i]);
    } catch (const CommandError& e) {
      throw CommandError(specs[i].where.empty() ? std::string(e.what()) : specs[i].where + ": " + e.what());
    }
    std::string next = "none";
    if (d.contains("next_runs") && d["next_runs"].is_array() && !d["next_runs"].empty()) {
      next = d["next_runs"][0].get<std::string>();
    }
    std::cout << fmt::format("Deployment '{}' ({} in {}) on pool '{}': {} schedule(s), next run {}{}\n", specs[i].name,
                             bodies[i]["flow_name"].get<std::string>(), bodies[i]["command"][0].get<std::string>(),
                             specs[i].pool, bodies[i]["schedules"].size(), next, specs[i].paused ? " (paused)" : "");
  }
}

void ls(bool json) {
  auto page = api_call("GET", "/deployments?limit=1000");
  const auto& list = page.contains("deployments") ? page["deployments"] : page;
  if (json) {
    print_json(list);
    return;
  }
  if (!list.is_array() || list.empty()) {
    std::cout << "No deployments.\n";
    return;
  }
  Table t({"NAME", "FLOW", "POOL", "SCHEDULES", "PAUSED", "NEXT RUN"});
  for (const auto& d : list) {
    std::string sched;
    for (const auto& s : d.value("schedules", nlohmann::json::array())) sched += (sched.empty() ? "" : "; ") + schedule_text(s);
    std::string next = "-";
    if (d.contains("next_runs") && d["next_runs"].is_array() && !d["next_runs"].empty()) next = d["next_runs"][0].get<std::string>();
    t.add({d.value("name", ""), d.value("flow_name", ""), d.value("work_pool", ""), sched.empty() ? "-" : sched,
           d.value("paused", false) ? "yes" : "no", next});
  }
  t.print(std::cout);
}

void inspect(const std::string& name, bool json) {
  auto d = api_call("GET", "/deployments/" + url_part(name));
  if (json) {
    print_json(d);
    return;
  }
  Table head({"Deployment", d.value("name", "")});
  head.add({"Flow", d.value("flow_name", "")});
  std::string cmd;
  for (const auto& a : d.value("command", nlohmann::json::array())) cmd += (cmd.empty() ? "" : " ") + a.get<std::string>();
  head.add({"Command", cmd});
  head.add({"Pool", d.value("work_pool", "")});
  head.add({"Paused", d.value("paused", false) ? "yes" : "no"});
  head.add({"Retries", std::to_string(d.value("retries", 0))});
  std::string tags;
  for (const auto& t : d.value("tags", nlohmann::json::array())) tags += (tags.empty() ? "" : ", ") + t.get<std::string>();
  if (!tags.empty()) head.add({"Tags", tags});
  head.add({"Created", str_or(d, "created")});
  head.print(std::cout);
  std::cout << "\nParameters:\n";
  Table p({"NAME", "TYPE", "REQUIRED", "DEFAULT"});
  const auto defaults = d.value("parameters", nlohmann::json::object());
  for (const auto& s : d.value("parameter_specs", nlohmann::json::array())) {
    const std::string n = s.value("name", "");
    p.add({n, s.value("type", ""), s.value("required", false) ? "yes" : "no",
           defaults.contains(n) ? defaults[n].dump() : str_or(s, "default")});
  }
  if (p.empty()) std::cout << "  (none)\n"; else p.print(std::cout, "  ");
  std::cout << "\nSchedules:\n";
  bool any = false;
  for (const auto& s : d.value("schedules", nlohmann::json::array())) {
    std::cout << "  " << schedule_text(s) << "\n";
    any = true;
  }
  if (!any) std::cout << "  (none: runs are started by hand)\n";
  if (d.contains("next_runs") && d["next_runs"].is_array() && !d["next_runs"].empty()) {
    std::cout << "\nNext runs:\n";
    for (const auto& t : d["next_runs"]) std::cout << "  " << t.get<std::string>() << "\n";
  }
}

bool is_final(const std::string& state) {
  return state == "Completed" || state == "Cached" || state == "Failed" || state == "TimedOut" || state == "Crashed" ||
         state == "Cancelled";
}

void run(const std::string& name, const std::vector<std::string>& params, bool watch, bool json) {
  auto d = api_call("GET", "/deployments/" + url_part(name));
  nlohmann::json values = nlohmann::json::object();
  for (const auto& text : params) {
    auto [k, v] = split_assignment(text, "--param");
    std::string type;
    for (const auto& s : d.value("parameter_specs", nlohmann::json::array())) {
      std::string dashed = s.value("name", "");
      for (char& c : dashed) c = c == '_' ? '-' : c;
      if (s.value("name", "") == k || dashed == k) {
        type = s.value("type", "string");
        k = s.value("name", "");
      }
    }
    if (type.empty()) {
      throw CommandError(fmt::format("--param {}: the deployment '{}' (flow '{}') has no parameter '{}'", k, name,
                                     d.value("flow_name", ""), k),
                         kExitUsage);
    }
    values[k] = typed_parameter(k, v, type, "");
  }
  auto fr = api_call("POST", "/deployments/" + url_part(name) + "/runs", nlohmann::json{{"parameters", values}});
  const std::string id = fr.value("id", "");
  if (json && !watch) {
    print_json(fr);
    return;
  }
  std::cout << fmt::format("Created flow run {} ({}) of deployment '{}': {}\n", id, fr.value("run_name", ""), name,
                           fr.value("state", "Scheduled"));
  std::cout.flush();
  if (!watch) return;
  std::string last = fr.value("state", "");
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto now = api_call("GET", "/flow-runs/" + id);
    const std::string state = now.value("state", "");
    if (state != last) {
      std::cout << fmt::format("{}  {}{}\n", local_time(std::chrono::system_clock::now()), state,
                               now.value("state_message", "").empty() ? "" : ": " + one_line(now.value("state_message", ""), 200));
      std::cout.flush();
      last = state;
    }
    if (is_final(state)) {
      if (json) print_json(now);
      if (state != "Completed" && state != "Cached") throw CommandError(fmt::format("flow run {} ended {}", id, state));
      return;
    }
  }
}

}  // namespace
}  // namespace baton::cli

void add_deployment_commands(CLI::App& app) {
  using namespace baton::cli;
  auto a = std::make_shared<DeployArgs>();
  auto* deploy_cmd = app.add_subcommand(
      "deploy", "Create or update a deployment: a flow program, its default parameters and schedules, on a work pool "
                "(needs the server: BATON_API_URL).");
  deploy_cmd->add_option("name", a->name, "Deployment name");
  deploy_cmd->add_option("--file", a->file, "YAML file of one or many deployments (see README)");
  deploy_cmd->add_option("--program", a->program, "The flow program (built with baton::run_main)");
  deploy_cmd->add_option("--flow", a->flow, "The flow's name (checked against the program)");
  deploy_cmd->add_option("--pool", a->pool, "Work pool whose workers run it");
  deploy_cmd->add_option("--param", a->params, "A default parameter, name=value (repeatable)");
  deploy_cmd->add_option("--cron", a->crons, "A cron schedule, 5 fields (repeatable)");
  deploy_cmd->add_option("--timezone", a->timezone, "IANA time zone of --cron/--rrule (default UTC)");
  deploy_cmd->add_option("--interval", a->intervals, "An interval schedule: 30s, 15m, 1h, 2d (repeatable)");
  deploy_cmd->add_option("--rrule", a->rrules, "An RFC 5545 RRULE schedule (repeatable)");
  deploy_cmd->add_option("--tag", a->tags, "A tag of its runs (repeatable)");
  deploy_cmd->add_option("--retries", a->retries, "Flow-run retries after a crash or failure")->check(CLI::NonNegativeNumber);
  deploy_cmd->add_option("--concurrency", a->concurrency, "At most this many of its runs at once")->check(CLI::PositiveNumber);
  deploy_cmd->add_option("--description", a->description, "Shown in the UI (default: the flow's)");
  deploy_cmd->add_flag("--paused", a->paused, "Create it paused (no scheduled runs)");
  deploy_cmd->callback([a] { deploy(*a); });

  auto* dep = app.add_subcommand("deployment", "Deployments on the server: list, inspect, run now, pause, resume, delete.");
  dep->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  auto name = std::make_shared<std::string>();
  auto* ls_cmd = dep->add_subcommand("ls", "List deployments");
  ls_cmd->add_flag("--json", *json, "Print JSON");
  ls_cmd->callback([json] { ls(*json); });
  auto* inspect_cmd = dep->add_subcommand("inspect", "Show a deployment: command, parameters, schedules, next runs");
  inspect_cmd->add_option("name", *name, "Deployment name")->required();
  inspect_cmd->add_flag("--json", *json, "Print JSON");
  inspect_cmd->callback([json, name] { inspect(*name, *json); });
  auto params = std::make_shared<std::vector<std::string>>();
  auto watch = std::make_shared<bool>(false);
  auto* run_cmd = dep->add_subcommand("run", "Create a flow run of the deployment now; a worker of its pool runs it");
  run_cmd->add_option("name", *name, "Deployment name")->required();
  run_cmd->add_option("--param", *params, "A parameter for this run, name=value (repeatable)");
  run_cmd->add_flag("--watch", *watch, "Follow the run's state until it ends (exit 1 unless Completed)");
  run_cmd->add_flag("--json", *json, "Print JSON");
  run_cmd->callback([name, params, watch, json] { run(*name, *params, *watch, *json); });
  for (const char* verb : {"pause", "resume", "delete"}) {
    auto* c = dep->add_subcommand(verb, std::string(verb) == "pause"    ? "Stop creating scheduled runs (deletes those not started)"
                                        : std::string(verb) == "resume" ? "Create scheduled runs again"
                                                                        : "Delete the deployment and its runs not started");
    c->add_option("name", *name, "Deployment name")->required();
    const std::string v = verb;
    c->callback([name, v] {
      if (v == "delete") {
        api_call("DELETE", "/deployments/" + url_part(*name));
        std::cout << "Deleted deployment '" << *name << "'.\n";
      } else {
        api_call("POST", "/deployments/" + url_part(*name) + "/" + v);
        std::cout << (v == "pause" ? "Paused" : "Resumed") << " deployment '" << *name << "'.\n";
      }
    });
  }
}

// `baton task-run ls --flow-run ID`
#include "cli_output.h"
#include "commands.h"

#include <iostream>
#include <memory>

namespace baton::cli {
namespace {

struct LsOptions {
  std::string flow_run;
  bool json = false;
};

void task_run_ls(const LsOptions& o) {
  auto reader = open_reader();
  const auto run = find_flow_run(*reader, o.flow_run);
  const auto tasks = value_or_fail(reader->task_runs(run.id, o.json ? store::WithHistory::Yes : store::WithHistory::No));
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : tasks) out.push_back(to_json(t));
    print_json(out);
    return;
  }
  if (tasks.empty()) {
    std::cout << "No task runs in flow run " << short_id(run.id) << " (" << run.run_name << ").\n";
    return;
  }
  Table table({"ID", "TASK", "NAME", "STATE", "STARTED", "DURATION", "MESSAGE"});
  for (const auto& t : tasks) {
    table.add({short_id(t.id), t.task_name, t.run_name, std::string(to_string(t.state)),
               t.start_time ? local_time_ms(*t.start_time) : "-", run_duration(t.start_time, t.end_time),
               one_line(t.state_message)});
  }
  table.print(std::cout);
}

}  // namespace
}  // namespace baton::cli

void add_task_run_commands(CLI::App& app) {
  using namespace baton::cli;
  CLI::App* group = app.add_subcommand("task-run", "Task runs of a flow run");
  group->require_subcommand(1);
  auto opts = std::make_shared<LsOptions>();
  CLI::App* ls = group->add_subcommand("ls", "List the task runs of a flow run, in the order they were created");
  ls->add_option("--flow-run", opts->flow_run, "Flow run id or a unique prefix of it")->required();
  ls->add_flag("--json", opts->json, "JSON for scripts");
  ls->callback([opts] { task_run_ls(*opts); });
}

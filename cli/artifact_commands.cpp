// `baton artifact ls [--key K] [--flow-run ID]`.
#include "api_client.h"
#include "cli_output.h"
#include "commands.h"

#include <fmt/format.h>

#include <iostream>

namespace baton::cli {
namespace {

// One line of an artifact's data for the table.
std::string summary(const nlohmann::json& a) {
  const std::string type = a.value("type", "");
  const auto& d = a.contains("data") ? a["data"] : nlohmann::json();
  if (type == "markdown" && d.is_string()) return one_line(d.get<std::string>(), 60);
  if (type == "link" && d.is_object()) return one_line(d.value("url", ""), 60);
  if (type == "table" && d.is_object()) {
    return fmt::format("{} columns, {} rows", d.value("columns", nlohmann::json::array()).size(),
                       d.value("rows", nlohmann::json::array()).size());
  }
  return one_line(d.dump(), 60);
}

}  // namespace
}  // namespace baton::cli

void add_artifact_commands(CLI::App& app) {
  using namespace baton::cli;
  auto* art = app.add_subcommand("artifact", "Artifacts created by runs (reports, links, tables), on the server.");
  art->require_subcommand(1);
  auto key = std::make_shared<std::string>();
  auto flow_run = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto limit = std::make_shared<int>(100);
  auto* ls = art->add_subcommand("ls", "The latest version of each key, newest first (with --key: every version)");
  ls->add_option("--key", *key, "Only this key, every version");
  ls->add_option("--flow-run", *flow_run, "Only those of this flow run (full id)");
  ls->add_option("--limit", *limit, "At most this many")->capture_default_str()->check(CLI::Range(1, 1000));
  ls->add_flag("--json", *json, "Print JSON");
  ls->callback([key, flow_run, json, limit] {
    std::string q = fmt::format("/artifacts?limit={}", *limit);
    if (!key->empty()) q += "&key=" + url_part(*key);
    if (!flow_run->empty()) q += "&flow_run=" + url_part(*flow_run);
    auto page = api_call("GET", q);
    const auto& list = page.contains("artifacts") ? page["artifacts"] : page;
    if (*json) {
      print_json(list);
      return;
    }
    if (!list.is_array() || list.empty()) {
      std::cout << "No artifacts.\n";
      return;
    }
    Table t({"KEY", "VERSION", "TYPE", "FLOW RUN", "CREATED", "DATA"});
    for (const auto& a : list) {
      std::string fr = a.contains("flow_run") && a["flow_run"].is_string() ? a["flow_run"].get<std::string>().substr(0, 8) : "-";
      t.add({a.value("key", ""), std::to_string(a.value("version", 0)), a.value("type", ""), fr, a.value("created", ""),
             summary(a)});
    }
    t.print(std::cout);
  });
}

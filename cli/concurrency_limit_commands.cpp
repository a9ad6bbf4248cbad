// `baton concurrency-limit create | ls | delete`: tag limits across every engine.
#include "api_client.h"
#include "cli_output.h"
#include "commands.h"

#include <fmt/format.h>

#include <iostream>

void add_concurrency_limit_commands(CLI::App& app) {
  using namespace baton::cli;
  auto* cl = app.add_subcommand(
      "concurrency-limit", "Tag concurrency limits: a task with the tag waits for a slot (AwaitingConcurrencySlot).");
  cl->require_subcommand(1);
  auto tag = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(0);
  auto json = std::make_shared<bool>(false);
  auto* create = cl->add_subcommand("create", "Create or change the limit of a tag");
  create->add_option("tag", *tag, "Task tag")->required();
  create->add_option("limit", *limit, "Slots (0 stops every task with the tag)")->required()->check(CLI::NonNegativeNumber);
  create->callback([tag, limit] {
    api_call("PUT", "/concurrency-limits/" + url_part(*tag), nlohmann::json{{"limit", *limit}});
    std::cout << fmt::format("Tasks tagged '{}' run at most {} at a time.\n", *tag, *limit);
  });
  auto* ls = cl->add_subcommand("ls", "List tag limits and their slots in use");
  ls->add_flag("--json", *json, "Print JSON");
  ls->callback([json] {
    auto page = api_call("GET", "/concurrency-limits");
    const auto& list = page.contains("concurrency_limits") ? page["concurrency_limits"] : page;
    if (*json) {
      print_json(list);
      return;
    }
    if (!list.is_array() || list.empty()) {
      std::cout << "No concurrency limits.\n";
      return;
    }
    Table t({"TAG", "LIMIT", "ACTIVE"});
    for (const auto& c : list) {
      t.add({c.value("tag", ""), std::to_string(c.value("limit", 0)), std::to_string(c.value("active_slots", 0))});
    }
    t.print(std::cout);
  });
  auto* del = cl->add_subcommand("delete", "Remove a tag's limit");
  del->add_option("tag", *tag, "Task tag")->required();
  del->callback([tag] {
    api_call("DELETE", "/concurrency-limits/" + url_part(*tag));
    std::cout << "Removed the limit of tag '" << *tag << "'.\n";
  });
}

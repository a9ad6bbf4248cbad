// `baton config`: every setting, its variable, current value and where it came from.
#include "cli_output.h"
#include "commands.h"
#include "engine/settings.h"

#include <fmt/format.h>

#include <functional>
#include <iostream>
#include <map>
#include <memory>

namespace baton::cli {
namespace {

// The value the engine will use, for settings whose default is computed or
// whose text must be checked; throws std::invalid_argument for a bad value.
std::string effective_value(std::string_view name, const settings::Value& raw) {
  static const std::map<std::string_view, std::function<std::string()>> typed = {
      {"home", [] { return settings::home().string(); }},
      {"database", [] { return settings::database_path().string(); }},
      {"history", [] { return std::string(settings::history_enabled() ? "true" : "false"); }},
      {"log_level", [] { return std::string(to_string(settings::log_level())); }},
      {"log_prints", [] { return std::string(settings::log_prints() ? "true" : "false"); }},
      {"task_runner", [] { return settings::task_runner(); }},
      {"workers", [] { return std::to_string(settings::workers()); }},
      {"default_retries", [] { return std::to_string(settings::default_retries()); }},
      {"default_retry_delay_seconds",
       [] { return fmt::format("{:g}", static_cast<double>(settings::default_retry_delay().count()) / 1000.0); }},
      {"heartbeat_seconds",
       [] { return fmt::format("{:g}", static_cast<double>(settings::heartbeat_interval().count()) / 1000.0); }},
      {"api_url", [] { return settings::api_url(); }},
      {"api_timeout_seconds",
       [] { return fmt::format("{:g}", static_cast<double>(settings::api_timeout().count()) / 1000.0); }},
  };
  auto it = typed.find(name);
  if (it == typed.end()) return raw.text;  // a setting this command does not know how to check
  // Shown as given when it is fine; the typed value fills in computed defaults.
  std::string value = it->second();
  return raw.text.empty() || raw.source == settings::Source::Default ? value : raw.text;
}

void show_config(bool json) {
  nlohmann::json out = nlohmann::json::array();
  Table table({"SETTING", "VARIABLE", "VALUE", "SOURCE"});
  int invalid = 0;
  for (const auto& d : settings::definitions()) {
    const settings::Value raw = settings::get(d.name);
    const std::string source = raw.source == settings::Source::Environment ? "environment" : "default";
    std::string value;
    std::string error;
    try {
      value = effective_value(d.name, raw);
    } catch (const std::exception& e) {
      value = raw.text;
      error = e.what();
      ++invalid;
    }
    if (d.name == "api_key" && !value.empty()) value = "(set, hidden)";  // a secret: never printed
    if (json) {
      nlohmann::json entry = {{"name", d.name},   {"variable", settings::env_name(d.name)},
                              {"value", value},   {"source", source},
                              {"help", d.help}};
      if (!error.empty()) entry["error"] = error;
      out.push_back(std::move(entry));
    } else {
      table.add({std::string(d.name), settings::env_name(d.name), value,
                 error.empty() ? source : source + " (invalid: " + error + ")"});
    }
  }
  // Which store the run history goes to and the CLI reads from.
  std::string store;
  try {
    const std::string url = settings::api_url();
    store = url.empty() ? "SQLite file " + settings::database_path().string()
                        : "server " + url + " (events waiting for it are spooled in " + settings::spool_dir().string() + ")";
  } catch (const std::exception& e) {
    store = std::string("unknown: ") + e.what();
  }
  if (json) {
    out.push_back({{"name", "history_store"},
                   {"variable", nullptr},
                   {"value", store},
                   {"source", "derived"},
                   {"help", "where the run history is written and read (BATON_API_URL, else BATON_DATABASE)"}});
    print_json(out);
  } else {
    table.print(std::cout);
    std::cout << "\nRun history: " << store << "\n";
  }
  if (invalid > 0) {
    throw CommandError(fmt::format("{} setting{} ha{} an invalid value (see above)", invalid, invalid == 1 ? "" : "s",
                                   invalid == 1 ? "s" : "ve"));
  }
}

}  // namespace
}  // namespace baton::cli

void add_config_commands(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* config = app.add_subcommand("config", "Every setting (BATON_* variables) with its current value and source");
  config->add_flag("--json", *json, "JSON for scripts");
  config->callback([json] { baton::cli::show_config(*json); });
}

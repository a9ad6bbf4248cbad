#pragma once
// What `baton deploy` sends: a deployment as given on the command line or in a
// YAML file, checked against the program's own description of its flow
// (`PROGRAM --baton-describe`) before anything reaches the server.
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace baton::cli {

struct ScheduleSpec {
  std::string cron;
  std::string interval;  // 15m, 1h, 30s, 2d or seconds
  std::string rrule;
  std::string timezone;  // for cron and rrule
};

struct DeploySpec {
  std::string name;
  std::string program;
  std::vector<std::string> args;  // after the program, before the parameters
  std::string flow;
  std::string pool;
  std::string description;
  std::vector<std::pair<std::string, std::string>> params;  // name, text
  std::vector<ScheduleSpec> schedules;
  std::vector<std::string> tags;
  int retries = 0;
  double retry_delay_seconds = 0;
  std::optional<int> concurrency_limit;
  bool paused = false;
  std::string where;  // "" on the command line, "baton.yaml: deployments[1]" from a file
};

// Seconds of "15m", "1h30m", "45s", "2d", "90"; nullopt if malformed or not positive.
std::optional<double> parse_interval(const std::string& text);

// A parameter's text as the JSON value of its declared type (int, float, bool,
// string, lists as JSON or comma-separated); throws CommandError naming it.
nlohmann::json typed_parameter(const std::string& name, const std::string& text, const std::string& type,
                               const std::string& where);

// Runs the program's --baton-describe, checks the flow and the parameters, and
// returns the DeploymentInput body. Throws CommandError naming what is wrong.
nlohmann::json deployment_body(const DeploySpec& spec);

// The deployments of a YAML file ("deployments: [...]" or one mapping at the top).
std::vector<DeploySpec> read_deploy_file(const std::string& path);

}  // namespace baton::cli

// `baton deploy`'s checks: the program's flow and parameters, schedules' shapes.
#include "deploy_spec.h"

#include "commands.h"
#include "worker/child_process.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

namespace baton::cli {

namespace {

std::string at(const std::string& where, const std::string& what) {
  return where.empty() ? what : where + ": " + what;
}

}  // namespace

std::optional<double> parse_interval(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double total = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.')) ++j;
    if (j == i) return std::nullopt;
    double v = 0;
    try {
      v = std::stod(text.substr(i, j - i));
    } catch (...) {
      return std::nullopt;
    }
    double unit = 1;
    if (j < text.size()) {
      switch (text[j]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return std::nullopt;
      }
      ++j;
    } else if (any) {
      return std::nullopt;  // "1h30" is ambiguous
    }
    total += v * unit;
    any = true;
    i = j;
  }
  if (total < 1) return std::nullopt;
  return total;
}

nlohmann::json typed_parameter(const std::string& name, const std::string& text, const std::string& declared,
                               const std::string& where) {
  // An optional parameter's type is shown with a '?' (int?); its values are the type's.
  const std::string type = !declared.empty() && declared.back() == '?' ? declared.substr(0, declared.size() - 1) : declared;
  auto bad = [&] {
    return CommandError(at(where, fmt::format("parameter '{}': '{}' is not a valid {}", name, text, type)), kExitUsage);
  };
  try {
    if (type == "int" || type == "int64" || type == "int32" || type == "long") {
      std::size_t used = 0;
      long long v = std::stoll(text, &used);
      if (used != text.size()) throw bad();
      return v;
    }
    if (type == "float" || type == "double") {
      std::size_t used = 0;
      double v = std::stod(text, &used);
      if (used != text.size()) throw bad();
      return v;
    }
  } catch (const CommandError&) {
    throw;
  } catch (...) {
    throw bad();
  }
  if (type == "bool") {
    if (text == "true" || text == "1" || text == "yes") return true;
    if (text == "false" || text == "0" || text == "no") return false;
    throw bad();
  }
  return text;  // strings, and lists as the program parses them (comma-separated)
}

nlohmann::json deployment_body(const DeploySpec& s) {
  if (s.name.empty()) throw CommandError(at(s.where, "the deployment has no name"), kExitUsage);
  if (s.program.empty()) throw CommandError(at(s.where, "--program is required"), kExitUsage);
  if (s.pool.empty()) throw CommandError(at(s.where, "--pool is required"), kExitUsage);
  // The program as an absolute path when it is a file here (the worker's working
  // directory is not the caller's); a bare name is looked up in PATH.
  std::string program = s.program;
  std::error_code ec;
  if (program.find('/') != std::string::npos) {
    if (!std::filesystem::exists(program, ec)) {
      throw CommandError(at(s.where, fmt::format("--program {}: no such file", program)), kExitUsage);
    }
    program = std::filesystem::absolute(program, ec).lexically_normal().string();
  }
  std::vector<std::string> argv{program};
  argv.insert(argv.end(), s.args.begin(), s.args.end());
  std::vector<std::string> describe_argv = argv;
  describe_argv.push_back("--baton-describe");
  worker::ChildProcess child(describe_argv, {});
  if (!child.ok()) throw CommandError(at(s.where, fmt::format("--program: {}", child.error())), kExitUsage);
  std::vector<std::string> lines;
  while (child.read_lines(lines, 10'000)) {
  }
  int code = 0, sig = 0;
  child.wait(code, sig);
  nlohmann::json described;
  for (const auto& l : lines) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("flow")) described = j;
  }
  if (code != 0 || described.is_null()) {
    throw CommandError(at(s.where, fmt::format("--program {}: `{} --baton-describe` did not describe a flow (exit "
                                               "{}); is it a baton flow program (baton::run_main)?",
                                               program, program, sig ? -sig : code)),
                       kExitUsage);
  }
  const std::string flow = described.value("flow", "");
  if (!s.flow.empty() && s.flow != flow) {
    throw CommandError(at(s.where, fmt::format("--flow {}: {} runs the flow '{}', not '{}'", s.flow, program, flow, s.flow)),
                       kExitUsage);
  }
  nlohmann::json specs = described.value("parameters", nlohmann::json::array());
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [name, text] : s.params) {
    const nlohmann::json* spec = nullptr;
    for (const auto& p : specs) {
      std::string dashed = p.value("name", "");
      for (char& c : dashed) c = c == '_' ? '-' : c;
      if (p.value("name", "") == name || dashed == name) spec = &p;
    }
    if (spec == nullptr) {
      std::string known;
      for (const auto& p : specs) known += (known.empty() ? "" : ", ") + p.value("name", "");
      throw CommandError(at(s.where, fmt::format("--param {}: the flow '{}' has no parameter '{}' (it has: {})", name,
                                                 flow, name, known.empty() ? "none" : known)),
                         kExitUsage);
    }
    params[spec->value("name", "")] = typed_parameter(name, text, spec->value("type", "string"), s.where);
  }
  nlohmann::json schedules = nlohmann::json::array();
  for (std::size_t i = 0; i < s.schedules.size(); ++i) {
    const auto& sc = s.schedules[i];
    const int kinds = !sc.cron.empty() + !sc.interval.empty() + !sc.rrule.empty();
    if (kinds != 1) {
      throw CommandError(at(s.where, fmt::format("schedules[{}]: give exactly one of cron, interval, rrule", i)), kExitUsage);
    }
    nlohmann::json j;
    if (!sc.cron.empty()) {
      j = {{"kind", "cron"}, {"cron", sc.cron}};
    } else if (!sc.rrule.empty()) {
      j = {{"kind", "rrule"}, {"rrule", sc.rrule}};
    } else {
      auto secs = parse_interval(sc.interval);
      if (!secs) {
        throw CommandError(at(s.where, fmt::format("--interval {}: not an interval of at least 1s (use 30s, 15m, 1h, "
                                                   "1h30m, 2d)",
                                                   sc.interval)),
                           kExitUsage);
      }
      j = {{"kind", "interval"}, {"interval_seconds", *secs}};
    }
    if (!sc.timezone.empty()) j["timezone"] = sc.timezone;
    schedules.push_back(j);
  }
  nlohmann::json body{{"flow_name", flow},
                      {"command", argv},
                      {"work_pool", s.pool},
                      {"parameters", params},
                      {"parameter_specs", specs},
                      {"tags", s.tags},
                      {"schedules", schedules},
                      {"paused", s.paused},
                      {"retries", s.retries},
                      {"retry_delay_seconds", s.retry_delay_seconds}};
  body["description"] = s.description.empty() ? described.value("description", "") : s.description;
  if (s.concurrency_limit) body["concurrency_limit"] = *s.concurrency_limit;
  return body;
}

std::vector<DeploySpec> read_deploy_file(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw CommandError(fmt::format("--file {}: cannot read it", path), kExitUsage);
  } catch (const YAML::Exception& e) {
    throw CommandError(fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg), kExitUsage);
  }
  std::vector<YAML::Node> items;
  if (root.IsMap() && root["deployments"]) {
    if (!root["deployments"].IsSequence()) throw CommandError(path + ": deployments: expected a list", kExitUsage);
    for (const auto& n : root["deployments"]) items.push_back(n);
  } else if (root.IsMap()) {
    items.push_back(root);
  } else {
    throw CommandError(path + ": expected a mapping with a 'deployments' list", kExitUsage);
  }
  std::vector<DeploySpec> out;
  const std::string base_dir = std::filesystem::absolute(path).parent_path().string();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& n = items[i];
    DeploySpec s;
    s.where = fmt::format("{}: deployments[{}]", path, i);
    auto text = [&](const char* key) -> std::string {
      if (!n[key]) return {};
      if (!n[key].IsScalar()) throw CommandError(fmt::format("{}.{}: expected a value", s.where, key), kExitUsage);
      return n[key].as<std::string>();
    };
    static const char* kKnown[] = {"name", "program", "args", "flow", "pool", "work_pool", "description", "parameters",
                                   "schedules", "tags", "retries", "retry_delay_seconds", "concurrency_limit", "paused"};
    if (!n.IsMap()) throw CommandError(s.where + ": expected a mapping", kExitUsage);
    for (const auto& kv : n) {
      const auto key = kv.first.as<std::string>();
      if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
        throw CommandError(fmt::format("{}.{}: unknown key", s.where, key), kExitUsage);
      }
    }
    try {
      s.name = text("name");
      s.program = text("program");
      // A relative program path is relative to the file.
      if (!s.program.empty() && s.program.find('/') != std::string::npos && s.program[0] != '/') {
        s.program = base_dir + "/" + s.program;
      }
      s.flow = text("flow");
      s.pool = n["work_pool"] ? text("work_pool") : text("pool");
      s.description = text("description");
      if (n["args"]) s.args = n["args"].as<std::vector<std::string>>();
      if (n["tags"]) s.tags = n["tags"].as<std::vector<std::string>>();
      if (n["retries"]) s.retries = n["retries"].as<int>();
      if (n["retry_delay_seconds"]) s.retry_delay_seconds = n["retry_delay_seconds"].as<double>();
      if (n["concurrency_limit"]) s.concurrency_limit = n["concurrency_limit"].as<int>();
      if (n["paused"]) s.paused = n["paused"].as<bool>();
      if (n["parameters"]) {
        if (!n["parameters"].IsMap()) throw CommandError(s.where + ".parameters: expected a mapping", kExitUsage);
        for (const auto& kv : n["parameters"]) s.params.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
      }
      if (n["schedules"]) {
        if (!n["schedules"].IsSequence()) throw CommandError(s.where + ".schedules: expected a list", kExitUsage);
        for (const auto& sn : n["schedules"]) {
          ScheduleSpec sc;
          if (sn["cron"]) sc.cron = sn["cron"].as<std::string>();
          if (sn["interval"]) sc.interval = sn["interval"].as<std::string>();
          if (sn["rrule"]) sc.rrule = sn["rrule"].as<std::string>();
          if (sn["timezone"]) sc.timezone = sn["timezone"].as<std::string>();
          s.schedules.push_back(sc);
        }
      }
    } catch (const YAML::Exception& e) {
      throw CommandError(fmt::format("{} (line {}): {}", s.where, e.mark.line + 1, e.msg), kExitUsage);
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace baton::cli

// A flow as a program: its command line and its exit code.
#include <baton/run_main.h>

#include "engine/flow_run.h"
#include "engine/runtime.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace baton::detail {

namespace {

// Parameters are shown as --data-dir for data_dir; both spellings are accepted.
std::string option_name(const std::string& param) {
  std::string out = param;
  for (char& c : out) c = c == '_' ? '-' : c;
  return out;
}

void print_help(const std::string& flow_name, const std::string& description,
                const std::vector<CommandLineParameter>& params, const char* program) {
  std::printf("Usage: %s", program);
  for (const auto& p : params) {
    std::printf(p.info.optional ? " [--%s %s]" : " --%s %s", option_name(p.info.name).c_str(), p.info.type.c_str());
  }
  std::printf("\n\nRuns the flow '%s'%s%s\n\nParameters:\n", flow_name.c_str(), description.empty() ? "." : ": ",
              description.c_str());
  for (const auto& p : params) {
    std::printf("  --%-20s %s%s\n", option_name(p.info.name).c_str(), p.info.type.c_str(),
                p.info.optional ? " (optional)" : "");
  }
  std::printf("  --%-20s %s\n", "help", "show this help");
  std::printf("\nLists are comma-separated. Settings come from BATON_* variables (see `baton config`).\n");
}

// `PROGRAM --baton-describe`: what `baton deploy` needs to know of the flow, as
// one JSON line: {"flow", "description", "parameters": [{"name", "type",
// "required", "default"}]}. No default is known to the program (a missing
// optional parameter is empty), so default is null.
void print_description(const std::string& flow_name, const std::string& description,
                       const std::vector<CommandLineParameter>& params) {
  nlohmann::json out{{"flow", flow_name}, {"description", description}, {"parameters", nlohmann::json::array()}};
  for (const auto& p : params) {
    // A bool left out is false (see below), so it is never required.
    out["parameters"].push_back({{"name", p.info.name},
                                 {"type", p.info.type},
                                 {"required", !p.info.optional && p.info.type != "bool"},
                                 {"default", p.info.type == "bool" && !p.info.optional ? nlohmann::json("false")
                                                                                        : nlohmann::json()}});
  }
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

}  // namespace

std::optional<int> parse_command_line(const std::string& flow_name, const std::string& description,
                                      std::vector<CommandLineParameter>& params, int argc, char** argv) {
  const char* program = argc > 0 ? argv[0] : flow_name.c_str();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--baton-describe") {
      print_description(flow_name, description, params);
      return 0;
    }
    if (arg == "--help" || arg == "-h") {
      print_help(flow_name, description, params, program);
      return 0;
    }
    if (arg.rfind("--", 0) != 0) {
      std::fprintf(stderr, "%s: unexpected argument '%s' (parameters are given as --name value; see --help)\n",
                   program, arg.c_str());
      return 2;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    CommandLineParameter* param = nullptr;
    for (auto& p : params) {
      if (p.info.name == name || option_name(p.info.name) == name) param = &p;
    }
    if (param == nullptr) {
      std::fprintf(stderr, "%s: unknown parameter '--%s' (see --help)\n", program, name.c_str());
      return 2;
    }
    if (!has_value) {
      bool next_is_value = i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0;
      if (param->info.type == "bool" && !next_is_value) {
        value = "true";  // a flag
      } else if (!next_is_value) {
        std::fprintf(stderr, "%s: parameter '--%s' needs a value of type %s\n", program, name.c_str(),
                     param->info.type.c_str());
        return 2;
      } else {
        value = argv[++i];
      }
    }
    if (!param->parse(value)) {
      std::fprintf(stderr, "%s: parameter '--%s': '%s' is not a valid %s\n", program, name.c_str(), value.c_str(),
                   param->info.type.c_str());
      return 2;
    }
  }
  for (auto& p : params) {
    if (!p.info.optional && !p.is_set()) {
      if (p.info.type == "bool") {
        p.parse("false");
        continue;
      }
      std::fprintf(stderr, "%s: missing parameter '--%s' (%s); see --help\n", program, option_name(p.info.name).c_str(),
                   p.info.type.c_str());
      return 2;
    }
  }
  return std::nullopt;
}

int run_flow_program(const std::function<void()>& call) {
  // Settings are validated when the runtime starts: a bad one ends the program
  // here, with its message and status 2, before any run exists.
  try {
    engine::Runtime::get();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  int code = 0;
  try {
    call();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    code = 1;
  } catch (...) {
    std::fprintf(stderr, "error: unknown exception\n");
    code = 1;
  }
  engine::Runtime& rt = engine::Runtime::get();
  rt.flush();
  if (!last_flow_run_id().empty()) {
    std::fprintf(stderr, "Flow run '%s' (%s) finished: %s\n", last_flow_run_name().c_str(),
                 last_flow_run_id().str().c_str(), std::string(to_string(last_flow_run_state().type)).c_str());
    if (!rt.history()) {
      std::fprintf(stderr, "  history is off (BATON_HISTORY=false, or the run store could not be opened: see above)\n");
    } else {
      std::fprintf(stderr, "  history: baton flow-run inspect %s   (logs: baton flow-run logs %s)\n",
                   last_flow_run_id().str().substr(0, 8).c_str(), last_flow_run_id().str().substr(0, 8).c_str());
    }
  }
  return code;
}

}  // namespace baton::detail

// Names: interned task and flow names, parameter names read from source text,
// run-name templates and generated flow run names.
#include <baton/task.h>

#include "engine/flow_run.h"
#include "engine/names.h"
#include "engine/settings.h"
#include "util/json_string.h"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

namespace baton::detail {

const std::string* intern(std::string_view name) {
  static std::mutex mu;
  // Node-based, so pointers stay valid; never destroyed, because threads may read
  // the names during static destruction.
  static auto* names = new std::set<std::string, std::less<>>();
  std::lock_guard lock(mu);
  auto it = names->find(name);
  if (it == names->end()) it = names->emplace(name).first;
  return &*it;
}

namespace {

bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The last identifier of one parameter declaration: "const std::vector<int>& xs = {}" -> "xs".
std::string declared_name(std::string_view decl) {
  int depth = 0;
  for (std::size_t i = 0; i < decl.size(); ++i) {  // drop a default value
    char c = decl[i];
    if (c == '<' || c == '(' || c == '{' || c == '[') ++depth;
    if (c == '>' || c == ')' || c == '}' || c == ']') --depth;
    if (c == '=' && depth == 0) {
      decl = decl.substr(0, i);
      break;
    }
  }
  std::size_t end = decl.size();
  while (end > 0 && !is_ident_char(decl[end - 1])) --end;
  std::size_t begin = end;
  while (begin > 0 && is_ident_char(decl[begin - 1])) --begin;
  std::string name(decl.substr(begin, end - begin));
  // A declaration with only a type ("int") has no name.
  static const std::set<std::string, std::less<>> kTypeWords = {
      "int", "long", "short", "char", "bool", "float", "double", "unsigned", "signed", "auto", "string", "size_t"};
  if (name.empty() || kTypeWords.count(name) || (begin > 0 && decl[begin - 1] == ':')) return "";
  // "T name": a name needs something before it.
  std::string_view before = decl.substr(0, begin);
  if (before.find_first_not_of(" \t\n") == std::string_view::npos) return "";
  return name;
}

}  // namespace

std::vector<std::string> parse_parameter_names(std::string_view source) {
  // Skip the capture list of a lambda, then read the first parenthesized list.
  std::size_t pos = 0;
  while (pos < source.size() && (source[pos] == ' ' || source[pos] == '\n' || source[pos] == '\t')) ++pos;
  if (pos < source.size() && source[pos] == '[') {
    int depth = 0;
    for (; pos < source.size(); ++pos) {
      if (source[pos] == '[') ++depth;
      if (source[pos] == ']' && --depth == 0) break;
    }
  }
  std::size_t open = source.find('(', pos);
  if (open == std::string_view::npos) return {};
  std::vector<std::string> names;
  int depth = 0;
  std::size_t start = open + 1;
  for (std::size_t i = open; i < source.size(); ++i) {
    char c = source[i];
    if (c == '(' || c == '<' || c == '{' || c == '[') ++depth;
    if (c == ')' || c == '>' || c == '}' || c == ']') --depth;
    if ((c == ',' && depth == 1) || depth == 0) {
      std::string_view decl = source.substr(start, i - start);
      if (decl.find_first_not_of(" \t\n") != std::string_view::npos) names.push_back(declared_name(decl));
      start = i + 1;
      if (depth == 0) break;
    }
  }
  return names;
}

std::string param_name(const std::vector<std::string>& names, std::size_t i) {
  if (i < names.size() && !names[i].empty()) return names[i];
  return "arg" + std::to_string(i);
}

namespace {

// The value of a {task_run.*} / {flow_run.*} placeholder, or nullopt if `key` is
// not one that can be filled here.
std::optional<std::string> run_field(std::string_view key, const TaskRunCore* task, const FlowRunCore* flow) {
  if (task != nullptr) {
    if (key == "task_run.id") return task->id().str();
    if (key == "task_run.task_name") return *task->options().name;
    if (key == "task_run.name" && !task->run_name().empty()) return task->run_name();
  }
  if (flow != nullptr) {
    if (key == "flow_run.id") return flow->id.str();
    if (key == "flow_run.flow_name") return *flow->options->name;
    if (key == "flow_run.name" && !flow->run_name.empty()) return flow->run_name;
  }
  return std::nullopt;
}

}  // namespace

std::string render_placeholders(const std::string& tmpl, const std::vector<std::string>& names,
                                const std::vector<std::string>& values, const TaskRunCore* task,
                                const FlowRunCore* flow) {
  std::string out;
  out.reserve(tmpl.size() + 16);
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{') {
      std::size_t close = tmpl.find('}', i);
      if (close != std::string::npos) {
        std::string_view key(tmpl.data() + i + 1, close - i - 1);
        bool found = false;
        for (std::size_t k = 0; k < names.size() && k < values.size(); ++k) {
          if (names[k] == key) {
            out += values[k];
            found = true;
            break;
          }
        }
        if (!found) {
          if (auto field = run_field(key, task, flow)) {
            out += *field;
            found = true;
          }
        }
        if (!found) {
          std::string known;
          for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
          if (task != nullptr) known += std::string(known.empty() ? "" : ", ") + "task_run.id, task_run.task_name";
          if (task != nullptr && !task->run_name().empty()) known += ", task_run.name";
          if (flow != nullptr) {
            known += std::string(known.empty() ? "" : ", ") + "flow_run.id, flow_run.flow_name";
            if (!flow->run_name.empty()) known += ", flow_run.name";
          }
          throw std::invalid_argument("template '" + tmpl + "': unknown placeholder {" + std::string(key) +
                                      "} (known here: " + (known.empty() ? "none" : known) + ")");
        }
        i = close;
        continue;
      }
    }
    out += tmpl[i];
  }
  return out;
}

std::string render_template(const std::string& tmpl, const std::vector<std::string>& names,
                            const std::vector<std::string>& values, const TaskRunCore* run) {
  return render_placeholders(tmpl, names, values, run,
                             run != nullptr && run->flow_ ? run->flow_.get() : nullptr);
}

void apply_source(TaskOptions& options, const SourceInfo& source) {
  options.source_text = source.text;
  options.param_names = parse_parameter_names(source.text);
}

std::vector<std::chrono::milliseconds> backoff_delays(std::chrono::milliseconds factor, int count) {
  std::vector<std::chrono::milliseconds> out;
  auto d = factor;
  for (int i = 0; i < count; ++i) {
    out.push_back(d);
    if (d < std::chrono::hours(24 * 365)) d *= 2;  // stop doubling long before overflow
  }
  return out;
}

std::string json_quote(std::string_view text, std::size_t max_len) {
  std::string out;
  if (text.size() <= max_len) {
    append_json_string(out, text);
  } else {
    append_json_string(out, std::string(text.substr(0, max_len)) + "...");
  }
  return out;
}

std::string json_string_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    append_json_string(out, items[i]);
  }
  return out + "]";
}

std::string error_message(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception (not derived from std::exception)";
  }
}

std::string type_label_of(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                                   std::free);
  std::string name = status == 0 && demangled ? demangled.get() : mangled;
  for (std::string_view noise : {"std::__cxx11::", "std::"}) {
    for (std::size_t p; (p = name.find(noise)) != std::string::npos;) name.erase(p, noise.size());
  }
  return name;
}

bool parse_bool_text(std::string_view text, bool& out) { return settings::parse_bool(text, out); }

std::string duration_text(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3gs", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace baton::detail

#pragma once
// Engine-internal text helpers (names.cpp).
#include <chrono>
#include <exception>
#include <string>
#include <vector>

namespace baton::detail {

class FlowRunCore;
class TaskRunCore;

// Fills a run-name or storage-key template: parameter names from the parallel
// lists, {task_run.*} from `task`, {flow_run.*} from `flow` (either may be null).
// Throws std::invalid_argument naming an unknown placeholder and the known ones.
std::string render_placeholders(const std::string& tmpl, const std::vector<std::string>& names,
                                const std::vector<std::string>& values, const TaskRunCore* task,
                                const FlowRunCore* flow);

// ["a","b"]: tags as the run history stores them.
std::string json_string_list(const std::vector<std::string>& items);

// "0.1s", "2.5s", "90s": how durations read in state messages and logs.
std::string duration_text(std::chrono::milliseconds d);

// what() of a caught exception, for state messages.
std::string error_message(const std::exception_ptr& error);

}  // namespace baton::detail

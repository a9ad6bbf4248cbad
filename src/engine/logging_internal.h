#pragma once
// How the engine itself logs about a run, and how captured prints are recorded.
#include <baton/log_level.h>
#include <baton/run_id.h>

#include <string_view>

namespace baton::engine {

// Records the line in the run history for (flow_run, task_run) and prints it to the
// terminal as "12:00:00.123 | INFO    | <who> - <message>", if level is enabled.
void log_run_message(LogLevel level, const RunId& flow_run, const RunId& task_run, std::string_view who,
                     std::string_view message);

// Records a line printed by the current run (log_prints); the terminal already has it.
void record_captured_line(LogLevel level, std::string_view line);

}  // namespace baton::engine

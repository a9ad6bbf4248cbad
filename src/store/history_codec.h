#pragma once
// The compact encoding of times and state histories in the run history tables.
#include "store/run_records.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace baton::store {

// Timestamps are stored as microseconds since the Unix epoch.
inline std::int64_t to_micros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
inline TimePoint from_micros(std::int64_t us) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(us)));
}


// One transition as a JSON array: ["Running",1732460000000000] or, with a
// message, ["Failed",1732460000000000,"division by zero"].
void append_transition_json(std::string& out, StateType type, std::int64_t at_us, std::string_view message);
// The same after a comma: the next transition of a history array kept open.
void append_next_transition_json(std::string& out, StateType type, std::int64_t at_us, std::string_view message);

// append_json_string (util/json_string.h), with one append for the common text
// that needs no escaping.
void append_json_text(std::string& out, std::string_view s);

// Parses a history column ([[state, time, message?], ...]). Entries it cannot
// read are skipped, so a hand-edited row never breaks the reader.
std::vector<StateTransition> parse_history(std::string_view json);

// ---- Task run packs (table task_run_packs, see schema.cpp) ----
// One pack holds final task runs of one flow run: their ids as 16-byte blobs one
// after another, and a JSON array with one entry per run:
//   [task_name, run_name, parameters, tags, created, history]

// Appends one entry to `runs`, a pack's array still open (it starts with '[' and
// has no closing ']'). `open_history` is a history array (history column format)
// without its closing ']', as the writer keeps it; its last transition is final.
void append_packed_task_run(std::string& runs, std::string_view task_name, std::string_view run_name,
                            std::string_view parameters_json, std::string_view tags_json, std::int64_t created_us,
                            std::string_view open_history);

// The task runs of one pack, in entry order, with the latest state, message, and
// start and end times derived from each history. An entry it cannot read (or one
// without an id) is skipped, like parse_history's; `unreadable` counts them.
std::vector<TaskRunRecord> parse_task_run_pack(const RunId& flow_run, std::string_view ids, std::string_view runs,
                                               int* unreadable = nullptr);

}  // namespace baton::store

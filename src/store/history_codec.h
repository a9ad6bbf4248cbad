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

// Parses a history column ([[state, time, message?], ...]). Entries it cannot
// read are skipped, so a hand-edited row never breaks the reader.
std::vector<StateTransition> parse_history(std::string_view json);

}  // namespace baton::store

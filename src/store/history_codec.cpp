#include "store/history_codec.h"

#include "util/json_string.h"

#include <nlohmann/json.hpp>

namespace baton::store {


void append_transition_json(std::string& out, StateType type, std::int64_t at_us, std::string_view message) {
  out += "[\"";
  out += to_string(type);
  out += "\",";
  out += std::to_string(at_us);
  if (!message.empty()) {
    out.push_back(',');
    append_json_string(out, message);
  }
  out.push_back(']');
}

std::vector<StateTransition> parse_history(std::string_view json) {
  std::vector<StateTransition> out;
  auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) return out;
  for (const auto& entry : doc) {
    if (!entry.is_array() || entry.size() < 2 || !entry[0].is_string() || !entry[1].is_number_integer()) continue;
    StateTransition t;
    if (!parse_state_type(entry[0].get<std::string>(), t.type)) continue;
    t.at = from_micros(entry[1].get<std::int64_t>());
    if (entry.size() > 2 && entry[2].is_string()) t.message = entry[2].get<std::string>();
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace baton::store

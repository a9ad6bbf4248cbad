#include "store/history_codec.h"

#include "store/id_blob.h"
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

namespace {

std::vector<StateTransition> read_history(const nlohmann::json& doc) {
  std::vector<StateTransition> out;
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

}  // namespace

std::vector<StateTransition> parse_history(std::string_view json) {
  return read_history(nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false));
}

void append_packed_task_run(std::string& runs, std::string_view task_name, std::string_view run_name,
                            std::string_view parameters_json, std::string_view tags_json, std::int64_t created_us,
                            std::string_view history) {
  if (runs.size() > 1) runs.push_back(',');
  runs.push_back('[');
  append_json_string(runs, task_name);
  runs.push_back(',');
  append_json_string(runs, run_name);
  runs.push_back(',');
  // As strings, not spliced in: a malformed text then spoils its own entry at
  // most, never the pack.
  append_json_string(runs, parameters_json.empty() ? std::string_view("{}") : parameters_json);
  runs.push_back(',');
  append_json_string(runs, tags_json.empty() ? std::string_view("[]") : tags_json);
  runs.push_back(',');
  runs += std::to_string(created_us);
  runs.push_back(',');
  runs += history;
  runs.push_back(']');
}

std::vector<TaskRunRecord> parse_task_run_pack(const RunId& flow_run, std::string_view ids, std::string_view runs,
                                               int* unreadable) {
  std::vector<TaskRunRecord> out;
  int bad = 0;
  auto doc = nlohmann::json::parse(runs, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) {
    if (unreadable != nullptr) *unreadable = static_cast<int>(ids.size() / 16) + (doc.is_discarded() ? 1 : 0);
    return out;
  }
  out.reserve(doc.size());
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const auto& e = doc[i];
    if ((i + 1) * 16 > ids.size() || !e.is_array() || e.size() < 6 || !e[0].is_string() || !e[1].is_string() ||
        !e[2].is_string() || !e[3].is_string() || !e[4].is_number_integer()) {
      ++bad;
      continue;
    }
    TaskRunRecord r;
    r.id = from_blob(ids.substr(i * 16, 16));
    r.flow_run = flow_run;
    r.task_name = e[0].get<std::string>();
    r.run_name = e[1].get<std::string>();
    r.parameters_json = e[2].get<std::string>();
    r.tags_json = e[3].get<std::string>();
    r.created = from_micros(e[4].get<std::int64_t>());
    r.history = read_history(e[5]);
    if (r.history.empty()) {
      ++bad;
      continue;
    }
    const StateTransition& last = r.history.back();
    r.state = last.type;
    r.state_time = last.at;
    r.state_message = last.message;
    r.end_time = last.at;  // packed runs are final
    for (const StateTransition& t : r.history) {
      if (t.type == StateType::Running || t.type == StateType::Retrying) {
        r.start_time = t.at;
        break;
      }
    }
    out.push_back(std::move(r));
  }
  if (unreadable != nullptr) *unreadable = bad;
  return out;
}

}  // namespace baton::store

#include "store/history_codec.h"

#include "store/id_blob.h"
#include "util/json_string.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace baton::store {

namespace {

void put_transition(std::string& out, bool comma, StateType type, std::int64_t at_us, std::string_view message) {
  // One append of a stack buffer: this runs three times per task run.
  const std::string_view name = to_string(type);
  char buf[64];
  char* p = buf;
  if (comma) *p++ = ',';
  *p++ = '[';
  *p++ = '"';
  p = std::copy(name.begin(), name.end(), p);  // state names are short (< 32 characters)
  *p++ = '"';
  *p++ = ',';
  p = std::to_chars(p, buf + sizeof buf, at_us).ptr;
  if (message.empty()) {
    *p++ = ']';
    out.append(buf, static_cast<std::size_t>(p - buf));
    return;
  }
  *p++ = ',';
  out.append(buf, static_cast<std::size_t>(p - buf));
  append_json_text(out, message);
  out.push_back(']');
}

}  // namespace

void append_transition_json(std::string& out, StateType type, std::int64_t at_us, std::string_view message) {
  put_transition(out, false, type, at_us, message);
}

void append_next_transition_json(std::string& out, StateType type, std::int64_t at_us, std::string_view message) {
  put_transition(out, true, type, at_us, message);
}

void append_json_text(std::string& out, std::string_view s) {
  // Runs of plain ASCII are appended whole, quotes and backslashes escaped in
  // place; anything else (control bytes, UTF-8 to check) goes to the general
  // escaper, which takes the whole text again.
  const std::size_t mark = out.size();
  out.push_back('"');
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x80 && c != '"' && c != '\\') continue;
    if (c != '"' && c != '\\') {
      out.resize(mark);
      append_json_string(out, s);
      return;
    }
    out.append(s.data() + start, i - start);
    out.push_back('\\');
    out.push_back(c);
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
  out.push_back('"');
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

namespace {

// Writes `s` as a JSON string at `p` (room for 2 + 2 * s.size() bytes needed);
// nullptr if `s` holds a byte this fast path does not handle (control bytes,
// non-ASCII), which the caller then leaves to append_json_string.
char* put_plain_json_string(char* p, std::string_view s) {
  *p++ = '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x80) return nullptr;
    if (c == '"' || c == '\\') *p++ = '\\';
    *p++ = c;
  }
  *p++ = '"';
  return p;
}

}  // namespace

void append_packed_task_run(std::string& runs, std::string_view task_name, std::string_view run_name,
                            std::string_view parameters_json, std::string_view tags_json, std::int64_t created_us,
                            std::string_view history) {
  // `history` comes without its closing ']' (written here).
  if (parameters_json.empty()) parameters_json = "{}";
  if (tags_json.empty()) tags_json = "[]";
  // Parameters and tags go in as strings, not spliced in: a malformed text
  // then spoils its own entry at most, never the pack.
  //
  // This runs once per task run on the writer thread: the entry is written into
  // room made in one step, not appended piece by piece.
  const std::size_t mark = runs.size();
  const std::size_t room = 2 + 4 * 2 + 2 * (task_name.size() + run_name.size() + parameters_json.size() + tags_json.size()) +
                           8 + 24 + history.size() + 2;
  runs.resize(mark + room);
  char* const begin = runs.data() + mark;
  char* p = begin;
  if (mark > 1) *p++ = ',';
  *p++ = '[';
  for (std::string_view text : {task_name, run_name, parameters_json, tags_json}) {
    p = put_plain_json_string(p, text);
    if (p == nullptr) break;
    *p++ = ',';
  }
  if (p == nullptr) {
    // The general escaper (control bytes, UTF-8 to check or replace).
    runs.resize(mark);
    runs.append(mark > 1 ? ",[" : "[");
    for (std::string_view text : {task_name, run_name, parameters_json, tags_json}) {
      append_json_string(runs, text);
      runs.push_back(',');
    }
    runs += std::to_string(created_us);
    runs.push_back(',');
    runs.append(history);
    runs.append("]]");
    return;
  }
  p = std::to_chars(p, begin + room, created_us).ptr;
  *p++ = ',';
  p = std::copy(history.begin(), history.end(), p);
  *p++ = ']';
  *p++ = ']';
  runs.resize(static_cast<std::size_t>(p - runs.data()));
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

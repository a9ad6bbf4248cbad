#include "store/event_json.h"

#include "util/json_string.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <type_traits>
#include <unordered_map>

namespace baton::store {

namespace {

std::int64_t to_us(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// ,"name":
void key(std::string& out, std::string_view name) {
  out += ",\"";
  out += name;
  out += "\":";
}

void field(std::string& out, std::string_view name, std::string_view text) {
  key(out, name);
  append_json_string(out, text);
}

void field(std::string& out, std::string_view name, const std::string* text) {
  field(out, name, text ? std::string_view(*text) : std::string_view());
}

void field_id(std::string& out, std::string_view name, const RunId& id) {
  key(out, name);
  if (id.empty()) {
    out += "null";
  } else {
    out += '"';
    out += id.str();
    out += '"';
  }
}

void field_raw(std::string& out, std::string_view name, std::string_view json, std::string_view empty) {
  key(out, name);
  out += json.empty() ? empty : json;
}

void field_int(std::string& out, std::string_view name, std::int64_t v) {
  key(out, name);
  append_int(out, v);
}

void field_uint(std::string& out, std::string_view name, std::uint64_t v) {
  key(out, name);
  append_uint(out, v);
}

}  // namespace

void append_ingest_event(std::string& out, const engine::Event& event) {
  std::visit(
      [&out](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, engine::FlowRunCreated>) {
          out += "{\"kind\":\"flow_run_created\"";
          field_id(out, "id", e.id);
          field_id(out, "parent_flow_run", e.parent_flow_run);
          field(out, "flow_name", e.flow_name);
          field(out, "run_name", e.run_name);
          field_raw(out, "parameters", e.parameters_json, "{}");
          field_raw(out, "tags", e.tags_json, "[]");
          field(out, "version", e.version);
          field_int(out, "created_us", to_us(e.created));
          field_int(out, "pid", e.pid);
          field_uint(out, "process_started", e.process_started);
          field(out, "hostname", e.hostname);
        } else if constexpr (std::is_same_v<E, engine::TaskRunCreated>) {
          out += "{\"kind\":\"task_run_created\"";
          field_id(out, "id", e.id);
          field_id(out, "flow_run", e.flow_run);
          field(out, "task_name", e.task_name);
          field(out, "run_name", e.run_name);
          field_raw(out, "parameters", e.parameters_json, "{}");
          field_raw(out, "tags", e.tags_json, "[]");
          field_int(out, "created_us", to_us(e.created));
        } else if constexpr (std::is_same_v<E, engine::StateChanged>) {
          out += "{\"kind\":\"state_changed\"";
          field_id(out, "run", e.run);
          field(out, "run_kind", e.kind == engine::RunKind::Flow ? "flow" : "task");
          field(out, "state", to_string(e.type));
          field_int(out, "at_us", to_us(e.at));
          field(out, "message", e.message);
        } else if constexpr (std::is_same_v<E, engine::EdgeAdded>) {
          out += "{\"kind\":\"edge_added\"";
          field_id(out, "flow_run", e.flow_run);
          field_id(out, "upstream", e.upstream);
          field_id(out, "downstream", e.downstream);
          field(out, "edge_kind", e.kind == engine::EdgeKind::Data ? "data" : "wait_for");
        } else if constexpr (std::is_same_v<E, engine::LogRecorded>) {
          out += "{\"kind\":\"log\"";
          field_id(out, "flow_run", e.flow_run);
          field_id(out, "task_run", e.task_run);
          field_int(out, "level", static_cast<int>(e.level));
          field_int(out, "at_us", to_us(e.at));
          field(out, "message", e.message);
        } else {
          static_assert(std::is_same_v<E, engine::ResultRecorded>);
          out += "{\"kind\":\"result_recorded\"";
          field_id(out, "task_run", e.task_run);
          field_id(out, "flow_run", e.flow_run);
          field(out, "cache_key", e.cache_key);
          field(out, "location", e.location);
          field_uint(out, "size", e.size);
          field(out, "serializer", e.serializer);
          field_id(out, "produced_by", e.produced_by);
          key(out, "from_cache");
          out += e.from_cache ? "true" : "false";
        }
        out += '}';
      },
      event);
}

std::string encode_ingest_batch(std::string_view source, std::uint64_t first_seq,
                                std::span<const engine::Event> events) {
  std::string out;
  out.reserve(64 + events.size() * 200);
  out += "{\"source\":";
  append_json_string(out, source);
  out += ",\"first_seq\":";
  append_uint(out, first_seq);
  out += ",\"events\":[";
  bool first = true;
  for (const auto& e : events) {
    if (!first) out += ',';
    first = false;
    append_ingest_event(out, e);
  }
  out += "]}";
  return out;
}

namespace {

using json = nlohmann::json;

// Thrown inside the decoder, turned into a Status naming the path.
struct DecodeError {
  std::string path;
  std::string message;
};

// One event's fields, looked up by name with the event's path for errors.
class Fields {
 public:
  Fields(const json& object, std::string path, std::deque<std::string>& names,
         std::unordered_map<std::string_view, const std::string*>& name_index)
      : o_(object), path_(std::move(path)), names_(names), name_index_(name_index) {}

  [[noreturn]] void fail(std::string_view name, std::string message) const {
    throw DecodeError{path_ + "." + std::string(name), std::move(message)};
  }

  const json* find(std::string_view name) const {
    auto it = o_.find(name);
    return it == o_.end() ? nullptr : &*it;
  }

  const json& need(std::string_view name) const {
    const json* v = find(name);
    if (!v) fail(name, "missing");
    return *v;
  }

  std::string str(std::string_view name, bool required = true) const {
    const json* v = find(name);
    if (!v || v->is_null()) {
      if (required) fail(name, "missing");
      return {};
    }
    if (!v->is_string()) fail(name, fmt::format("expected a string, got {}", v->type_name()));
    return v->get<std::string>();
  }

  const std::string* name(std::string_view field) const {
    std::string s = str(field);
    if (s.empty()) fail(field, "must not be empty");
    auto it = name_index_.find(s);
    if (it != name_index_.end()) return it->second;
    const std::string* stored = &names_.emplace_back(std::move(s));
    name_index_.emplace(*stored, stored);
    return stored;
  }

  RunId id(std::string_view name, bool required) const {
    const json* v = find(name);
    if (!v || v->is_null()) {
      if (required) fail(name, "missing");
      return {};
    }
    if (!v->is_string()) fail(name, fmt::format("expected a run id string, got {}", v->type_name()));
    const auto& text = v->get_ref<const std::string&>();
    auto parsed = RunId::parse(text);
    if (!parsed) fail(name, fmt::format("not a run id: '{}'", text));
    return *parsed;
  }

  std::int64_t i64(std::string_view name) const {
    const json& v = need(name);
    if (v.is_number_integer()) return v.get<std::int64_t>();
    if (v.is_number_unsigned()) {
      auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) fail(name, "out of range");
      return static_cast<std::int64_t>(u);
    }
    fail(name, fmt::format("expected an integer, got {}", v.type_name()));
  }

  std::uint64_t u64(std::string_view name) const {
    const json& v = need(name);
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    if (v.is_number_integer()) fail(name, "must not be negative");
    fail(name, fmt::format("expected an integer, got {}", v.type_name()));
  }

  TimePoint time(std::string_view name) const {
    const std::int64_t us = i64(name);
    // Microseconds that fit the engine's nanosecond clock (years 1678..2262).
    constexpr std::int64_t kLimit = INT64_MAX / 1000;
    if (us > kLimit || us < -kLimit) fail(name, "out of range");
    return TimePoint(std::chrono::microseconds(us));
  }

  bool boolean(std::string_view name) const {
    const json& v = need(name);
    if (!v.is_boolean()) fail(name, fmt::format("expected a boolean, got {}", v.type_name()));
    return v.get<bool>();
  }

  // A JSON value of the given kind, as text (absent: the empty value).
  std::string raw(std::string_view name, json::value_t kind) const {
    const json* v = find(name);
    if (!v || v->is_null()) return kind == json::value_t::object ? "{}" : "[]";
    if (v->type() != kind) {
      fail(name, fmt::format("expected {}, got {}", kind == json::value_t::object ? "an object" : "an array",
                             v->type_name()));
    }
    return v->dump(-1, ' ', false, json::error_handler_t::replace);
  }

 private:
  const json& o_;
  std::string path_;
  std::deque<std::string>& names_;
  std::unordered_map<std::string_view, const std::string*>& name_index_;
};

engine::Event decode_event(const Fields& f) {
  const std::string kind = f.str("kind");
  if (kind == "flow_run_created") {
    engine::FlowRunCreated e;
    e.id = f.id("id", true);
    e.parent_flow_run = f.id("parent_flow_run", false);
    e.flow_name = f.name("flow_name");
    e.run_name = f.str("run_name", false);
    e.parameters_json = f.raw("parameters", json::value_t::object);
    e.tags_json = f.raw("tags", json::value_t::array);
    e.version = f.str("version", false);
    e.created = f.time("created_us");
    e.pid = f.find("pid") ? f.i64("pid") : 0;
    e.process_started = f.find("process_started") ? f.u64("process_started") : 0;
    e.hostname = f.str("hostname", false);
    return e;
  }
  if (kind == "task_run_created") {
    engine::TaskRunCreated e;
    e.id = f.id("id", true);
    e.flow_run = f.id("flow_run", false);
    e.task_name = f.name("task_name");
    e.run_name = f.str("run_name", false);
    e.parameters_json = f.raw("parameters", json::value_t::object);
    e.tags_json = f.raw("tags", json::value_t::array);
    e.created = f.time("created_us");
    return e;
  }
  if (kind == "state_changed") {
    engine::StateChanged e;
    e.run = f.id("run", true);
    const std::string run_kind = f.str("run_kind");
    if (run_kind == "flow") {
      e.kind = engine::RunKind::Flow;
    } else if (run_kind == "task") {
      e.kind = engine::RunKind::Task;
    } else {
      f.fail("run_kind", fmt::format("expected 'flow' or 'task', got '{}'", run_kind));
    }
    const std::string state = f.str("state");
    if (!parse_state_type(state, e.type)) f.fail("state", fmt::format("unknown state '{}'", state));
    e.at = f.time("at_us");
    e.message = f.str("message", false);
    return e;
  }
  if (kind == "edge_added") {
    engine::EdgeAdded e;
    e.flow_run = f.id("flow_run", false);
    e.upstream = f.id("upstream", true);
    e.downstream = f.id("downstream", true);
    const std::string edge_kind = f.str("edge_kind", false);
    if (edge_kind.empty() || edge_kind == "data") {
      e.kind = engine::EdgeKind::Data;
    } else if (edge_kind == "wait_for") {
      e.kind = engine::EdgeKind::WaitFor;
    } else {
      f.fail("edge_kind", fmt::format("expected 'data' or 'wait_for', got '{}'", edge_kind));
    }
    return e;
  }
  if (kind == "log") {
    engine::LogRecorded e;
    e.flow_run = f.id("flow_run", false);
    e.task_run = f.id("task_run", false);
    const json& level = f.need("level");
    if (level.is_number_integer()) {
      const auto n = level.get<std::int64_t>();
      if (n != 10 && n != 20 && n != 30 && n != 40 && n != 50) {
        f.fail("level", fmt::format("expected 10, 20, 30, 40 or 50, got {}", n));
      }
      e.level = static_cast<LogLevel>(n);
    } else if (level.is_string()) {
      if (!parse_log_level(level.get_ref<const std::string&>(), e.level)) {
        f.fail("level", fmt::format("unknown level '{}'", level.get_ref<const std::string&>()));
      }
    } else {
      f.fail("level", fmt::format("expected an integer, got {}", level.type_name()));
    }
    e.at = f.time("at_us");
    e.message = f.str("message", false);
    return e;
  }
  if (kind == "result_recorded") {
    engine::ResultRecorded e;
    e.task_run = f.id("task_run", true);
    e.flow_run = f.id("flow_run", false);
    e.cache_key = f.str("cache_key", false);
    e.location = f.str("location", false);
    e.size = f.find("size") ? f.u64("size") : 0;
    e.serializer = f.str("serializer", false);
    e.produced_by = f.id("produced_by", false);
    e.from_cache = f.find("from_cache") ? f.boolean("from_cache") : false;
    return e;
  }
  f.fail("kind", fmt::format("unknown event kind '{}'", kind));
}

}  // namespace

Result<IngestBatch> decode_ingest_batch(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return Status::error(fmt::format("body: malformed JSON at byte {}", e.byte));
  }
  if (!doc.is_object()) return Status::error(fmt::format("body: expected an object, got {}", doc.type_name()));
  for (const auto& [k, v] : doc.items()) {
    if (k != "source" && k != "first_seq" && k != "events") return Status::error(fmt::format("{}: unknown field", k));
  }
  IngestBatch batch;
  auto src = doc.find("source");
  if (src == doc.end()) return Status::error("source: missing");
  if (!src->is_string()) return Status::error(fmt::format("source: expected a string, got {}", src->type_name()));
  batch.source = src->get<std::string>();
  if (batch.source.empty()) return Status::error("source: must not be empty");
  if (batch.source.size() > 200) return Status::error("source: longer than 200 characters");
  auto seq = doc.find("first_seq");
  if (seq == doc.end()) return Status::error("first_seq: missing");
  if (!seq->is_number_unsigned() || seq->get<std::uint64_t>() < 1) {
    return Status::error("first_seq: expected an integer of at least 1");
  }
  batch.first_seq = seq->get<std::uint64_t>();
  auto events = doc.find("events");
  if (events == doc.end()) return Status::error("events: missing");
  if (!events->is_array()) return Status::error(fmt::format("events: expected an array, got {}", events->type_name()));
  if (events->size() > 100000) return Status::error("events: more than 100000 events in one batch");
  if (batch.first_seq > UINT64_MAX - events->size()) return Status::error("first_seq: too large");

  auto names = std::make_shared<std::deque<std::string>>();
  std::unordered_map<std::string_view, const std::string*> name_index;
  batch.events.reserve(events->size());
  try {
    for (std::size_t i = 0; i < events->size(); ++i) {
      const json& e = (*events)[i];
      std::string path = fmt::format("events[{}]", i);
      if (!e.is_object()) throw DecodeError{path, fmt::format("expected an object, got {}", e.type_name())};
      batch.events.push_back(decode_event(Fields(e, std::move(path), *names, name_index)));
    }
  } catch (const DecodeError& e) {
    return Status::error(fmt::format("{}: {}", e.path, e.message));
  }
  batch.names = std::move(names);
  return batch;
}

}  // namespace baton::store

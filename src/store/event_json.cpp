#include "store/event_json.h"

#include "util/json_string.h"

#include <fmt/format.h>

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

// The decoder is a small strict JSON reader made for this one format: ingest
// runs at hundreds of thousands of events per second, and a general JSON tree
// (nlohmann's) cost several times the database write. It accepts exactly RFC
// 8259 JSON; values of fields it does not know are checked and skipped.

struct DecodeError {
  std::string path;
  std::string message;
};

enum class Type { Null, Bool, Int, Uint, Float, String, Object, Array };

const char* type_name(Type t) {
  switch (t) {
    case Type::Null: return "null";
    case Type::Bool: return "boolean";
    case Type::Int:
    case Type::Uint:
    case Type::Float: return "number";
    case Type::String: return "string";
    case Type::Object: return "object";
    case Type::Array: return "array";
  }
  return "value";
}

struct Value {
  Type type = Type::Null;
  bool b = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  std::string s;         // String: decoded
  std::string_view raw;  // Object/Array: the text
};

class Reader {
 public:
  explicit Reader(std::string_view text) : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  [[noreturn]] void malformed() const {
    throw DecodeError{"body", fmt::format("malformed JSON at byte {}", (p_ - begin_) + 1)};
  }
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  char peek() {
    ws();
    if (p_ >= end_) malformed();
    return *p_;
  }
  bool at_end() {
    ws();
    return p_ >= end_;
  }
  void expect(char c) {
    if (peek() != c) malformed();
    ++p_;
  }
  bool consume(char c) {
    if (peek() != c) return false;
    ++p_;
    return true;
  }

  void string(std::string& out) {
    expect('"');
    out.clear();
    for (;;) {
      const char* start = p_;
      while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20) ++p_;
      out.append(start, p_);
      if (p_ >= end_ || static_cast<unsigned char>(*p_) < 0x20) malformed();
      if (*p_ == '"') {
        ++p_;
        return;
      }
      ++p_;  // backslash
      if (p_ >= end_) malformed();
      switch (*p_++) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') malformed();
            p_ += 2;
            const std::uint32_t lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) malformed();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            malformed();
          }
          utf8(out, cp);
          break;
        }
        default: --p_, malformed();
      }
    }
  }

  // Any value; strings decoded, numbers classified, objects and arrays checked
  // and kept as text.
  void value(Value& v) {
    const char c = peek();
    if (c == '"') {
      v.type = Type::String;
      string(v.s);
    } else if (c == '{' || c == '[') {
      const char* start = p_;
      skip();
      v.type = c == '{' ? Type::Object : Type::Array;
      v.raw = std::string_view(start, static_cast<std::size_t>(p_ - start));
    } else if (c == 't' || c == 'f' || c == 'n') {
      v.type = c == 'n' ? Type::Null : Type::Bool;
      literal(c == 't' ? "true" : c == 'f' ? "false" : "null");
      v.b = c == 't';
    } else {
      number(v);
    }
  }

  // Checks and passes over one value.
  void skip(int depth = 0) {
    if (depth > 200) malformed();
    const char c = peek();
    if (c == '{') {
      ++p_;
      if (consume('}')) return;
      std::string key;
      do {
        string(key);
        expect(':');
        skip(depth + 1);
      } while (consume(','));
      expect('}');
    } else if (c == '[') {
      ++p_;
      if (consume(']')) return;
      do {
        skip(depth + 1);
      } while (consume(','));
      expect(']');
    } else {
      Value v;
      value(v);
    }
  }

 private:
  std::uint32_t hex4() {
    if (end_ - p_ < 4) malformed();
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = *p_++;
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<std::uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<std::uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<std::uint32_t>(h - 'A' + 10);
      else --p_, malformed();
    }
    return v;
  }

  static void utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  void literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) malformed();
    p_ += word.size();
  }

  void number(Value& v) {
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') malformed();
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    bool integral = true;
    if (p_ < end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') malformed();
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') malformed();
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    v.type = Type::Float;
    if (!integral) return;
    if (*start == '-') {
      if (std::from_chars(start, p_, v.i).ec == std::errc()) v.type = Type::Int;
    } else if (std::from_chars(start, p_, v.u).ec == std::errc()) {
      v.type = Type::Uint;
      if (v.u <= static_cast<std::uint64_t>(INT64_MAX)) v.i = static_cast<std::int64_t>(v.u);
    }
  }

  const char* begin_;
  const char* p_;
  const char* end_;
};

// One event's fields, read once, then looked up by name.
class Fields {
 public:
  Fields(std::size_t index, std::deque<std::string>& names,
         std::unordered_map<std::string_view, const std::string*>& name_index)
      : index_(index), names_(names), name_index_(name_index) {}

  void read(Reader& r) {
    count_ = 0;
    if (r.peek() != '{') {
      Value v;
      r.value(v);
      throw DecodeError{fmt::format("events[{}]", index_), fmt::format("expected an object, got {}", type_name(v.type))};
    }
    r.expect('{');
    if (r.consume('}')) return;
    do {
      if (count_ == slots_.size()) slots_.emplace_back();
      auto& [key, value] = slots_[count_++];
      r.string(key);
      r.expect(':');
      r.value(value);
    } while (r.consume(','));
    r.expect('}');
  }

  [[noreturn]] void fail(std::string_view name, std::string message) const {
    throw DecodeError{fmt::format("events[{}].{}", index_, name), std::move(message)};
  }

  const Value* find(std::string_view name) const {
    for (std::size_t k = 0; k < count_; ++k) {
      if (slots_[k].first == name) return &slots_[k].second;
    }
    return nullptr;
  }

  const Value& need(std::string_view name) const {
    const Value* v = find(name);
    if (!v) fail(name, "missing");
    return *v;
  }

  std::string str(std::string_view name, bool required = true) const {
    const Value* v = find(name);
    if (!v || v->type == Type::Null) {
      if (required) fail(name, "missing");
      return {};
    }
    if (v->type != Type::String) fail(name, fmt::format("expected a string, got {}", type_name(v->type)));
    return v->s;
  }

  const std::string* name(std::string_view field) const {
    const Value* v = find(field);
    if (!v || v->type == Type::Null) fail(field, "missing");
    if (v->type != Type::String) fail(field, fmt::format("expected a string, got {}", type_name(v->type)));
    if (v->s.empty()) fail(field, "must not be empty");
    auto it = name_index_.find(v->s);
    if (it != name_index_.end()) return it->second;
    const std::string* stored = &names_.emplace_back(v->s);
    name_index_.emplace(*stored, stored);
    return stored;
  }

  RunId id(std::string_view name, bool required) const {
    const Value* v = find(name);
    if (!v || v->type == Type::Null) {
      if (required) fail(name, "missing");
      return {};
    }
    if (v->type != Type::String) fail(name, fmt::format("expected a run id string, got {}", type_name(v->type)));
    auto parsed = RunId::parse(v->s);
    if (!parsed) fail(name, fmt::format("not a run id: '{}'", v->s));
    return *parsed;
  }

  std::int64_t i64(std::string_view name) const {
    const Value& v = need(name);
    if (v.type == Type::Int) return v.i;
    if (v.type == Type::Uint) {
      if (v.u > static_cast<std::uint64_t>(INT64_MAX)) fail(name, "out of range");
      return v.i;
    }
    fail(name, fmt::format("expected an integer, got {}", type_name(v.type)));
  }

  std::uint64_t u64(std::string_view name) const {
    const Value& v = need(name);
    if (v.type == Type::Uint) return v.u;
    if (v.type == Type::Int) fail(name, "must not be negative");
    fail(name, fmt::format("expected an integer, got {}", type_name(v.type)));
  }

  TimePoint time(std::string_view name) const {
    const std::int64_t us = i64(name);
    // Microseconds that fit the engine's nanosecond clock (years 1678..2262).
    constexpr std::int64_t kLimit = INT64_MAX / 1000;
    if (us > kLimit || us < -kLimit) fail(name, "out of range");
    return TimePoint(std::chrono::microseconds(us));
  }

  bool boolean(std::string_view name) const {
    const Value& v = need(name);
    if (v.type != Type::Bool) fail(name, fmt::format("expected a boolean, got {}", type_name(v.type)));
    return v.b;
  }

  // A JSON object or array, as text (absent or null: the empty one).
  std::string raw(std::string_view name, Type kind) const {
    const Value* v = find(name);
    if (!v || v->type == Type::Null) return kind == Type::Object ? "{}" : "[]";
    if (v->type != kind) {
      fail(name, fmt::format("expected {}, got {}", kind == Type::Object ? "an object" : "an array", type_name(v->type)));
    }
    return std::string(v->raw);
  }

 private:
  std::size_t index_;
  std::deque<std::string>& names_;
  std::unordered_map<std::string_view, const std::string*>& name_index_;
  std::vector<std::pair<std::string, Value>> slots_;  // reused across events
  std::size_t count_ = 0;

 public:
  void set_index(std::size_t i) { index_ = i; }
};

engine::Event decode_event(const Fields& f) {
  const std::string kind = f.str("kind");
  if (kind == "flow_run_created") {
    engine::FlowRunCreated e;
    e.id = f.id("id", true);
    e.parent_flow_run = f.id("parent_flow_run", false);
    e.flow_name = f.name("flow_name");
    e.run_name = f.str("run_name", false);
    e.parameters_json = f.raw("parameters", Type::Object);
    e.tags_json = f.raw("tags", Type::Array);
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
    e.parameters_json = f.raw("parameters", Type::Object);
    e.tags_json = f.raw("tags", Type::Array);
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
    const Value& level = f.need("level");
    if (level.type == Type::Int || level.type == Type::Uint) {
      const auto n = level.i;
      if (level.type == Type::Uint && level.u > 50) f.fail("level", fmt::format("expected 10, 20, 30, 40 or 50, got {}", level.u));
      if (n != 10 && n != 20 && n != 30 && n != 40 && n != 50) {
        f.fail("level", fmt::format("expected 10, 20, 30, 40 or 50, got {}", n));
      }
      e.level = static_cast<LogLevel>(n);
    } else if (level.type == Type::String) {
      if (!parse_log_level(level.s, e.level)) f.fail("level", fmt::format("unknown level '{}'", level.s));
    } else {
      f.fail("level", fmt::format("expected an integer, got {}", type_name(level.type)));
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

// The offset of the first byte that is not part of valid UTF-8, or npos. The
// databases store text as UTF-8 (PostgreSQL refuses anything else), so a body
// that is not is refused here with a 400 rather than failing the write.
std::size_t invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t min = 0;
    if ((p[i] & 0xE0) == 0xC0) len = 2, min = 0x80;
    else if ((p[i] & 0xF0) == 0xE0) len = 3, min = 0x800;
    else if ((p[i] & 0xF8) == 0xF0) len = 4, min = 0x10000;
    else return i;
    if (i + len > n) return i;
    std::uint32_t cp = p[i] & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace

Result<IngestBatch> decode_ingest_batch(std::string_view text) {
  if (const auto bad = invalid_utf8(text); bad != std::string_view::npos) {
    return Status::error(fmt::format("body: not valid UTF-8 at byte {}", bad + 1));
  }
  IngestBatch batch;
  auto names = std::make_shared<std::deque<std::string>>();
  std::unordered_map<std::string_view, const std::string*> name_index;
  try {
    Reader r(text);
    if (r.peek() != '{') {
      Value v;
      r.value(v);
      if (!r.at_end()) r.malformed();
      return Status::error(fmt::format("body: expected an object, got {}", type_name(v.type)));
    }
    r.expect('{');
    bool have_source = false, have_seq = false, have_events = false;
    if (!r.consume('}')) {
      std::string key;
      do {
        r.string(key);
        r.expect(':');
        if (key == "source") {
          Value v;
          r.value(v);
          if (v.type != Type::String) throw DecodeError{"source", fmt::format("expected a string, got {}", type_name(v.type))};
          if (v.s.empty()) throw DecodeError{"source", "must not be empty"};
          if (v.s.size() > 200) throw DecodeError{"source", "longer than 200 characters"};
          batch.source = std::move(v.s);
          have_source = true;
        } else if (key == "first_seq") {
          Value v;
          r.value(v);
          if (v.type != Type::Uint || v.u < 1) throw DecodeError{"first_seq", "expected an integer of at least 1"};
          batch.first_seq = v.u;
          have_seq = true;
        } else if (key == "events") {
          if (r.peek() != '[') {
            Value v;
            r.value(v);
            throw DecodeError{"events", fmt::format("expected an array, got {}", type_name(v.type))};
          }
          r.expect('[');
          have_events = true;
          if (!r.consume(']')) {
            Fields f(0, *names, name_index);
            std::size_t i = 0;
            do {
              if (i >= 100000) throw DecodeError{"events", "more than 100000 events in one batch"};
              f.set_index(i);
              f.read(r);
              batch.events.push_back(decode_event(f));
              ++i;
            } while (r.consume(','));
            r.expect(']');
          }
        } else {
          throw DecodeError{key, "unknown field"};
        }
      } while (r.consume(','));
      r.expect('}');
    }
    if (!r.at_end()) r.malformed();
    if (!have_source) return Status::error("source: missing");
    if (!have_seq) return Status::error("first_seq: missing");
    if (!have_events) return Status::error("events: missing");
    if (batch.first_seq > UINT64_MAX - batch.events.size()) return Status::error("first_seq: too large");
  } catch (const DecodeError& e) {
    return Status::error(fmt::format("{}: {}", e.path, e.message));
  }
  batch.names = std::move(names);
  return batch;
}

}  // namespace baton::store

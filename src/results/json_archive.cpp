// The JSON archive primitives. Writing streams text straight to the sink;
// reading parses the whole document with nlohmann and walks it with a cursor.
#include <baton/serializer.h>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

namespace baton {

// ---------------------------------------------------------------- writer

JsonWriter::JsonWriter(ByteSink& sink) : sink_(sink) { buf_.reserve(64 * 1024); }
JsonWriter::~JsonWriter() = default;

void JsonWriter::raw(std::string_view s) {
  buf_.append(s);
  if (buf_.size() >= 60 * 1024) {
    Status st = sink_.write(buf_.data(), buf_.size());
    buf_.clear();
    if (!st.ok()) throw SerializationError(st.message());
  }
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) raw(",");
    first_.back() = false;
  }
}

void JsonWriter::begin_array() {
  before_value();
  raw("[");
  first_.push_back(true);
}
void JsonWriter::end_array() {
  first_.pop_back();
  raw("]");
}
void JsonWriter::begin_object() {
  before_value();
  raw("{");
  first_.push_back(true);
}
void JsonWriter::end_object() {
  first_.pop_back();
  raw("}");
}
void JsonWriter::key(std::string_view name) {
  before_value();
  quoted(name);
  raw(":");
  after_key_ = true;
}
void JsonWriter::null() {
  before_value();
  raw("null");
}
void JsonWriter::boolean(bool b) {
  before_value();
  raw(b ? "true" : "false");
}
void JsonWriter::integer(std::int64_t v) {
  before_value();
  char tmp[32];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  raw(std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)));
}
void JsonWriter::unsigned_integer(std::uint64_t v) {
  before_value();
  char tmp[32];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  raw(std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)));
}
void JsonWriter::number(double v) {
  if (std::isnan(v)) return string("NaN");
  if (std::isinf(v)) return string(v > 0 ? "Infinity" : "-Infinity");
  before_value();
  char tmp[64];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);  // shortest text that reads back exactly
  std::string_view text(tmp, static_cast<std::size_t>(r.ptr - tmp));
  raw(text);
  // Keep doubles recognizable as floating point to people and parsers.
  if (text.find_first_of(".eEn") == std::string_view::npos) raw(".0");
}

void JsonWriter::string(std::string_view s) {
  before_value();
  quoted(s);
}

void JsonWriter::quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  raw(out);
}

void JsonWriter::finish() {
  if (!buf_.empty()) {
    Status st = sink_.write(buf_.data(), buf_.size());
    buf_.clear();
    if (!st.ok()) throw SerializationError(st.message());
  }
  Status st = sink_.flush();
  if (!st.ok()) throw SerializationError(st.message());
}

// ---------------------------------------------------------------- reader

struct JsonReader::Impl {
  nlohmann::json doc;
  std::vector<const nlohmann::json*> stack;  // the cursor: current value on top
  std::vector<std::string> path;              // JSON pointer segments, for messages
  const nlohmann::json& top() const { return *stack.back(); }
};

JsonReader::JsonReader(ByteSource& source) : impl_(std::make_unique<Impl>()) {
  std::string text;
  if (auto n = source.size()) text.reserve(static_cast<std::size_t>(*n));
  char buf[64 * 1024];
  for (;;) {
    Result<std::size_t> n = source.read(buf, sizeof buf);
    if (!n.ok()) throw SerializationError(n.status().message());
    if (*n == 0) break;
    text.append(buf, *n);
  }
  try {
    impl_->doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw SerializationError("json payload: " + std::string(e.what()));
  }
  impl_->stack.push_back(&impl_->doc);
}
JsonReader::~JsonReader() = default;

void JsonReader::fail(std::string_view what) {
  std::string where;
  for (const auto& p : impl_->path) where += "/" + p;
  if (where.empty()) where = "/";
  throw SerializationError("json payload at " + where + ": " + std::string(what));
}

void JsonReader::enter_field(std::string_view name) {
  const auto& v = impl_->top();
  if (!v.is_object()) fail("expected an object with field '" + std::string(name) + "'");
  auto it = v.find(name);
  if (it == v.end()) fail("missing field '" + std::string(name) + "'");
  impl_->stack.push_back(&*it);
  impl_->path.emplace_back(name);
}
void JsonReader::enter_index(std::size_t index) {
  const auto& v = impl_->top();
  if (!v.is_array() || index >= v.size()) fail("no element " + std::to_string(index));
  impl_->stack.push_back(&v[index]);
  impl_->path.push_back(std::to_string(index));
}
void JsonReader::leave() {
  impl_->stack.pop_back();
  impl_->path.pop_back();
}
std::size_t JsonReader::array_size() {
  if (!impl_->top().is_array()) fail("expected an array");
  return impl_->top().size();
}
std::vector<std::string> JsonReader::object_keys() {
  if (!impl_->top().is_object()) fail("expected an object");
  std::vector<std::string> keys;
  for (auto it = impl_->top().begin(); it != impl_->top().end(); ++it) keys.push_back(it.key());
  return keys;
}
bool JsonReader::is_null() { return impl_->top().is_null(); }
bool JsonReader::is_object() { return impl_->top().is_object(); }
bool JsonReader::boolean() {
  if (!impl_->top().is_boolean()) fail("expected true or false");
  return impl_->top().get<bool>();
}
std::int64_t JsonReader::integer() {
  const auto& v = impl_->top();
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<std::int64_t>();
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) fail("integer out of range");
    return static_cast<std::int64_t>(u);
  }
  fail("expected an integer");
}
std::uint64_t JsonReader::unsigned_integer() {
  const auto& v = impl_->top();
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) fail("expected an unsigned integer");
  fail("expected an integer");
}
double JsonReader::number() {
  const auto& v = impl_->top();
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  fail("expected a number");
}
std::string JsonReader::string() {
  if (!impl_->top().is_string()) fail("expected a string");
  return impl_->top().get<std::string>();
}

}  // namespace baton

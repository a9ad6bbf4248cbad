#include "parquet/thrift_compact_reader.h"

#include <cstring>

namespace baton::parquet_detail {

namespace {
int64_t zigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
}  // namespace

void ThriftCompactReader::fail(const std::string& what) const {
  throw ThriftError("thrift: " + what + " at byte " + std::to_string(position()));
}

uint64_t ThriftCompactReader::read_varint() {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p_ >= end_) fail("truncated varint");
    uint8_t b = *p_++;
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return result;
  }
  fail("varint longer than 10 bytes");
}

ThriftFieldHeader ThriftCompactReader::read_field_header(int16_t& last_id) {
  if (p_ >= end_) fail("truncated struct (no STOP)");
  uint8_t b = *p_++;
  ThriftFieldHeader h;
  uint8_t t = b & 0x0f;
  if (!valid_type(t)) fail("invalid field type " + std::to_string(t));
  h.type = static_cast<ThriftType>(t);
  if (h.type == ThriftType::kStop) {
    if (b != 0) fail("malformed STOP byte");
    return h;
  }
  uint8_t delta = b >> 4;
  if (delta != 0) {
    h.id = static_cast<int16_t>(last_id + delta);
  } else {
    h.id = read_i16();
  }
  last_id = h.id;
  return h;
}

int8_t ThriftCompactReader::read_byte() {
  if (p_ >= end_) fail("truncated byte");
  return static_cast<int8_t>(*p_++);
}

int16_t ThriftCompactReader::read_i16() {
  int64_t v = zigzag(read_varint());
  if (v < INT16_MIN || v > INT16_MAX) fail("i16 out of range");
  return static_cast<int16_t>(v);
}

int32_t ThriftCompactReader::read_i32() {
  int64_t v = zigzag(read_varint());
  if (v < INT32_MIN || v > INT32_MAX) fail("i32 out of range");
  return static_cast<int32_t>(v);
}

int64_t ThriftCompactReader::read_i64() { return zigzag(read_varint()); }

double ThriftCompactReader::read_double() {
  if (remaining() < 8) fail("truncated double");
  double d;
  std::memcpy(&d, p_, 8);
  p_ += 8;
  return d;
}

std::string_view ThriftCompactReader::read_binary() {
  uint64_t n = read_varint();
  if (n > remaining()) fail("binary length " + std::to_string(n) + " exceeds the " + std::to_string(remaining()) + " bytes left");
  std::string_view s(reinterpret_cast<const char*>(p_), n);
  p_ += n;
  return s;
}

bool ThriftCompactReader::read_container_bool() {
  if (p_ >= end_) fail("truncated bool");
  return *p_++ == 1;
}

ThriftListHeader ThriftCompactReader::read_list_header() {
  if (p_ >= end_) fail("truncated list header");
  uint8_t b = *p_++;
  uint8_t t = b & 0x0f;
  if (!valid_type(t) || t == 0) fail("invalid list element type " + std::to_string(t));
  ThriftListHeader h;
  h.element_type = static_cast<ThriftType>(t);
  uint64_t n = b >> 4;
  if (n == 15) n = read_varint();
  // Every element takes at least one byte on the wire, so a count larger than
  // what is left is corrupt; checking here keeps callers from reserving huge
  // vectors on crafted input.
  if (n > remaining()) fail("list of " + std::to_string(n) + " elements exceeds the " + std::to_string(remaining()) + " bytes left");
  h.size = static_cast<uint32_t>(n);
  return h;
}

void ThriftCompactReader::skip_struct_body_at(int depth) {
  if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth));
  int16_t last = 0;
  for (;;) {
    ThriftFieldHeader h = read_field_header(last);
    if (h.type == ThriftType::kStop) return;
    skip_value(h.type, false, depth + 1);
  }
}

void ThriftCompactReader::skip_value(ThriftType type, bool in_container, int depth) {
  if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth));
  switch (type) {
    case ThriftType::kTrue:
    case ThriftType::kFalse:
      if (in_container) read_container_bool();
      return;
    case ThriftType::kByte:
      read_byte();
      return;
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64:
      read_varint();
      return;
    case ThriftType::kDouble:
      read_double();
      return;
    case ThriftType::kBinary:
      read_binary();
      return;
    case ThriftType::kList:
    case ThriftType::kSet: {
      ThriftListHeader h = read_list_header();
      for (uint32_t i = 0; i < h.size; ++i) skip_value(h.element_type, true, depth + 1);
      return;
    }
    case ThriftType::kMap: {
      uint64_t n = read_varint();
      if (n == 0) return;
      if (p_ >= end_) fail("truncated map header");
      uint8_t kv = *p_++;
      uint8_t kt = kv >> 4, vt = kv & 0x0f;
      if (!valid_type(kt) || !valid_type(vt) || kt == 0 || vt == 0) fail("invalid map key/value types");
      if (n > remaining()) fail("map of " + std::to_string(n) + " entries exceeds the bytes left");
      for (uint64_t i = 0; i < n; ++i) {
        skip_value(static_cast<ThriftType>(kt), true, depth + 1);
        skip_value(static_cast<ThriftType>(vt), true, depth + 1);
      }
      return;
    }
    case ThriftType::kStruct:
      skip_struct_body_at(depth + 1);
      return;
    case ThriftType::kStop:
      fail("unexpected STOP type");
  }
  fail("unknown type");
}

}  // namespace baton::parquet_detail

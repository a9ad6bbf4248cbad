#include <baton/result_record.h>

#include "util/hash.h"
#include "util/libc_time.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace baton {

namespace {

using json = nlohmann::json;
using TimePoint = ResultRecord::TimePoint;

std::string format_time(TimePoint t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  long frac = static_cast<long>(us % 1'000'000);
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  const std::tm tm = utc_time(secs);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

bool parse_time(const std::string& text, TimePoint& out) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  long frac = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%6ldZ%n", &y, &mo, &d, &h, &mi, &s, &frac, &consumed) != 7 ||
      static_cast<std::size_t>(consumed) != text.size()) {
    return false;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::time_t secs = utc_seconds(tm);
  out = TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(secs) +
                                                                   std::chrono::microseconds(frac)));
  return true;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                   static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kBase64[(v >> shift) & 63]);
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Strict: whole groups of four, padding only at the end; false on anything else.
bool base64_decode(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0) return false;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.clear();
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (pad == 1 && text[i + 2] == '=') return false;  // "x=y=" is not padding
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const int d = k >= 4 - pad ? 0 : value(text[i + k]);
      if (d < 0) return false;
      v = v << 6 | static_cast<std::uint32_t>(d);
    }
    out.push_back(static_cast<char>(v >> 16));
    if (pad < 2) out.push_back(static_cast<char>(v >> 8 & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xFF));
  }
  return true;
}

}  // namespace

std::string encode_record(const ResultRecord& r) {
  json j = {
      {"format", "baton.result.v1"},
      {"key", r.key},
      {"storage_key", r.storage_key},
      {"storage", r.storage},
      {"serializer", r.serializer},
      {"type", r.type_name},
      {"size", r.size},
      {"checksum", "xxh3-64:" + hex64(r.checksum)},
      {"created", format_time(r.created)},
      {"expires", r.expires ? json(format_time(*r.expires)) : json(nullptr)},
      {"cache_key", r.cache_key ? json(*r.cache_key) : json(nullptr)},
      {"task_name", r.task_name},
      {"task_run_id", r.task_run_id.empty() ? json(nullptr) : json(r.task_run_id.str())},
  };
  if (r.inline_payload) j["inline_payload"] = base64_encode(*r.inline_payload);
  return j.dump(2) + "\n";
}

Result<ResultRecord> decode_record(std::string_view text, std::string_view where) {
  auto bad = [where](std::string_view why) {
    return Status::error("result record '" + std::string(where) + "': " + std::string(why));
  };
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return bad(std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return bad("not a JSON object");
  if (j.value("format", "") != "baton.result.v1") return bad("unknown format (expected baton.result.v1)");
  ResultRecord r;
  auto str = [&j](const char* name, std::string& out) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  if (!str("key", r.key)) return bad("field 'key' missing or not a string");
  if (!str("storage_key", r.storage_key)) return bad("field 'storage_key' missing or not a string");
  str("storage", r.storage);
  if (!str("serializer", r.serializer)) return bad("field 'serializer' missing or not a string");
  if (!str("type", r.type_name)) return bad("field 'type' missing or not a string");
  str("task_name", r.task_name);
  if (auto it = j.find("size"); it == j.end() || !it->is_number_unsigned()) {
    return bad("field 'size' missing or not an unsigned integer");
  } else {
    r.size = it->get<std::uint64_t>();
  }
  std::string checksum;
  if (!str("checksum", checksum) || !checksum.starts_with("xxh3-64:") || checksum.size() != 8 + 16) {
    return bad("field 'checksum' missing or not 'xxh3-64:<16 hex digits>'");
  }
  {
    char* end = nullptr;
    r.checksum = std::strtoull(checksum.c_str() + 8, &end, 16);
    if (end != checksum.c_str() + checksum.size()) return bad("field 'checksum' is not hex");
  }
  std::string created;
  if (!str("created", created) || !parse_time(created, r.created)) {
    return bad("field 'created' missing or not a UTC time like 2026-01-02T03:04:05.000000Z");
  }
  if (auto it = j.find("expires"); it != j.end() && !it->is_null()) {
    TimePoint t;
    if (!it->is_string() || !parse_time(it->get<std::string>(), t)) return bad("field 'expires' is not a UTC time");
    r.expires = t;
  }
  if (auto it = j.find("cache_key"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return bad("field 'cache_key' is not a string");
    r.cache_key = it->get<std::string>();
  }
  if (auto it = j.find("task_run_id"); it != j.end() && !it->is_null()) {
    std::optional<RunId> id = it->is_string() ? RunId::parse(it->get<std::string>()) : std::nullopt;
    if (!id) return bad("field 'task_run_id' is not a run id");
    r.task_run_id = *id;
  }
  if (auto it = j.find("inline_payload"); it != j.end() && !it->is_null()) {
    auto bytes = std::make_shared<std::string>();
    if (!it->is_string() || !base64_decode(it->get_ref<const std::string&>(), *bytes)) {
      return bad("field 'inline_payload' is not base64 text");
    }
    r.inline_payload = std::move(bytes);
  }
  return r;
}

}  // namespace baton

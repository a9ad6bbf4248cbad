#pragma once
// The metadata of one persisted result, stored apart from its payload so that a
// cache check reads only this small record (docs/architecture.md, principles 3 and 8).
#include <baton/run_id.h>
#include <baton/status.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace baton {

struct ResultRecord {
  using TimePoint = std::chrono::system_clock::time_point;

  std::string key;          // metadata key: the cache key when there is one, else the storage key
  std::string storage_key;  // where the payload lives in its storage
  std::string storage;      // the storage's location(), for people
  std::string serializer;   // Serializer::name(): "binary", "zstd+json", ...
  std::string type_name;    // C++ type (baton::type_name<T>())
  std::uint64_t size = 0;   // payload bytes as stored (after compression)
  std::uint64_t checksum = 0;  // XXH3-64 of the stored payload bytes
  TimePoint created{};
  std::optional<TimePoint> expires;  // none: never
  std::optional<std::string> cache_key;
  std::string task_name;
  RunId task_run_id;  // the run that produced the value (empty when unknown)
  // A small payload kept inside the record itself (the storage chose to inline it:
  // ResultStorage::inline_payload_limit), so persisting it writes one object and a
  // cache hit reads nothing more. Null: the payload is the object under storage_key.
  // Shared, immutable: records are copied on every cache hit.
  std::shared_ptr<const std::string> inline_payload;

  bool expired(TimePoint now) const { return expires && *expires <= now; }
};

// The record as one JSON object (the metadata object's content). An inline payload
// is the field "inline_payload" (base64); records without one read as before.
std::string encode_record(const ResultRecord& record);
// Parses encode_record's output; the error names `where` (the metadata key) and the field.
Result<ResultRecord> decode_record(std::string_view text, std::string_view where);

}  // namespace baton

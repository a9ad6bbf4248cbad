#pragma once
// The facade the engine calls to persist, find and load results: one storage,
// one serializer, one clock.
//
//   persist(value, options) -> ResultRecord     payload (atomic), then metadata
//   lookup(cache_key, now)  -> record or none    metadata only; expired = none
//   load<T>(record)         -> T or LoadError    checksum verified before use
//   remove / list / clear                        `baton cache ls|clear`
//
// Corrupt, truncated, missing and mistyped payloads are distinct LoadErrorKinds:
// the engine logs a warning and treats them as a cache miss.
// Thread-safe (the storage is; the store adds no state of its own).
#include <baton/byte_stream.h>
#include <baton/result_record.h>
#include <baton/result_storage.h>
#include <baton/serializer.h>
#include <baton/status.h>
#include <baton/type_name.h>

#include "util/clock.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton {

enum class LoadErrorKind {
  Missing,       // no payload under the record's storage key
  Corrupt,       // size or checksum differ from the record: damaged or truncated
  TypeMismatch,  // the record holds another C++ type
  Format,        // intact bytes the serializer cannot read (unknown serializer, changed type layout)
  Io,            // the storage failed
};
std::string_view to_string(LoadErrorKind kind);

struct LoadError {
  LoadErrorKind kind;
  std::string message;  // names the key and what is wrong
};

// A loaded value or why there is none.
template <class T>
class LoadResult {
 public:
  LoadResult(T value) : value_(std::move(value)) {}        // NOLINT: implicit by design
  LoadResult(LoadError error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const LoadError& error() const { return *error_; }

 private:
  std::optional<T> value_;
  std::optional<LoadError> error_;
};

struct PersistOptions {
  std::optional<std::string> cache_key;  // the record is found by it; none: not a cache entry
  // Where the payload goes (result_storage_key, already filled in). Default: the
  // cache key, else "results/<random uuid>".
  std::optional<std::string> storage_key;
  std::optional<std::chrono::system_clock::duration> expiration;  // from now (the store's clock)
  std::string task_name;
  RunId task_run_id;
};

class ResultStore {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  explicit ResultStore(std::shared_ptr<ResultStorage> storage, Serializer serializer = Serializer::binary(),
                       Clock& clock = system_clock());

  ResultStorage& storage() const { return *storage_; }
  const std::shared_ptr<ResultStorage>& storage_ptr() const { return storage_; }
  const Serializer& serializer() const { return serializer_; }
  Clock& clock() const { return clock_; }

  // Writes `value` with this store's serializer: payload, then its metadata record.
  // A payload within the storage's inline_payload_limit() goes inside the record
  // (one object), unless options.storage_key names where it must be.
  template <Serializable T>
  Result<ResultRecord> persist(const T& value, const PersistOptions& options) {
    return persist_with(type_name<T>(), options, [&](ByteSink& sink) { serialize_to(serializer_, value, sink); });
  }
  // The type-erased core: `write` streams the value into the sink (throwing
  // SerializationError on failure). Nothing becomes visible unless it succeeds.
  Result<ResultRecord> persist_with(std::string_view type_name, const PersistOptions& options,
                                    const std::function<void(ByteSink&)>& write);

  // The record under `cache_key` if it exists and has not expired at `now`.
  // Reads the metadata only. A record that cannot be parsed is an error naming it.
  Result<std::optional<ResultRecord>> lookup(std::string_view cache_key, TimePoint now);
  Result<std::optional<ResultRecord>> lookup(std::string_view cache_key) { return lookup(cache_key, clock_.now()); }
  // The record under a metadata key, expired or not.
  Result<std::optional<ResultRecord>> get_record(std::string_view key);

  template <Serializable T>
  LoadResult<T> load(const ResultRecord& record) {
    std::optional<T> out;
    std::optional<LoadError> err = load_with(record, type_name<T>(), [&](const Serializer& s, ByteSource& source) {
      out.emplace(deserialize_from<T>(s, source));
    });
    if (err) return std::move(*err);
    return std::move(*out);
  }
  // The type-erased core. Verifies the type name (unless empty), the size and the
  // checksum; `read` deserializes (throwing SerializationError). With a memory-
  // mapped payload the checksum is checked before `read` runs; with a streamed one
  // while it runs, and a mismatch then discards what `read` built (reported as
  // Corrupt even if `read` failed first).
  std::optional<LoadError> load_with(const ResultRecord& record, std::string_view type_name,
                                     const std::function<void(const Serializer&, ByteSource&)>& read);
  // Checks size and checksum without deserializing.
  std::optional<LoadError> verify(const ResultRecord& record);

  // Deletes the metadata record (so no lookup finds it), then its payload.
  Status remove(const ResultRecord& record);
  // By metadata key; ok if there is none.
  Status remove(std::string_view key);

  struct Listing {
    std::vector<ResultRecord> records;  // sorted by key
    std::vector<std::string> problems;  // unreadable records, each naming its key
  };
  Result<Listing> list(std::string_view prefix = {});

  struct ClearStats {
    std::size_t removed = 0;
    std::uint64_t bytes = 0;
    std::vector<std::string> problems;
  };
  // Removes every record (and payload), or only the expired ones at `now`, or only
  // those of `task_name`. Unreadable records are removed too unless expired_only or
  // task_name restricts (then they are reported as problems and left alone).
  Result<ClearStats> clear(bool expired_only, std::optional<std::string_view> task_name, TimePoint now);

 private:
  std::shared_ptr<ResultStorage> storage_;
  Serializer serializer_;
  Clock& clock_;
};

}  // namespace baton

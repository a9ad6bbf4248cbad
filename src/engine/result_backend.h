#pragma once
// What the engine needs to persist, find and reload results. The engine defines
// it; the results layer implements it (over ResultStore) and the umbrella library
// registers it. Without a backend, persistence and caching are off.
#include <baton/result_record.h>
#include <baton/result_storage.h>
#include <baton/serializer.h>
#include <baton/lock_manager.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace baton::engine {

struct PersistRequest {
  std::optional<std::string> cache_key;
  std::optional<std::string> storage_key;
  std::optional<std::chrono::milliseconds> expiration;
  std::string task_name;
  RunId task_run_id;
};

class ResultBackend {
 public:
  virtual ~ResultBackend() = default;

  // BATON_RESULT_STORAGE, opened once. Throws Error naming the setting if unusable.
  virtual std::shared_ptr<ResultStorage> default_storage() = 0;
  virtual bool persist_by_default() = 0;  // BATON_PERSIST_RESULTS
  virtual bool cache_enabled() = 0;       // BATON_CACHE (the global switch)
  virtual std::shared_ptr<LockManager> default_lock_manager() = 0;
  // The storage a location() names, opened once per location (a worker process
  // reaches its parent's storage this way). "memory" is this process's own.
  virtual Result<std::shared_ptr<ResultStorage>> open_storage(std::string_view location) = 0;

  // The unexpired record under `cache_key` (metadata only).
  virtual Result<std::optional<ResultRecord>> lookup(const std::shared_ptr<ResultStorage>& storage,
                                                     std::string_view cache_key) = 0;
  // Payload (streamed by `write`), then the record.
  virtual Result<ResultRecord> persist(const std::shared_ptr<ResultStorage>& storage, const Serializer& serializer,
                                       std::string_view type_name, const PersistRequest& request,
                                       const std::function<void(ByteSink&)>& write) = 0;
  // Verifies and deserializes the payload through `read`; an error text naming the
  // key and what is wrong (missing, corrupt, wrong type) if it cannot.
  virtual std::optional<std::string> load(const std::shared_ptr<ResultStorage>& storage, const ResultRecord& record,
                                           std::string_view type_name,
                                           const std::function<void(const Serializer&, ByteSource&)>& read) = 0;
};

void set_result_backend(std::unique_ptr<ResultBackend> backend);
// Null when none is registered.
ResultBackend* result_backend();

}  // namespace baton::engine

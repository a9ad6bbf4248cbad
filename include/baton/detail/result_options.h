#pragma once
// Result persistence and caching options of a task (and the persistence options a
// flow passes on to its tasks). Unset optionals inherit: task, then flow, then the
// BATON_* settings.
#include <baton/cache_policy.h>
#include <baton/lock_manager.h>
#include <baton/result_storage.h>
#include <baton/serializer.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace baton {

// How two runs with the same cache key that start together behave.
enum class Isolation {
  ReadCommitted,  // both may run (Prefect's default)
  Serializable,   // one runs, the other waits for its result (a lock per cache key)
};

namespace detail {

struct ResultOptions {
  std::optional<bool> persist_result;
  std::shared_ptr<ResultStorage> storage;
  std::optional<Serializer> serializer;
  std::string storage_key_template;  // "taxi/{month}.bin"
  std::optional<bool> cache_result_in_memory;
  std::optional<cache::Policy> cache_policy;  // unset: default_policy once persisted
  cache::Policy::KeyFunction cache_key_fn;    // wins over cache_policy when set
  std::optional<std::chrono::milliseconds> cache_expiration;
  bool refresh_cache = false;
  Isolation isolation = Isolation::ReadCommitted;
  std::shared_ptr<LockManager> lock_manager;  // unset: file locks in $BATON_HOME/locks
  bool persist_failures = false;  // a run that ends badly stores its error text (failures/<run id>)
};

}  // namespace detail
}  // namespace baton

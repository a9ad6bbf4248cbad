#include "results/engine_backend.h"

#include "engine/runtime.h"
#include "engine/settings.h"
#include "results/result_settings.h"
#include "results/result_store.h"

#include <baton/error.h>

#include <pthread.h>

#include <cstdlib>

#include <map>
#include <vector>
#include <mutex>

namespace baton::results {

namespace {

class EngineBackend;
EngineBackend* g_backend = nullptr;  // the registered one, for the fork handlers

class EngineBackend final : public engine::ResultBackend {
 public:
  EngineBackend() {
    g_backend = this;
    static bool installed = (pthread_atfork(&EngineBackend::before_fork, &EngineBackend::after_fork_parent,
                                            &EngineBackend::after_fork_child),
                             true);
    (void)installed;
  }
  ~EngineBackend() override {
    if (g_backend == this) g_backend = nullptr;
  }

  std::shared_ptr<ResultStorage> default_storage() override {
    std::lock_guard lock(mu_);
    // Re-read the setting so a program (or a test) that changes it is followed.
    std::string location = storage_location();
    if (!storage_ || location != location_) {
      auto opened = results::open_storage(location);
      if (!opened.ok()) throw Error(settings::env_name("result_storage") + ": " + opened.status().message());
      storage_ = *opened;
      location_ = location;
    }
    return storage_;
  }

  bool persist_by_default() override { return persist_results_by_default(); }

  bool cache_enabled() override {
    // Asked on every cache check: unset (the usual case) answers without building
    // the setting's name or its default.
    const char* text = std::getenv("BATON_CACHE");
    if (text == nullptr || *text == '\0') return true;
    bool on = true;
    if (!settings::parse_bool(text, on)) throw Error(settings::env_name("cache") + "=" + text + ": expected true or false");
    return on;
  }

  std::shared_ptr<LockManager> default_lock_manager() override {
    std::lock_guard lock(mu_);
    if (!locks_) locks_ = make_file_lock_manager(locks_dir());
    return locks_;
  }

  Result<std::shared_ptr<ResultStorage>> open_storage(std::string_view location) override {
    std::lock_guard lock(mu_);
    if (storage_ && location == location_) return storage_;
    auto it = opened_.find(std::string(location));
    if (it != opened_.end()) return it->second;
    auto opened = results::open_storage(location);
    if (!opened.ok()) return opened.status();
    opened_.emplace(std::string(location), *opened);
    return *opened;
  }

  Result<std::optional<ResultRecord>> lookup(const std::shared_ptr<ResultStorage>& storage,
                                             std::string_view cache_key) override {
    // ResultStore::lookup without the store: one copy of the record, not two.
    Result<std::shared_ptr<const ResultRecord>> found = storage->get_record(cache_key);
    if (!found.ok()) return found.status();
    if (!*found || (*found)->expired(engine::Runtime::get().clock().now())) return std::optional<ResultRecord>();
    return std::optional<ResultRecord>(**found);
  }

  Result<ResultRecord> persist(const std::shared_ptr<ResultStorage>& storage, const Serializer& serializer,
                               std::string_view type_name, const engine::PersistRequest& request,
                               const std::function<void(ByteSink&)>& write) override {
    PersistOptions options;
    options.cache_key = request.cache_key;
    options.storage_key = request.storage_key;
    if (request.expiration) options.expiration = *request.expiration;
    options.task_name = request.task_name;
    options.task_run_id = request.task_run_id;
    return store(storage, serializer).persist_with(type_name, options, write);
  }

  std::optional<std::string> load(const std::shared_ptr<ResultStorage>& storage, const ResultRecord& record,
                                  std::string_view type_name,
                                  const std::function<void(const Serializer&, ByteSource&)>& read) override {
    auto error = store(storage, Serializer::binary()).load_with(record, type_name, read);
    if (!error) return std::nullopt;
    return std::string(to_string(error->kind)) + ": " + error->message;
  }

 private:
  // A forked worker process must neither inherit the lock held nor share its
  // parent's open storages: an S3 storage's pooled connections are the parent's.
  // Those are abandoned in the child, not closed (closing would end the
  // parent's sessions too).
  static void before_fork() {
    if (g_backend != nullptr) g_backend->mu_.lock();
  }
  static void after_fork_parent() {
    if (g_backend != nullptr) g_backend->mu_.unlock();
  }
  static void after_fork_child() {
    if (g_backend == nullptr) return;
    auto* abandoned = new std::vector<std::shared_ptr<ResultStorage>>();
    abandoned->push_back(std::move(g_backend->storage_));
    for (auto& [location, storage] : g_backend->opened_) abandoned->push_back(std::move(storage));
    g_backend->opened_.clear();
    g_backend->location_.clear();
    g_backend->mu_.unlock();
  }

  static ResultStore store(const std::shared_ptr<ResultStorage>& storage, const Serializer& serializer) {
    return ResultStore(storage, serializer, engine::Runtime::get().clock());
  }

  std::mutex mu_;  // guards the members below
  std::shared_ptr<ResultStorage> storage_;
  std::string location_;
  std::shared_ptr<LockManager> locks_;
  std::map<std::string, std::shared_ptr<ResultStorage>, std::less<>> opened_;
};

}  // namespace

std::unique_ptr<engine::ResultBackend> make_engine_backend() { return std::make_unique<EngineBackend>(); }

}  // namespace baton::results

#include "engine/task_results.h"

#include "engine/flow_run.h"
#include "engine/logging_internal.h"
#include "engine/result_backend.h"
#include "engine/runtime.h"

#include <baton/error.h>
#include <baton/type_name.h>

namespace baton {

namespace engine {

namespace {
// Set once by the wiring's static initializer: constructed on first use.
std::unique_ptr<ResultBackend>& backend_slot() {
  static std::unique_ptr<ResultBackend> backend;
  return backend;
}
}  // namespace

void set_result_backend(std::unique_ptr<ResultBackend> backend) { backend_slot() = std::move(backend); }
ResultBackend* result_backend() { return backend_slot().get(); }

}  // namespace engine

namespace detail {

namespace {

using engine::Runtime;

std::string who(const TaskRunCore& run) { return "Task run '" + run.run_name() + "'"; }

RunId flow_id(const FlowRunCore* flow) { return flow != nullptr ? flow->id : RunId{}; }

void record_result(const TaskRunCore& run, const FlowRunCore* flow, const ResultRecord& r, bool from_cache) {
  Runtime& rt = Runtime::get();
  if (!rt.history()) return;
  rt.record(engine::ResultRecorded{run.id(), flow_id(flow), r.cache_key.value_or(""), r.storage + "/" + r.storage_key,
                                   r.size, r.serializer, r.task_run_id, from_cache});
}

// Reads the record's payload into the run's value. An error text if it cannot.
std::optional<std::string> load_into(TaskRunCore& run, const std::shared_ptr<ResultStorage>& storage,
                                     const ResultRecord& record) {
  auto* backend = engine::result_backend();
  if (backend == nullptr) return "no result backend is linked";
  return backend->load(storage, record, run.value_type_name(),
                       [&run](const Serializer& s, ByteSource& source) { run.read_value(s, source); });
}

}  // namespace

ResultPlan plan_results(TaskRunCore& run, const FlowRunCore* flow) {
  ResultPlan plan;
  auto* backend = engine::result_backend();
  if (backend == nullptr) return plan;
  Runtime& rt = Runtime::get();
  const ResultOptions& task = run.options().results;
  const ResultOptions* from_flow = flow != nullptr ? &flow->options->results : nullptr;

  std::optional<bool> persist = task.persist_result;
  if (!persist && from_flow) persist = from_flow->persist_result;
  if (!persist) persist = task.cache_policy.has_value() || task.cache_key_fn != nullptr || rt.persist_results_default(*backend);
  if (!*persist) return plan;
  if (!run.value_serializable()) {
    // Only a default (setting or flow) can ask this of a type without a serializer;
    // asking on the task itself is a compile-time error.
    engine::log_run_message(LogLevel::Debug, flow_id(flow), run.id(), who(run),
                            "result not persisted: type " + run.value_type_name() + " has no serializer");
    return plan;
  }
  plan.persist = true;
  try {
    plan.storage = task.storage ? task.storage
                   : (from_flow && from_flow->storage) ? from_flow->storage
                                                       : backend->default_storage();
  } catch (const std::exception& e) {
    // The result was asked to be persisted: a run that cannot store it fails.
    plan.error = e.what();
    return plan;
  }
  plan.serializer = task.serializer ? *task.serializer
                    : (from_flow && from_flow->serializer) ? *from_flow->serializer
                                                           : Serializer::binary();
  plan.keep_in_memory = task.cache_result_in_memory.value_or(true);
  plan.expiration = task.cache_expiration;
  if (!task.storage_key_template.empty()) {
    try {
      plan.storage_key = run.render_template(task.storage_key_template);
    } catch (const std::exception& e) {
      plan.error = std::string("result_storage_key: ") + e.what();
      return plan;
    }
  }

  // A key function wins over a policy, whichever was set last (as in Prefect).
  std::optional<cache::Policy> policy;
  if (task.cache_key_fn) {
    policy = cache::Policy::custom(task.cache_key_fn);
    if (task.cache_policy) {
      engine::log_run_message(LogLevel::Debug, flow_id(flow), run.id(), who(run),
                              "both cache_key_fn and cache_policy are set; the key function is used");
    }
  } else if (task.cache_policy) {
    policy = *task.cache_policy;
  } else if (!rt.default_cache_policy_none()) {
    policy = cache::Policy(cache::default_policy);
  }
  const bool explicit_none = task.cache_policy && task.cache_policy->is_none() && !task.cache_key_fn;
  if (plan.storage_key && !explicit_none) {
    // A storage key is the result's identity: the record is found by it, so a
    // changed key recomputes and an existing one is loaded (Prefect's rule).
    plan.cache_key = plan.storage_key;
  } else if (policy && !policy->is_none()) {
    std::string why_not;
    // Outside a flow the task run's own id stands in for the flow run's, so two
    // direct calls never share a run_id key.
    // The policy may run the user's key function: whatever it throws must not
    // leave the engine (TaskRunCore::run is noexcept); the run goes on uncached.
    try {
      plan.cache_key = run.compute_cache_key(*policy, flow != nullptr ? flow->id : run.id(),
                                             flow != nullptr ? flow->parameters_fingerprint : std::nullopt, why_not);
    } catch (const std::exception& e) {
      plan.cache_key.reset();
      why_not = std::string("computing the cache key failed: ") + e.what();
    } catch (...) {
      plan.cache_key.reset();
      why_not = "computing the cache key failed with a non-standard exception";
    }
    if (!plan.cache_key && !why_not.empty()) {
      engine::log_run_message(LogLevel::Warning, flow_id(flow), run.id(), who(run), "not cached: " + why_not);
    }
  }
  plan.lookup = plan.cache_key.has_value() && !explicit_none && backend->cache_enabled() && !task.refresh_cache &&
                !rt.refresh_cache();
  if (plan.cache_key && task.isolation == Isolation::Serializable) {
    plan.locks = task.lock_manager ? task.lock_manager : backend->default_lock_manager();
  }
  return plan;
}

bool load_from_cache(TaskRunCore& run, const ResultPlan& plan, const FlowRunCore* flow) {
  auto* backend = engine::result_backend();
  auto found = backend->lookup(plan.storage, *plan.cache_key);
  if (!found.ok()) {
    engine::log_run_message(LogLevel::Warning, flow_id(flow), run.id(), who(run),
                            "cache lookup failed, running instead: " + found.status().message());
    return false;
  }
  if (!found->has_value()) return false;
  ResultRecord& record = **found;
  if (plan.keep_in_memory && plan.load_hit_now) {
    if (auto error = load_into(run, plan.storage, record)) {
      engine::log_run_message(LogLevel::Warning, flow_id(flow), run.id(), who(run),
                              "cached result unusable, running again: " + *error);
      run.drop_value();
      return false;
    }
    run.value_ready_.store(true, std::memory_order_release);
  }
  std::shared_ptr<const ResultRecord> recorded;
  {
    std::lock_guard lock(run.mu_);
    // Moved, not copied: a hit costs one copy of the record (out of the cache).
    run.record_ = std::make_shared<ResultRecord>(std::move(record));
    run.record_storage_ = plan.storage;
    recorded = run.record_;
  }
  record_result(run, flow, *recorded, true);
  return true;
}

std::optional<std::string> persist_value(TaskRunCore& run, const ResultPlan& plan, const FlowRunCore* flow) {
  auto* backend = engine::result_backend();
  engine::PersistRequest request{plan.cache_key, plan.storage_key, plan.expiration, *run.options().name, run.id()};
  auto persisted = backend->persist(plan.storage, plan.serializer, run.value_type_name(), request,
                                    [&run, &plan](ByteSink& sink) { run.write_value(plan.serializer, sink); });
  if (!persisted.ok()) return persisted.status().message();
  {
    std::lock_guard lock(run.mu_);
    run.record_ = std::make_shared<ResultRecord>(*persisted);
    run.record_storage_ = plan.storage;
  }
  record_result(run, flow, *persisted, false);
  return std::nullopt;
}

void persist_failure(TaskRunCore& run, const FlowRunCore* flow, const std::string& message) {
  auto* backend = engine::result_backend();
  if (backend == nullptr) return;
  const ResultOptions& task = run.options().results;
  const ResultOptions* from_flow = flow != nullptr ? &flow->options->results : nullptr;
  try {
    auto storage = task.storage ? task.storage : (from_flow && from_flow->storage) ? from_flow->storage
                                                                                   : backend->default_storage();
    engine::PersistRequest request{std::nullopt, "failures/" + run.id().str(), std::nullopt, *run.options().name,
                                   run.id()};
    const Serializer serializer = Serializer::binary();
    auto stored = backend->persist(storage, serializer, type_name<std::string>(), request,
                                   [&](ByteSink& sink) {
                                     // The binary writer itself, not serialize_to: that one would pull the
                                     // JSON and zstd writers of baton_results into the engine.
                                     BinaryWriter w(sink);
                                     w.write(message);
                                     w.finish();
                                   });
    if (!stored.ok()) {
      engine::log_run_message(LogLevel::Warning, flow_id(flow), run.id(), who(run),
                              "the failure could not be persisted: " + stored.status().message());
      return;
    }
    record_result(run, flow, *stored, false);
  } catch (const std::exception& e) {
    engine::log_run_message(LogLevel::Warning, flow_id(flow), run.id(), who(run),
                            std::string("the failure could not be persisted: ") + e.what());
  }
}

void adopt_persisted(TaskRunCore& run, const ResultPlan& plan, const FlowRunCore* flow, const ResultRecord& record) {
  {
    std::lock_guard lock(run.mu_);
    run.record_ = std::make_shared<ResultRecord>(record);
    run.record_storage_ = plan.storage;
  }
  record_result(run, flow, record, false);
}

std::optional<Fingerprint> TaskRunCore::persisted_fingerprint() const {
  std::lock_guard lock(mu_);
  if (!record_) return remote_value_ ? std::optional<Fingerprint>(remote_value_->fingerprint()) : std::nullopt;
  Hasher h;
  h.update(&record_->checksum, sizeof record_->checksum);
  h.update(&record_->size, sizeof record_->size);
  h.update(record_->type_name);
  return h.digest();
}

std::string TaskRunCore::result_location() const {
  std::lock_guard lock(mu_);
  return record_ ? record_->storage + "/" + record_->storage_key : std::string();
}

void TaskRunCore::ensure_value() {
  std::lock_guard load_lock(load_mu_);
  if (value_ready_.load(std::memory_order_acquire)) return;
  std::shared_ptr<const ResultRecord> record;
  std::shared_ptr<ResultStorage> storage;
  std::shared_ptr<RemoteValue> remote;
  {
    std::lock_guard lock(mu_);
    record = record_;
    storage = record_storage_;
    remote = remote_value_;
  }
  if (remote) {  // the process holding it is nearer than storage
    remote->load_into(*this);
    value_ready_.store(true, std::memory_order_release);
    return;
  }
  if (!record) throw Error("task run '" + run_name_ + "' has no value in memory and no persisted result");
  if (auto error = load_into(*this, storage, *record)) {
    throw Error("the result of task run '" + run_name_ + "' cannot be reloaded: " + *error);
  }
  value_ready_.store(true, std::memory_order_release);
}

}  // namespace detail
}  // namespace baton

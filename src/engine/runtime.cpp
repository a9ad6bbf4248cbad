#include "engine/runtime.h"

#include "engine/flow_run.h"
#include "engine/log_capture.h"
#include "engine/result_backend.h"
#include "engine/settings.h"
#include "util/process_info.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace baton::engine {

namespace {

// The factories are set by the umbrella library's static initializer, which may
// run before this file's: constructed on first use, never by static init order.
std::mutex g_factory_mu;  // guards the two factories
RunStoreFactory& store_factory() {
  static RunStoreFactory factory;
  return factory;
}
RunnerFactory& runner_factory() {
  static RunnerFactory factory;
  return factory;
}

std::mutex g_runtime_mu;  // serializes creation and reset
std::atomic<Runtime*> g_runtime{nullptr};
Clock* g_test_clock = nullptr;
std::atomic<bool> g_worker_process{false};

void flush_at_exit() {
  if (Runtime* rt = g_runtime.load(std::memory_order_acquire)) rt->close_history();
}

}  // namespace

void set_run_store_factory(RunStoreFactory factory) {
  std::lock_guard lock(g_factory_mu);
  store_factory() = std::move(factory);
}

void set_runner_factory(RunnerFactory factory) {
  std::lock_guard lock(g_factory_mu);
  runner_factory() = std::move(factory);
}

std::shared_ptr<TaskRunner> make_runner(const std::string& kind, int workers) {
  std::lock_guard lock(g_factory_mu);
  if (!runner_factory()) return nullptr;
  return runner_factory()(kind, workers);
}

Runtime& Runtime::get() {
  Runtime* rt = g_runtime.load(std::memory_order_acquire);
  if (rt != nullptr) return *rt;
  std::lock_guard lock(g_runtime_mu);
  rt = g_runtime.load(std::memory_order_relaxed);
  if (rt == nullptr) {
    // Never destroyed (pool threads may still run at exit); flushed by atexit.
    static bool registered = (std::atexit(flush_at_exit), true);
    (void)registered;
    rt = new Runtime();
    g_runtime.store(rt, std::memory_order_release);
  }
  return *rt;
}

namespace {
Clock* validated_clock() {
  settings::validate_all();  // every setting once, before anything uses one
  return g_test_clock != nullptr ? g_test_clock : &system_clock();
}
}  // namespace

Runtime::Runtime()
    : clock_(validated_clock()),
      log_level_(settings::log_level()),
      log_prints_(settings::log_prints()),
      default_retries_(settings::default_retries()),
      default_retry_delay_(settings::default_retry_delay()),
      refresh_cache_(settings::refresh_cache()),
      default_cache_policy_none_(settings::default_cache_policy_none()),
      pid_(static_cast<std::int64_t>(getpid())),
      process_started_(process_start_time(getpid()).value_or(0)),
      hostname_(host_name()) {
  install_log_capture();
  default_runner_ = make_runner(settings::task_runner(), settings::workers());
  if (!settings::history_enabled() || g_worker_process.load()) return;
  RunStoreFactory factory;
  {
    std::lock_guard lock(g_factory_mu);
    factory = store_factory();
  }
  if (!factory) return;
  try {
    auto sink = factory();
    EventStream::Hooks hooks{[this] { return active_flow_runs(); }, [this](const RunId& id) { cancel_flow_run(id); }};
    stream_ = std::make_unique<EventStream>(std::move(sink), settings::heartbeat_interval(), std::move(hooks));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "baton: run history is off: %s\n", e.what());
  }
}

Runtime::~Runtime() = default;

bool Runtime::persist_results_default(ResultBackend& backend) {
  signed char v = persist_results_default_.load(std::memory_order_relaxed);
  if (v < 0) {
    v = backend.persist_by_default() ? 1 : 0;  // throws for a bad value, as before
    persist_results_default_.store(v, std::memory_order_relaxed);
  }
  return v == 1;
}

void mark_worker_process() { g_worker_process.store(true); }

void Runtime::forward_events(std::function<void(Event&&)> to) {
  (void)stream_.release();  // see the header: abandoned on purpose
  forward_ = std::move(to);
  default_runner_ = make_runner("immediate", 1);
}

void Runtime::add_active(const std::shared_ptr<detail::FlowRunCore>& flow) {
  std::lock_guard lock(active_mu_);
  active_[flow->id] = flow;
}

void Runtime::remove_active(const RunId& id) {
  std::lock_guard lock(active_mu_);
  active_.erase(id);
}

std::vector<RunId> Runtime::active_flow_runs() {
  std::lock_guard lock(active_mu_);
  std::vector<RunId> ids;
  ids.reserve(active_.size());
  for (const auto& [id, weak] : active_) ids.push_back(id);
  return ids;
}

void Runtime::cancel_flow_run(const RunId& id) {
  std::shared_ptr<detail::FlowRunCore> flow;
  {
    std::lock_guard lock(active_mu_);
    auto it = active_.find(id);
    if (it != active_.end()) flow = it->second.lock();
  }
  if (!flow || flow->cancel_requested.exchange(true)) return;
  flow->stop.request_stop();
}

void set_clock_for_testing(Clock* clock) {
  g_test_clock = clock;
  if (Runtime* rt = g_runtime.load()) rt->clock_ = clock != nullptr ? clock : &system_clock();
}

void reset_runtime_for_testing() {
  std::lock_guard lock(g_runtime_mu);
  Runtime* rt = g_runtime.exchange(nullptr);
  delete rt;
}

}  // namespace baton::engine

#pragma once
// The process-wide engine: settings read once at start, the clock, the event stream
// to the run store, the default task runner, the watchdog, and the flow runs that
// are active (for heartbeats and cancellation). Created on first use.
#include "engine/event_stream.h"
#include "engine/events.h"
#include "engine/watchdog.h"
#include "util/clock.h"

#include <baton/log_level.h>
#include <baton/task_runner.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace baton::detail {
class FlowRunCore;
}

namespace baton::engine {

class ResultBackend;

class Runtime {
 public:
  static Runtime& get();

  Clock& clock() const { return *clock_; }
  bool history() const { return stream_ != nullptr || forward_ != nullptr; }
  void record(Event event) {
    if (stream_) stream_->push(std::move(event));
    else if (forward_) forward_(std::move(event));
  }
  // A task run's state change: through this thread's buffer (EventStream::push_task_state).
  void record_task_state(StateChanged&& state) {
    if (stream_) stream_->push_task_state(std::move(state));
    else if (forward_) forward_(Event(std::move(state)));
  }
  // This process works for another one (a forked pool worker, an MPI rank): its
  // events (logs, prints, nested runs) go to `to`, which sends them to the
  // process that keeps the history, and runs it submits run inline. Call from
  // the worker's only thread. A forked child's copy of the parent's event stream
  // is abandoned, not destroyed: its writer thread and lock belong to the parent.
  void forward_events(std::function<void(Event&&)> to);
  // True in such a worker process.
  bool forwarding() const { return forward_ != nullptr; }
  void flush() {
    if (stream_) stream_->flush();
  }
  // CPU time of the history writer thread so far (zero without history).
  std::chrono::microseconds history_writer_cpu() const {
    return stream_ ? stream_->writer_cpu() : std::chrono::microseconds(0);
  }
  // At exit: writes what is left and stops the writer thread.
  void close_history() {
    if (stream_) stream_->close_store();
  }

  LogLevel log_level() const { return log_level_; }
  bool log_prints_default() const { return log_prints_; }
  int default_retries() const { return default_retries_; }
  std::chrono::milliseconds default_retry_delay() const { return default_retry_delay_; }
  const std::shared_ptr<TaskRunner>& default_runner() const { return default_runner_; }
  bool refresh_cache() const { return refresh_cache_; }                        // BATON_REFRESH_CACHE
  bool default_cache_policy_none() const { return default_cache_policy_none_; }  // BATON_DEFAULT_CACHE_POLICY
  Watchdog& watchdog() { return watchdog_; }
  // BATON_PERSIST_RESULTS as `backend` reads it, once per runtime like the settings
  // above (on first use: the backend may be registered after the runtime starts),
  // not on every task run: reading it was an environment scan and a string parse.
  bool persist_results_default(ResultBackend& backend);

  void add_active(const std::shared_ptr<detail::FlowRunCore>& flow);
  void remove_active(const RunId& id);
  std::vector<RunId> active_flow_runs();
  void cancel_flow_run(const RunId& id);

  std::int64_t pid() const { return pid_; }
  std::uint64_t process_started() const { return process_started_; }
  const std::string& hostname() const { return hostname_; }

  ~Runtime();

 private:
  friend void set_clock_for_testing(Clock* clock);
  Runtime();

  Clock* clock_;
  LogLevel log_level_;
  bool log_prints_;
  int default_retries_;
  std::chrono::milliseconds default_retry_delay_;
  bool refresh_cache_;
  bool default_cache_policy_none_;
  std::shared_ptr<TaskRunner> default_runner_;
  std::int64_t pid_;
  std::uint64_t process_started_;
  std::string hostname_;
  std::atomic<signed char> persist_results_default_{-1};  // -1: not read yet
  Watchdog watchdog_;

  std::mutex active_mu_;  // guards active_
  std::unordered_map<RunId, std::weak_ptr<detail::FlowRunCore>> active_;

  std::function<void(Event&&)> forward_;  // set in worker processes
  std::unique_ptr<EventStream> stream_;  // last: destroyed (flushed) first
};

// Wiring: the umbrella library registers the default implementations.
using RunStoreFactory = std::function<std::unique_ptr<RunStoreSink>()>;
using RunnerFactory = std::function<std::shared_ptr<TaskRunner>(const std::string& kind, int workers)>;
void set_run_store_factory(RunStoreFactory factory);
void set_runner_factory(RunnerFactory factory);
std::shared_ptr<TaskRunner> make_runner(const std::string& kind, int workers);

// Called by a runner factory while the runtime is being made, when this process
// is a worker of another (an MPI rank other than 0): it then opens no run store.
void mark_worker_process();

// For tests: replaces the clock (nullptr restores the system clock).
void set_clock_for_testing(Clock* clock);
// For tests: flushes and drops the runtime; the next use creates a new one from the
// current environment (BATON_HOME, BATON_HISTORY, ...). No runs may be active.
void reset_runtime_for_testing();

}  // namespace baton::engine

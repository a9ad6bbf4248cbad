#pragma once
// The engine's type-erased core of a task run and the non-template entry points the
// typed layer (task.h, future.h) calls. Users do not include this directly.
#include <baton/run_id.h>
#include <baton/state.h>
#include <baton/task_runner.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace baton {

struct TaskRunInfo {
  RunId id;
  RunId flow_run_id;
  std::string_view task_name;
  std::string_view run_name;
  int run_count = 0;  // attempts so far
};

struct FlowRunInfo {
  RunId id;
  RunId parent_flow_run_id;
  std::string_view flow_name;
  std::string_view run_name;
  int run_count = 0;
};

namespace detail {

class FlowRunCore;  // engine-internal

// Options shared by every run of one task definition. Immutable once runs start.
struct TaskOptions {
  const std::string* name = nullptr;  // interned
  std::vector<std::string> param_names;
  std::string source_text;             // the task's source, when captured by BATON_TASK
  std::string version;                 // explicit version, replaces source_text in cache keys
  std::optional<int> retries;          // unset: BATON_DEFAULT_RETRIES
  std::vector<std::chrono::milliseconds> retry_delays;  // per attempt; the last one repeats
  bool retry_delays_set = false;
  double retry_jitter_factor = 0.0;
  std::function<bool(const State&)> retry_condition;
  std::optional<std::chrono::milliseconds> timeout;
  std::vector<std::string> tags;
  std::string run_name_template;       // "load-{path}"
  std::vector<std::function<void(const TaskRunInfo&, const State&)>> on_completion;
  std::vector<std::function<void(const TaskRunInfo&, const State&)>> on_failure;
  std::optional<bool> log_prints;      // unset: inherit from the flow
};

class TaskRunCore;

// A dependency of a task run: a data argument or a wait_for entry.
struct Upstream {
  std::shared_ptr<TaskRunCore> run;
  bool data = true;           // a data argument (false: wait_for)
  bool allow_failure = false;
};

// One task run: its state machine, its dependencies and its waiters. Shared by the
// engine, futures and downstream runs. All members after construction are guarded
// by mu_ unless marked otherwise.
class TaskRunCore : public Runnable {
 public:
  TaskRunCore(std::shared_ptr<const TaskOptions> options);
  ~TaskRunCore() override;
  TaskRunCore(const TaskRunCore&) = delete;
  TaskRunCore& operator=(const TaskRunCore&) = delete;

  const RunId& id() const { return id_; }
  const TaskOptions& options() const { return *options_; }
  const std::string& run_name() const { return run_name_; }

  // --- for futures (thread-safe)
  State state() const;
  StateType state_type() const;
  void wait() const;
  bool wait_for(std::chrono::microseconds timeout) const;
  // Calls `fn` once the run is final (at once if it already is), on the thread that
  // finalizes it. Used by as_completed.
  void on_final(std::function<void()> fn);
  // Throws the error matching a final state that has no value.
  void throw_if_not_completed() const;

  // --- for the engine
  void run() noexcept override;  // executes the run: attempts, retries, states, hooks

  // Implemented by the typed run: resolves the arguments, calls the body and keeps
  // its value. Throws whatever the body throws.
  virtual void invoke() = 0;
  // Describes the arguments as JSON for the run history (only called with history on).
  virtual std::string describe_parameters() const = 0;
  // Renders the run-name template from the arguments.
  virtual std::string render_run_name(const std::string& tmpl) const = 0;

  // Engine-internal state, public for the engine's free functions in src/engine.
  RunId id_;
  std::shared_ptr<const TaskOptions> options_;
  std::shared_ptr<FlowRunCore> flow_;        // null outside a flow
  std::shared_ptr<TaskRunner> runner_;
  std::string run_name_;
  std::vector<Upstream> upstreams_;          // set by launch(), read-only afterwards
  std::atomic<int> waiting_ = 1;             // unfinished upstreams + 1 until scheduled
  std::optional<std::stop_source> stop_;     // per-run, created for timeouts and cancellation

  // The type of the final state once published (Pending until then): lets done(),
  // wait() and result() of a finished run skip the lock.
  std::atomic<StateType> final_type_{StateType::Pending};

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  State state_;
  bool finalizing_ = false;  // a final state is decided; hooks run before it is published
  int run_count_ = 0;
  std::vector<std::shared_ptr<TaskRunCore>> dependents_;  // runs waiting for this one
  std::vector<std::function<void()>> final_listeners_;
};

// The flow run the calling thread is executing in, if any (shared so submitted
// runs keep it alive).
std::shared_ptr<FlowRunCore> current_flow_run();
// The runner submitted runs use here: the current flow's, else the default.
std::shared_ptr<TaskRunner> current_runner();
// Registers a new run with its flow, records it, links its upstreams and schedules
// it on `runner` (or executes it inline when runner is null) once they are final.
void launch(const std::shared_ptr<TaskRunCore>& run, std::vector<Upstream> upstreams,
            const std::shared_ptr<TaskRunner>& runner);
// Interns a name for the lifetime of the process.
const std::string* intern(std::string_view name);
// Parameter names from the source text of a lambda or function ("[](int a, T b)").
std::vector<std::string> parse_parameter_names(std::string_view source);

}  // namespace detail
}  // namespace baton

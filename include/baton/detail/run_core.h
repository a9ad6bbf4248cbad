#pragma once
// The engine's type-erased core of a task run and the non-template entry points the
// typed layer (task.h, future.h) calls. Users do not include this directly.
#include <baton/detail/result_options.h>
#include <baton/hash.h>
#include <baton/result_record.h>
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
struct RemoteTask;
class RemoteArgumentSink;
class TaskRunCore;

// A task run's value that lives in another process (an MPI rank holds it for the
// tasks placed next to it): fetched on demand, released when the run is dropped.
class RemoteValue {
 public:
  virtual ~RemoteValue() = default;
  // Reads the value into `run` (TaskRunCore::read_value); throws Error if it cannot.
  virtual void load_into(TaskRunCore& run) = 0;
  // What identifies the value in cache keys without fetching it (a digest of its
  // serialized bytes made where it lives).
  virtual Fingerprint fingerprint() const = 0;
};

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
  std::function<std::string()> run_name_fn;  // wins over the template; sees run_context()
  std::vector<std::function<void(const TaskRunInfo&, const State&)>> on_completion;
  std::vector<std::function<void(const TaskRunInfo&, const State&)>> on_failure;
  std::vector<std::function<void(const TaskRunInfo&, const State&)>> on_running;  // each attempt
  std::optional<bool> log_prints;      // unset: inherit from the flow
  ResultOptions results;
  // How other processes of this program find the task (process pool, MPI).
  const RemoteTask* remote = nullptr;
};

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
  // Fills {name} placeholders of a template (run names, result storage keys).
  virtual std::string render_template(const std::string& tmpl) const = 0;

  // ---- Results: implemented by the typed run, called by the engine.
  virtual bool value_serializable() const = 0;
  virtual std::string value_type_name() const = 0;
  // Streams the value (which must be present) to a sink; throws SerializationError.
  virtual void write_value(const Serializer& serializer, ByteSink& sink) const = 0;
  // Reads the value back from a source; throws SerializationError.
  virtual void read_value(const Serializer& serializer, ByteSource& source) = 0;
  // Frees the value once it is persisted (cache_result_in_memory(false)).
  virtual void drop_value() = 0;
  // The key under `policy`, or nullopt (no caching, or an argument that cannot be
  // fingerprinted: `why_not` says which).
  virtual std::optional<std::string> compute_cache_key(const cache::Policy& policy, const RunId& flow_run,
                                                       const std::optional<Fingerprint>& flow_parameters,
                                                       std::string& why_not) const = 0;

  // ---- Remote execution (process pool, MPI): implemented by the typed run.
  // Writes the arguments as the worker reads them (see baton/detail/remote_task.h).
  virtual void write_arguments(RemoteArgumentSink& sink) const = 0;

  // What identifies this run's value in another run's cache key: the persisted
  // record's checksum when there is one (no reload), else nullopt.
  std::optional<Fingerprint> persisted_fingerprint() const;
  // Makes the value available, reloading it from result storage when it was
  // dropped or comes from the cache; throws Error naming the key if it cannot.
  void ensure_value();
  // Where the persisted result lives ("<storage>/<key>"), empty if not persisted.
  std::string result_location() const;

  // Engine-internal state, public for the engine's free functions in src/engine.
  RunId id_;
  std::shared_ptr<const TaskOptions> options_;
  std::shared_ptr<FlowRunCore> flow_;        // null outside a flow
  std::shared_ptr<TaskRunner> runner_;
  std::string run_name_;
  std::vector<std::string> scope_tags_;      // tags_scope tags at launch (empty: none; no allocation)
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
  // The persisted result, if any: set before the final state is published.
  std::shared_ptr<const ResultRecord> record_;
  std::shared_ptr<ResultStorage> record_storage_;
  // The value when another process holds it (set before the final state).
  std::shared_ptr<RemoteValue> remote_value_;
  // True while the value is in memory; set (release) before the final state or by
  // ensure_value(), read (acquire) by the typed run's value().
  std::atomic<bool> value_ready_{false};
  std::mutex load_mu_;  // serializes reloads
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

// The engine path of every flow run, top-level or child.
#include "engine/flow_run.h"
#include "engine/adoption.h"

#include "engine/log_capture.h"

#include "engine/logging_internal.h"
#include "engine/names.h"
#include "engine/result_backend.h"
#include "engine/run_context.h"
#include "engine/runtime.h"

#include <baton/error.h>

#include <array>
#include <cstdio>

namespace baton::detail {

void FlowRunCore::task_started() { unfinished_.fetch_add(1, std::memory_order_relaxed); }

void FlowRunCore::task_finished() {
  if (unfinished_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
}

void FlowRunCore::wait_for_tasks() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return unfinished_.load(std::memory_order_acquire) == 0; });
}

std::string FlowRunCore::child_result_key(const std::string& flow_name,
                                          const std::optional<Fingerprint>& parameters) {
  Hasher h;
  h.update(flow_name);
  h.update("\0", 1);
  if (parameters) h.update(parameters->str());
  const std::string base = h.digest().str();
  int n = 0;
  {
    std::lock_guard lock(mu_);
    n = child_calls_[base]++;
  }
  return "flow-results/" + id.str() + "/" + base + "-" + std::to_string(n);
}

void FlowRunCore::begin_attempt() {
  run_count.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  child_calls_.clear();
}

namespace {

using engine::Runtime;

// Where a child flow's return value is persisted, when it is (persist_result on
// the flow, a serializable type, a result backend, caching on).
struct ChildResult {
  engine::ResultBackend* backend = nullptr;
  std::shared_ptr<ResultStorage> storage;
  Serializer serializer = Serializer::binary();
  std::string key;
};

std::optional<ChildResult> plan_child_result(const FlowOptions& options, const FlowCall& call,
                                             FlowRunCore* parent) {
  if (parent == nullptr || call.result == nullptr || !options.results.persist_result.value_or(false)) {
    return std::nullopt;
  }
  auto* backend = engine::result_backend();
  if (backend == nullptr || !backend->cache_enabled()) return std::nullopt;
  ChildResult out;
  out.backend = backend;
  out.storage = options.results.storage ? options.results.storage
                : parent->options->results.storage ? parent->options->results.storage
                                                   : backend->default_storage();
  out.serializer = options.results.serializer.value_or(Serializer::binary());
  out.key = parent->child_result_key(*options.name, call.parameters_fingerprint);
  return out;
}

// Prefect-style generated names: easy to say, and unique enough to tell runs apart
// (the id is what is unique).
std::string generate_run_name(const RunId& id) {
  static constexpr std::array<const char*, 32> kAdjectives = {
      "amber", "brisk", "calm", "daring", "eager", "fancy", "gentle", "hasty", "icy", "jolly", "keen",
      "lively", "mellow", "nimble", "olive", "proud", "quick", "rapid", "silent", "tidy", "upbeat", "vivid",
      "witty", "young", "zesty", "bold", "crimson", "dusty", "electric", "frosty", "golden", "hidden"};
  static constexpr std::array<const char*, 32> kAnimals = {
      "otter", "falcon", "lynx", "heron", "badger", "marten", "gecko", "ibis", "jaguar", "koala", "lemur",
      "moose", "newt", "ocelot", "puffin", "quail", "raven", "stoat", "tapir", "urchin", "vole", "walrus",
      "yak", "zebra", "bison", "coyote", "dingo", "egret", "ferret", "gibbon", "hare", "impala"};
  return std::string(kAdjectives[id.lo % 32]) + "-" + kAnimals[(id.lo >> 8) % 32];
}

struct LastFlowRun {
  RunId id;
  std::string name;
  State state;
};
thread_local LastFlowRun g_last;

}  // namespace

// For run_main: the last flow run this thread finished.
const RunId& last_flow_run_id() { return g_last.id; }
const std::string& last_flow_run_name() { return g_last.name; }
const State& last_flow_run_state() { return g_last.state; }

namespace {

// Hooks see the run through run_context(); what they throw is logged and never
// changes the run's state.
void run_flow_hooks(const std::vector<std::function<void(const FlowRunInfo&, const State&)>>& hooks,
                    const FlowRunInfo& info, const State& state, const std::shared_ptr<FlowRunCore>& flow,
                    const std::string& who) {
  if (hooks.empty()) return;
  ContextGuard guard(RunContext{&flow, nullptr, {}, flow->log_prints});
  for (const auto& hook : hooks) {
    try {
      hook(info, state);
    } catch (...) {  // not only std::exception: a hook must not end the program
      engine::log_run_message(LogLevel::Error, flow->id, {}, who,
                              "a state hook threw: " + error_message(std::current_exception()));
    }
  }
}

}  // namespace

State execute_flow(const std::shared_ptr<const FlowOptions>& options, const FlowCall& call) {
  Runtime& rt = Runtime::get();
  auto parent = current_flow_run();
  auto flow = std::make_shared<FlowRunCore>();
  // A top-level run adopts the server's pre-created run when a worker started us.
  flow->id = parent ? RunId::random() : engine::take_flow_run_id();
  flow->parent_id = parent ? parent->id : RunId{};
  flow->options = options;
  flow->parameters_fingerprint = call.parameters_fingerprint;
  flow->tags = scope_tags().empty() ? options->tags : with_scope_tags(options->tags);
  flow->call = &call;
  if (options->run_name_fn) {
    ContextGuard guard(RunContext{&flow, nullptr, flow->stop.get_token(), flow->log_prints});
    flow->run_name = options->run_name_fn();
  } else if (!options->run_name_template.empty()) {
    std::vector<std::string> names;
    std::vector<std::string> values;
    if (call.display_parameters) call.display_parameters(names, values);
    flow->run_name = render_placeholders(options->run_name_template, names, values, nullptr, flow.get());
  }
  // In a worker process (a task body calling a flow), runs stay inline: the
  // worker's copy of a pool has no threads or workers of its own.
  flow->runner = options->task_runner && !rt.forwarding() ? options->task_runner : rt.default_runner();
  if (flow->run_name.empty()) flow->run_name = generate_run_name(flow->id);
  if (!parent && flow->runner) flow->runner->before_flow_run();  // an MPI worker rank serves here
  flow->log_prints = options->log_prints.value_or(parent ? parent->log_prints : rt.log_prints_default());
  // A child flow stops with its parent.
  std::optional<std::stop_callback<std::function<void()>>> parent_link;
  if (parent) {
    parent_link.emplace(parent->stop.get_token(), std::function<void()>([f = flow.get()] {
                          f->cancel_requested = true;
                          f->stop.request_stop();
                        }));
  }

  const std::string who = "Flow run '" + flow->run_name + "'";
  auto record_state = [&](StateType type, const std::string& message) {
    if (rt.history()) {
      rt.record(engine::StateChanged{flow->id, engine::RunKind::Flow, type, rt.clock().now(), message});
    }
  };
  if (rt.history()) {
    rt.record(engine::FlowRunCreated{flow->id, flow->parent_id, options->name, flow->run_name, call.describe_parameters(),
                                     json_string_list(flow->tags), options->version, rt.clock().now(), rt.pid(),
                                     rt.process_started(), rt.hostname()});
  }
  rt.add_active(flow);
  engine::log_run_message(LogLevel::Info, flow->id, {}, who,
                          "Beginning " + std::string(parent ? "child " : "") + "flow run for flow '" +
                              *options->name + "' (id " + flow->id.str() + ")");

  std::uint64_t timer = 0;
  if (options->timeout) {
    timer = rt.watchdog().schedule(std::chrono::steady_clock::now() + *options->timeout, [f = flow.get()] {
      f->timed_out = true;
      f->stop.request_stop();
    });
  }

  // A persisted child flow that already completed in this parent run (an earlier
  // attempt of the parent) is loaded, not run again.
  std::optional<ChildResult> persisted;
  try {
    persisted = plan_child_result(*options, call, parent.get());
  } catch (const std::exception& e) {
    engine::log_run_message(LogLevel::Warning, flow->id, {}, who, std::string("result not persisted: ") + e.what());
  }
  bool cached = false;
  if (persisted) {
    auto found = persisted->backend->lookup(persisted->storage, persisted->key);
    if (found.ok() && found->has_value()) {
      const ResultRecord& record = **found;
      if (auto err = persisted->backend->load(persisted->storage, record, call.result->type_name, call.result->read)) {
        engine::log_run_message(LogLevel::Warning, flow->id, {}, who, "persisted result unusable, running again: " + *err);
      } else {
        cached = true;
        engine::log_run_message(LogLevel::Info, flow->id, {}, who,
                                "Loaded the result flow run " + record.task_run_id.str() + " persisted");
      }
    }
  }

  State final_state;
  for (int n = 0; !cached; ++n) {
    flow->begin_attempt();
    record_state(n == 0 ? StateType::Running : StateType::Retrying, "");
    if (!options->on_running.empty()) {
      FlowRunInfo info{flow->id, flow->parent_id, *options->name, flow->run_name, flow->run_count.load()};
      run_flow_hooks(options->on_running, info, {n == 0 ? StateType::Running : StateType::Retrying, rt.clock().now(), {}, nullptr},
                     flow, who);
    }
    std::exception_ptr error;
    bool returned_cancel = false;  // the body returned baton::Cancelled()
    {
      ContextGuard guard(RunContext{&flow, nullptr, flow->stop.get_token(), flow->log_prints});
      try {
        call.attempt();
      } catch (const ReturnedStateError& e) {
        error = std::current_exception();
        returned_cancel = e.type() == StateType::Cancelled;
      } catch (...) {
        error = std::current_exception();
      }
      engine::flush_thread_output();
    }
    // The task runs it started finish (or are cancelled) before the flow run ends.
    flow->wait_for_tasks();

    const TimePoint now = rt.clock().now();
    if (flow->timed_out) {
      final_state = {StateType::TimedOut, now,
                     "Flow run exceeded timeout of " + duration_text(*options->timeout), error};
      break;
    }
    if (returned_cancel) {
      final_state = {StateType::Cancelled, now, error_message(error), error};
      break;
    }
    if (flow->cancel_requested) {
      final_state = {StateType::Cancelled, now, "Flow run was cancelled", error};
      break;
    }
    if (!error && persisted) {
      engine::PersistRequest request{persisted->key, std::nullopt, std::nullopt, *options->name, flow->id};
      auto stored = persisted->backend->persist(persisted->storage, persisted->serializer, call.result->type_name,
                                                request, [&](ByteSink& sink) { call.result->write(persisted->serializer, sink); });
      if (!stored.ok()) {
        // Never Completed without the result it promised (as for tasks).
        error = std::make_exception_ptr(Error("the result could not be persisted: " + stored.status().message()));
      }
    }
    if (!error) {
      final_state = {StateType::Completed, now, "", nullptr};
      break;
    }
    std::string message = error_message(error);
    if (n < options->retries) {
      record_state(StateType::AwaitingRetry, "Retry " + std::to_string(n + 1) + "/" +
                                                  std::to_string(options->retries) + " after: " + message);
      engine::log_run_message(LogLevel::Info, flow->id, {}, who, "Failed attempt (" + message + "); retrying");
      if (!rt.clock().sleep_for(options->retry_delay, flow->stop.get_token())) {
        final_state = {flow->timed_out ? StateType::TimedOut : StateType::Cancelled, rt.clock().now(),
                       "stopped while waiting to retry", error};
        break;
      }
      continue;
    }
    final_state = {StateType::Failed, now, message, error};
    break;
  }
  if (cached) final_state = {StateType::Cached, rt.clock().now(), "Cached result of an earlier run of this child flow", nullptr};
  if (timer != 0) rt.watchdog().cancel(timer);

  rt.remove_active(flow->id);
  record_state(final_state.type, final_state.message);
  FlowRunInfo info{flow->id, flow->parent_id, *options->name, flow->run_name, flow->run_count.load()};
  const auto* hooks = final_state.is_completed()                  ? &options->on_completion
                      : final_state.type == StateType::Cancelled     ? &options->on_cancellation
                      : (final_state.type == StateType::Failed || final_state.type == StateType::TimedOut)
                          ? &options->on_failure
                          : nullptr;
  if (hooks != nullptr) run_flow_hooks(*hooks, info, final_state, flow, who);
  engine::log_run_message(final_state.is_completed() ? LogLevel::Info : LogLevel::Error, flow->id, {}, who,
                          "Finished in state " + std::string(to_string(final_state.type)) +
                              (final_state.message.empty() ? "()" : "('" + final_state.message + "')"));
  // History is complete when a top-level flow call returns.
  if (!parent) rt.flush();
  g_last = {flow->id, flow->run_name, final_state};

  flow->call = nullptr;
  if (!call.throw_on_failure) return final_state;
  switch (final_state.type) {
    case StateType::Completed:
    case StateType::Cached:
      return final_state;
    case StateType::Failed:
      std::rethrow_exception(final_state.error);
    case StateType::TimedOut:
      throw TimeoutError("flow run '" + flow->run_name + "' timed out: " + final_state.message);
    default:
      throw CancelledError("flow run '" + flow->run_name + "' was cancelled" +
                           (final_state.message.empty() ? std::string() : ": " + final_state.message));
  }
}

}  // namespace baton::detail

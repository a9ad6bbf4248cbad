// The engine path of every task run: called, submitted, mapped or retried.
#include <baton/detail/run_core.h>
#include <baton/error.h>

#include "engine/concurrency_slots.h"
#include "engine/flow_run.h"
#include "engine/names.h"
#include "engine/remote_executor.h"
#include "engine/log_capture.h"
#include "engine/logging_internal.h"
#include "engine/run_context.h"
#include "engine/runtime.h"
#include "engine/task_results.h"

#include <cstdio>
#include <random>

namespace baton::detail {

namespace {

using engine::Runtime;

template <class E>
bool holds(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

std::string short_suffix(const RunId& id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(3, '0');
  for (int i = 0; i < 3; ++i) s[i] = kHex[(id.lo >> (4 * i)) & 0xF];
  return s;
}

std::chrono::milliseconds retry_delay_for(const TaskOptions& o, int attempt, const Runtime& rt) {
  std::chrono::milliseconds d = rt.default_retry_delay();
  if (o.retry_delays_set && !o.retry_delays.empty()) {
    d = o.retry_delays[std::min<std::size_t>(static_cast<std::size_t>(attempt), o.retry_delays.size() - 1)];
  }
  if (o.retry_jitter_factor > 0 && d.count() > 0) {
    thread_local std::mt19937_64 gen{std::random_device{}()};
    double f = std::uniform_real_distribution<double>(-o.retry_jitter_factor, o.retry_jitter_factor)(gen);
    d = std::chrono::milliseconds(std::max<long long>(0, static_cast<long long>(static_cast<double>(d.count()) * (1 + f))));
  }
  return d;
}

}  // namespace

TaskRunCore::TaskRunCore(std::shared_ptr<const TaskOptions> options)
    : id_(RunId::random()), options_(std::move(options)) {}

TaskRunCore::~TaskRunCore() = default;

State TaskRunCore::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

StateType TaskRunCore::state_type() const {
  StateType done = final_type_.load(std::memory_order_acquire);
  if (is_final(done)) return done;
  std::lock_guard lock(mu_);
  return state_.type;
}

void TaskRunCore::wait() const {
  if (is_final(final_type_.load(std::memory_order_acquire))) return;
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return is_final(state_.type); });
}

bool TaskRunCore::wait_for(std::chrono::microseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return is_final(state_.type); });
}

void TaskRunCore::on_final(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (!is_final(state_.type)) {
      final_listeners_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

void TaskRunCore::throw_if_not_completed() const {
  if (is_completed(final_type_.load(std::memory_order_acquire))) return;
  State s = state();
  switch (s.type) {
    case StateType::Completed:
    case StateType::Cached:
      return;
    case StateType::Failed:
      if (s.error) std::rethrow_exception(s.error);
      throw Error("task run '" + run_name_ + "' failed: " + s.message);
    case StateType::NotReady:
      throw UpstreamError("task run '" + run_name_ + "' did not run: " + s.message);
    case StateType::TimedOut:
      throw TimeoutError("task run '" + run_name_ + "' timed out: " + s.message);
    case StateType::Cancelled:
      throw CancelledError("task run '" + run_name_ + "' was cancelled: " + s.message);
    case StateType::Crashed:
      throw CrashedError("task run '" + run_name_ + "' crashed: " + s.message);
    default:
      throw Error("task run '" + run_name_ + "' is not finished (state " + std::string(to_string(s.type)) + ")");
  }
}

namespace {

// Engine steps that touch a run's private parts, kept out of the public header.
struct Engine {
  static void record_state(TaskRunCore& run, const State& s) {
    Runtime& rt = Runtime::get();
    if (!rt.history()) return;
    engine::StateChanged change{run.id_, engine::RunKind::Task, s.type, s.timestamp, s.message};
    // A TimedOut comes from the watchdog's thread while the run's earlier states
    // may still sit in its worker's buffer: the shared queue puts them first.
    if (s.type == StateType::TimedOut) rt.record(std::move(change));
    else rt.record_task_state(std::move(change));
  }

  // A non-final transition (Running, Retrying, AwaitingRetry).
  // A non-final transition; Running and Retrying start an attempt.
  static void transition(TaskRunCore& run, StateType type, std::string message = {}) {
    State s{type, Runtime::get().clock().now(), std::move(message), nullptr};
    {
      std::lock_guard lock(run.mu_);
      if (is_final(run.state_.type) || run.finalizing_) return;
      if (type == StateType::Running || type == StateType::Retrying) ++run.run_count_;
      run.state_.type = s.type;
      run.state_.timestamp = s.timestamp;
      run.state_.message = s.message;
    }
    record_state(run, s);
  }

  // The first final transition wins; later ones (a body returning after its
  // timeout) are dropped. Returns false if the run was already final.
  static bool finalize(TaskRunCore& run, StateType type, std::string message, std::exception_ptr error = nullptr,
                       bool retries_exhausted = false) {
    {
      std::lock_guard lock(run.mu_);
      if (is_final(run.state_.type) || run.finalizing_) return false;
      run.finalizing_ = true;
    }
    Runtime& rt = Runtime::get();
    State s{type, rt.clock().now(), std::move(message), std::move(error)};
    record_state(run, s);
    const RunId flow_id = run.flow_ ? run.flow_->id : RunId{};
    if (type == StateType::Failed || type == StateType::TimedOut || type == StateType::Crashed) {
      engine::log_run_message(LogLevel::Error, flow_id, run.id_, "Task run '" + run.run_name_ + "'",
                              "Finished in state " + std::string(to_string(type)) + "('" + s.message + "')" +
                                  (retries_exhausted ? " Retries are exhausted" : ""));
    }
    const auto* hooks = is_completed(type) ? &run.options_->on_completion
                        : (type == StateType::Failed || type == StateType::TimedOut) ? &run.options_->on_failure
                                                                                      : nullptr;
    if (hooks != nullptr && !hooks->empty()) {
      TaskRunInfo info{run.id_, flow_id, *run.options_->name, run.run_name_, run.run_count_};
      // Hooks see the run through run_context() as its body did.
      ContextGuard guard(RunContext{run.flow_ ? &run.flow_ : nullptr, &run, {}, false});
      for (const auto& hook : *hooks) {
        try {
          hook(info, s);
        } catch (...) {  // whatever a hook throws (not only std::exception) must not reach noexcept run()
          engine::log_run_message(LogLevel::Error, flow_id, run.id_, "Task run '" + run.run_name_ + "'",
                                  "a state hook threw: " + error_message(std::current_exception()));
        }
      }
    }
    std::vector<std::shared_ptr<TaskRunCore>> dependents;
    std::vector<std::function<void()>> listeners;
    {
      std::lock_guard lock(run.mu_);
      run.state_ = std::move(s);
      run.final_type_.store(type, std::memory_order_release);
      dependents.swap(run.dependents_);
      listeners.swap(run.final_listeners_);
    }
    run.cv_.notify_all();
    for (auto& l : listeners) l();
    for (auto& d : dependents) upstream_done(d);
    if (run.flow_) run.flow_->task_finished();
    return true;
  }

  static void upstream_done(const std::shared_ptr<TaskRunCore>& run) {
    if (run->waiting_.fetch_sub(1, std::memory_order_acq_rel) == 1) run->runner_->submit(run);
  }

  // False if `upstream` is final already (nothing to wait for).
  static bool add_dependent(TaskRunCore& upstream, const std::shared_ptr<TaskRunCore>& run) {
    std::lock_guard lock(upstream.mu_);
    if (is_final(upstream.state_.type)) return false;
    upstream.dependents_.push_back(run);
    return true;
  }

  // Why the run cannot start, or empty if it can.
  static std::string blocked_reason(const TaskRunCore& run) {
    for (const Upstream& u : run.upstreams_) {
      State s = u.run->state();
      if (is_completed(s.type) || (u.allow_failure && is_final(s.type))) continue;
      return "upstream task run '" + u.run->run_name() + "' (" + u.run->id().str() + ") ended " +
             std::string(to_string(s.type)) + (s.message.empty() ? "" : ": " + s.message);
    }
    return {};
  }

  static void execute(TaskRunCore& run);
};

void Engine::execute(TaskRunCore& run) {
  Runtime& rt = Runtime::get();
  const TaskOptions& o = *run.options_;
  FlowRunCore* flow = run.flow_.get();

  if (flow != nullptr && flow->stop.stop_requested()) {
    finalize(run, StateType::Cancelled,
             flow->timed_out ? "its flow run timed out before it started" : "its flow run was cancelled");
    return;
  }
  if (std::string why = blocked_reason(run); !why.empty()) {
    finalize(run, StateType::NotReady, why);
    return;
  }

  // Results: a usable cached value ends the run before any attempt.
  ResultPlan plan = plan_results(run, flow);
  if (plan.error) {
    // The storage itself is unusable (not one write that failed): no attempt can
    // store its result, so none is made.
    finalize(run, StateType::Failed, "the result could not be persisted: " + *plan.error);
    return;
  }
  engine::RemoteExecutor* remote = run.runner_ ? run.runner_->remote_executor() : nullptr;
  plan.load_hit_now = remote == nullptr;
  LockGuard cache_lock;
  if (plan.locks) {
    auto held = plan.locks->acquire(*plan.cache_key, run.id_.str(), std::chrono::hours(1));
    if (held.ok() && *held) {
      cache_lock = LockGuard(*plan.locks, *plan.cache_key, run.id_.str());
    } else {
      engine::log_run_message(LogLevel::Warning, flow ? flow->id : RunId{}, run.id_, "Task run '" + run.run_name_ + "'",
                              "running without the cache lock: " +
                                  (held.ok() ? std::string("timed out waiting for it") : held.status().message()));
    }
  }
  if (plan.lookup && load_from_cache(run, plan, flow)) {
    finalize(run, StateType::Cached, "Cached result of task run " + run.record_->task_run_id.str());
    return;
  }

  const int retries = o.retries.value_or(rt.default_retries());
  const bool log_prints = o.log_prints.value_or(flow != nullptr ? flow->log_prints : rt.log_prints_default());
  std::stop_token flow_stop = flow != nullptr ? flow->stop.get_token() : std::stop_token{};

  // Tag concurrency limits (engine/concurrency_slots.h): held until this function returns.
  engine::SlotHold slots;
  if (!o.tags.empty()) {
    const std::string who = "Task run '" + run.run_name_ + "'";
    const RunId flow_id = flow ? flow->id : RunId{};
    const bool got = engine::acquire_slots(
        run.id_, o.tags, flow_stop,
        [&](const std::string& tag) {
          transition(run, StateType::AwaitingConcurrencySlot, "waiting for a slot of tag '" + tag + "'");
        },
        [&](const std::string& warning) { engine::log_run_message(LogLevel::Warning, flow_id, run.id_, who, warning); },
        slots);
    if (!got) {
      finalize(run, StateType::Cancelled, "cancelled while waiting for a concurrency slot");
      return;
    }
  }

  for (int attempt = 0;; ++attempt) {
    transition(run, attempt == 0 ? StateType::Running : StateType::Retrying);
    // A timeout needs a stop source of the run's own, linked to the flow's.
    std::optional<std::stop_source> own_stop;
    std::optional<std::stop_callback<std::function<void()>>> link;
    std::uint64_t timer = 0;
    std::atomic<bool> timed_out{false};
    if (o.timeout) {
      own_stop.emplace();
      link.emplace(flow_stop, std::function<void()>([&own_stop] { own_stop->request_stop(); }));
      bool last_attempt = attempt >= retries;
      timer = rt.watchdog().schedule(std::chrono::steady_clock::now() + *o.timeout, [&run, &own_stop, &timed_out,
                                                                                    last_attempt, &o] {
        timed_out = true;
        own_stop->request_stop();
        // The last attempt ends now: waiters and downstream runs go on without
        // the body, which may still be running (threads cannot be killed).
        if (last_attempt) {
          finalize(run, StateType::TimedOut,
                   "Task run exceeded timeout of " + duration_text(*o.timeout));
        }
      });
    }

    std::exception_ptr error;
    engine::RemoteOutcome outcome{true, std::nullopt};
    {
      const std::shared_ptr<FlowRunCore>* flow_ptr = run.flow_ ? &run.flow_ : nullptr;
      ContextGuard guard(RunContext{flow_ptr, &run, own_stop ? own_stop->get_token() : flow_stop, log_prints});
      if (!o.on_running.empty()) {
        State running{attempt == 0 ? StateType::Running : StateType::Retrying, rt.clock().now(), {}, nullptr};
        TaskRunInfo info{run.id_, flow ? flow->id : RunId{}, *o.name, run.run_name_, attempt + 1};
        for (const auto& hook : o.on_running) {
          try {
            hook(info, running);
          } catch (...) {
            engine::log_run_message(LogLevel::Error, flow ? flow->id : RunId{}, run.id_, "Task run '" + run.run_name_ + "'",
                                    "an on_running hook threw: " + error_message(std::current_exception()));
          }
        }
      }
      try {
        if (remote != nullptr) outcome = remote->run_body(run, plan);
        else run.invoke();
      } catch (...) {
        error = std::current_exception();
      }
      engine::flush_thread_output();
    }
    if (timer != 0) rt.watchdog().cancel(timer);

    if (!error && !timed_out) {
      if (outcome.value_in_memory) run.value_ready_.store(true, std::memory_order_release);
      std::optional<std::string> persist_error;
      if (outcome.persisted) {
        adopt_persisted(run, plan, flow, *outcome.persisted);
      } else if (plan.persist) {
        persist_error = persist_value(run, plan, flow);
        // A direct call hands the value to its caller; a submitted run may let it go.
        if (!persist_error && !plan.keep_in_memory && run.runner_) run.drop_value();
      }
      if (!persist_error) {
        finalize(run, StateType::Completed, "");
        return;
      }
      // Never Completed without the result it promised: a failed attempt (retries apply).
      run.drop_value();
      error = std::make_exception_ptr(Error("the result could not be persisted: " + *persist_error));
    }
    const bool crashed = !timed_out && holds<CrashedError>(error);
    State failed{timed_out ? StateType::TimedOut : crashed ? StateType::Crashed : StateType::Failed, rt.clock().now(),
                 timed_out ? "Task run exceeded timeout of " + duration_text(*o.timeout) : error_message(error), error};
    if (!timed_out && holds<CancelledError>(error) && flow_stop.stop_requested()) {
      finalize(run, StateType::Cancelled, failed.message);
      return;
    }
    bool retry = attempt < retries && !flow_stop.stop_requested();
    if (retry && o.retry_condition) {
      try {
        retry = o.retry_condition(failed);
      } catch (...) {
        retry = false;
        failed.message += " (retry condition threw: " + error_message(std::current_exception()) + ")";
      }
    }
    if (!retry) {
      if (o.results.persist_failures) persist_failure(run, flow, failed.message);
      finalize(run, failed.type, failed.message, failed.error, retries > 0 && attempt >= retries);
      return;
    }
    auto delay = retry_delay_for(o, attempt, rt);
    engine::log_run_message(LogLevel::Info, flow ? flow->id : RunId{}, run.id_, "Task run '" + run.run_name_ + "'",
                            "Failed attempt " + std::to_string(attempt + 1) + " (" + failed.message +
                                "); retrying in " + duration_text(delay));
    // Without a delay the run goes straight to Retrying, as in Prefect.
    if (delay.count() > 0) {
      transition(run, StateType::AwaitingRetry,
                 "Retry " + std::to_string(attempt + 1) + "/" + std::to_string(retries) + " in " +
                     duration_text(delay) + " after: " + failed.message);
      if (!rt.clock().sleep_for(delay, flow_stop)) {
        finalize(run, StateType::Cancelled, "cancelled while waiting to retry");
        return;
      }
    } else if (flow_stop.stop_requested()) {
      finalize(run, StateType::Cancelled, "cancelled while waiting to retry");
      return;
    }
  }
}

}  // namespace

void TaskRunCore::run() noexcept { Engine::execute(*this); }

void launch(const std::shared_ptr<TaskRunCore>& run, std::vector<Upstream> upstreams,
            const std::shared_ptr<TaskRunner>& runner) {
  const TaskOptions& options = *run->options_;
  if (runner && runner->remote_executor() != nullptr && options.remote != nullptr &&
      !options.remote->unsendable.empty()) {
    throw std::invalid_argument("task '" + *options.name + "' cannot run on the " + std::string(runner->name()) +
                                " task runner, which runs tasks in other processes: " + options.remote->unsendable +
                                " (see baton/serializer.h), or run its flow with the thread task runner");
  }
  Runtime& rt = Runtime::get();
  run->flow_ = current_flow_run();
  run->runner_ = runner;
  run->upstreams_ = std::move(upstreams);
  const TaskOptions& o = *run->options_;
  if (o.run_name_fn) {
    // The callable sees the run (id, parameters, flow run) through run_context().
    const RunContext& outer = current_context();
    ContextGuard guard(RunContext{run->flow_ ? &run->flow_ : nullptr, run.get(), outer.stop, outer.log_prints});
    run->run_name_ = o.run_name_fn();
  } else if (o.run_name_template.empty()) {
    run->run_name_ = *o.name + "-" + short_suffix(run->id_);
  } else {
    run->run_name_ = run->render_template(o.run_name_template);
  }
  if (!scope_tags().empty()) run->scope_tags_ = with_scope_tags(o.tags);
  run->state_ = State{StateType::Pending, rt.clock().now(), {}, nullptr};
  if (run->flow_) run->flow_->task_started();

  if (rt.history()) {
    const RunId flow_id = run->flow_ ? run->flow_->id : RunId{};
    rt.record(engine::TaskRunCreated{run->id_, flow_id, o.name, run->run_name_, run->describe_parameters(),
                                     !run->scope_tags_.empty() ? json_string_list(run->scope_tags_)
                                     : o.tags.empty()          ? std::string("[]")
                                                               : json_string_list(o.tags), run->state_.timestamp});
    for (const Upstream& u : run->upstreams_) {
      rt.record(engine::EdgeAdded{flow_id, u.run->id(), run->id_,
                                  u.data ? engine::EdgeKind::Data : engine::EdgeKind::WaitFor});
    }
  }

  if (!runner) {  // a direct call: wait for the upstreams here, then run in this thread
    for (const Upstream& u : run->upstreams_) u.run->wait();
    run->run();
    return;
  }
  // One count per upstream plus a guard held until every registration is done, so
  // an upstream finishing meanwhile cannot schedule the run early.
  run->waiting_.store(1 + static_cast<int>(run->upstreams_.size()), std::memory_order_relaxed);
  for (const Upstream& u : run->upstreams_) {
    if (!Engine::add_dependent(*u.run, run)) run->waiting_.fetch_sub(1, std::memory_order_acq_rel);
  }
  Engine::upstream_done(run);
}

}  // namespace baton::detail

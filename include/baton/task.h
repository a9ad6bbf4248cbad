#pragma once
// Tasks: any callable with typed arguments and a typed result, made observable,
// retryable and composable. Nothing to register, no base class.
//
//   auto add = baton::task("add", [](int a, int b) { return a + b; }).retries(2);
//   int three = add(1, 2);                     // runs now
//   baton::Future<int> f = add.submit(1, 2);   // runs on the flow's task runner
//   auto g = add.submit(f, 10);                // waits for f; records the edge
//   auto all = add.map(std::vector{1, 2, 3}, baton::unmapped(10));
#include <baton/detail/bound_run.h>
#include <baton/detail/function_traits.h>
#include <baton/future.h>
#include <baton/wrappers.h>

#include <chrono>
#include <functional>
#include <iterator>
#include <memory>
#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>

namespace baton {

// Where a callable came from, captured by BATON_TASK / BATON_FLOW: its source text
// gives parameter names (for run-name templates, the run history and a flow's
// command line) and, once caching lands, the task_source of cache keys.
struct SourceInfo {
  const char* text = "";
  const char* file = "";
  int line = 0;
};

// Exponential retry backoff: delays of factor, 2·factor, 4·factor, ...
struct ExponentialBackoff {
  std::chrono::milliseconds factor;
};
template <class Rep, class Period>
ExponentialBackoff exponential_backoff(std::chrono::duration<Rep, Period> factor) {
  return {std::chrono::duration_cast<std::chrono::milliseconds>(factor)};
}

namespace detail {

template <class R>
constexpr bool persistable() {
  if constexpr (std::is_void_v<R>) return true;
  else return Serializable<R> && std::is_default_constructible_v<R>;
}

void apply_source(TaskOptions& options, const SourceInfo& source);
std::vector<std::chrono::milliseconds> backoff_delays(std::chrono::milliseconds factor, int count);

template <class T>
constexpr bool mapped_arg_ok = std::ranges::range<T> && !is_string_like_v<T>;

// Whether map iterates an argument of type M: a range (not a string), quote(range)
// or a future of a range. Anything else is broadcast.
template <class M>
constexpr bool map_iterates() {
  if constexpr (is_unmapped<M>::value) return false;
  else if constexpr (is_quoted<M>::value) return mapped_arg_ok<std::remove_cvref_t<decltype(std::declval<M>().value)>>;
  else if constexpr (is_future_v<M>) {
    if constexpr (std::is_void_v<typename M::value_type>) return false;
    else return mapped_arg_ok<typename M::value_type>;
  } else {
    return mapped_arg_ok<M>;
  }
}

}  // namespace detail

template <class Sig>
class Task;

// A task call with extra ordering-only dependencies: `t.wait_for(f1, f2).submit(x)`.
template <class Sig>
class TaskCall;

template <class R, class... Args>
class Task<R(Args...)> {
 public:
  using result_type = R;
  using signature = R(Args...);
  using Fn = std::function<R(Args...)>;

  Task(std::string_view name, Fn fn, const SourceInfo* source = nullptr)
      : options_(std::make_shared<detail::TaskOptions>()), fn_(std::make_shared<const Fn>(std::move(fn))) {
    options_->name = detail::intern(name);
    options_->remote = detail::register_task_definition<R, Args...>(*options_->name, fn_);
    if (source != nullptr) detail::apply_source(*options_, *source);
  }

  const std::string& name() const { return *options_->name; }
  const detail::TaskOptions& options() const { return *options_; }

  // ---- Options. Each returns *this; configure before the first run.
  Task& retries(int n) { return edit().retries = n, *this; }
  template <class Rep, class Period>
  Task& retry_delay(std::chrono::duration<Rep, Period> d) {
    auto& o = edit();
    o.retry_delays = {std::chrono::duration_cast<std::chrono::milliseconds>(d)};
    o.retry_delays_set = true;
    return *this;
  }
  // One delay per attempt; the last one repeats.
  template <class Rep, class Period>
  Task& retry_delay(std::vector<std::chrono::duration<Rep, Period>> delays) {
    auto& o = edit();
    o.retry_delays.clear();
    for (auto d : delays) o.retry_delays.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(d));
    o.retry_delays_set = true;
    return *this;
  }
  Task& retry_delay(ExponentialBackoff b) {
    auto& o = edit();
    o.retry_delays = detail::backoff_delays(b.factor, 64);
    o.retry_delays_set = true;
    return *this;
  }
  // Each delay is drawn uniformly from [d·(1−f), d·(1+f)].
  // A negative or non-finite factor is refused (std::invalid_argument).
  Task& retry_jitter_factor(double f) {
    if (!(f >= 0) || f > 1e9) {
      throw std::invalid_argument("retry_jitter_factor of task '" + name() + "': " + std::to_string(f) +
                                  " is not a factor >= 0");
    }
    return edit().retry_jitter_factor = f, *this;
  }
  // Sees the failed attempt's state (message and error); returns false to stop retrying.
  Task& retry_condition(std::function<bool(const State&)> fn) {
    return edit().retry_condition = std::move(fn), *this;
  }
  // Per attempt. The run ends TimedOut; the body sees baton::stop_requested().
  template <class Rep, class Period>
  Task& timeout(std::chrono::duration<Rep, Period> d) {
    return edit().timeout = std::chrono::duration_cast<std::chrono::milliseconds>(d), *this;
  }
  Task& tags(std::vector<std::string> t) { return edit().tags = std::move(t), *this; }
  // "load-{path}": placeholders name the parameters, or {flow_run.name},
  // {flow_run.flow_name}, {flow_run.id}, {task_run.id}, {task_run.task_name}; an
  // unknown placeholder is refused at the call (std::invalid_argument naming it).
  Task& task_run_name(std::string tmpl) { return edit().run_name_template = std::move(tmpl), *this; }
  // A callable making the name; inside it baton::run_context() gives the run's id,
  // parameters and flow run (its name is what the callable returns).
  Task& task_run_name(std::function<std::string()> fn) { return edit().run_name_fn = std::move(fn), *this; }
  Task& on_completion(std::function<void(const TaskRunInfo&, const State&)> hook) {
    return edit().on_completion.push_back(std::move(hook)), *this;
  }
  Task& on_failure(std::function<void(const TaskRunInfo&, const State&)> hook) {
    return edit().on_failure.push_back(std::move(hook)), *this;
  }
  // Called as each attempt starts (Running, then Retrying), in the attempt's thread.
  // A hook that throws is logged; it never changes the run's state.
  Task& on_running(std::function<void(const TaskRunInfo&, const State&)> hook) {
    return edit().on_running.push_back(std::move(hook)), *this;
  }
  Task& log_prints(bool on) { return edit().log_prints = on, *this; }
  // Parameter names, when the task was not defined with BATON_TASK.
  Task& params(std::vector<std::string> names) { return edit().param_names = std::move(names), *this; }
  // Replaces the task's source text in cache keys (task_source).
  Task& version(std::string v) { return edit().version = std::move(v), *this; }

  // ---- Results and caching. A result type with no serializer is a compile-time
  // error here; see baton/serializer.h for how a type gets one.
  Task& persist_result(bool on = true) {
    static_assert(detail::persistable<R>(), "persist_result: the task's result type has no serializer");
    return edit().results.persist_result = on, *this;
  }
  Task& result_storage(std::shared_ptr<ResultStorage> storage) {
    return edit().results.storage = std::move(storage), *this;
  }
  Task& result_serializer(Serializer serializer) {
    static_assert(detail::persistable<R>(), "result_serializer: the task's result type has no serializer");
    return edit().results.serializer = serializer, *this;
  }
  // "taxi/{month}.bin": filled from the arguments (and {flow_run.name}, {task_run.id},
  // ...). It is the result's identity: the record is found by it, so a run whose
  // key already holds a result loads it instead of running (unless cache::none or
  // refresh_cache), and a changed key recomputes.
  Task& result_storage_key(std::string tmpl) { return edit().results.storage_key_template = std::move(tmpl), *this; }
  // false: once persisted, the value leaves memory; result() reloads it on demand.
  Task& cache_result_in_memory(bool on) { return edit().results.cache_result_in_memory = on, *this; }
  // Caching needs persisted results, so a policy turns persistence on for this task.
  Task& cache_policy(cache::Policy policy) {
    static_assert(detail::persistable<R>(), "cache_policy: caching persists results; the result type has no serializer");
    return edit().results.cache_policy = std::move(policy), *this;
  }
  // A key function takes precedence over cache_policy, whichever is set last.
  Task& cache_key_fn(cache::Policy::KeyFunction fn) {
    static_assert(detail::persistable<R>(), "cache_key_fn: caching persists results; the result type has no serializer");
    return edit().results.cache_key_fn = std::move(fn), *this;
  }
  template <class Rep, class Period>
  Task& cache_expiration(std::chrono::duration<Rep, Period> d) {
    return edit().results.cache_expiration = std::chrono::duration_cast<std::chrono::milliseconds>(d), *this;
  }
  // A run that ends Failed, TimedOut or Crashed stores its error text (a std::string,
  // binary serializer) under "failures/<task run id>" in its result storage, and
  // the history lists it with the run's results, so it can be read later.
  Task& persist_failures(bool on = true) { return edit().results.persist_failures = on, *this; }
  // Runs even on a cache hit and overwrites the cached result.
  Task& refresh_cache(bool on = true) { return edit().results.refresh_cache = on, *this; }
  // Serializable: concurrent runs with the same key compute once (a lock per key;
  // file locks under $BATON_HOME/locks unless a lock manager is given).
  Task& cache_isolation(Isolation level, std::shared_ptr<LockManager> locks = nullptr) {
    auto& r = edit().results;
    r.isolation = level;
    r.lock_manager = std::move(locks);
    return *this;
  }

  // ---- Calls.

  // Runs now, in this thread; returns the value or throws the error (after retries).
  template <class... P>
  R operator()(P&&... args) const {
    auto run = launch_now({}, std::forward<P>(args)...);
    run->throw_if_not_completed();
    if constexpr (!std::is_void_v<R>) return run->take_value();
  }

  // Runs now, like a call, but never throws: returns the finished run, whose
  // state() is final and whose result() gives the value.
  template <class... P>
  Future<R> return_state(P&&... args) const {
    return Future<R>(launch_now({}, std::forward<P>(args)...));
  }

  // Starts a run on the task runner of the current flow (or the default runner).
  template <class... P>
  Future<R> submit(P&&... args) const {
    return submit_with({}, std::forward<P>(args)...);
  }

  // One run per element: ranges are zipped (a string is not a range here);
  // quote(range) is mapped element by element, each element quoted; a future of
  // a range is resolved, then mapped (its run becomes every run's upstream);
  // anything else, and unmapped(x), is passed to every run. Ranges of unequal
  // length are refused before anything runs; no range at all is a compile error.
  template <class... M>
  std::vector<Future<R>> map(M&&... args) const {
    return map_with({}, std::forward<M>(args)...);
  }

  // Adds ordering-only dependencies (futures of any type, or allow_failure(f)).
  template <class... W>
  TaskCall<R(Args...)> wait_for(const W&... upstreams) const {
    std::vector<detail::Upstream> ups;
    (add_wait(ups, upstreams), ...);
    return TaskCall<R(Args...)>(*this, std::move(ups));
  }

  // ---- For TaskCall.
  template <class... P>
  std::shared_ptr<detail::ValuedRun<R>> launch_now(std::vector<detail::Upstream> extra, P&&... args) const {
    check_arity<P...>();
    // Held by reference (arrays too: a literal must not decay into a dangling pointer).
    using Run = detail::BoundRun<R, std::tuple<Args...>, detail::ByRef<std::remove_reference_t<P>>...>;
    auto run = std::make_shared<Run>(options_, fn_, detail::ByRef<std::remove_reference_t<P>>{args}...);
    run->collect_upstreams(extra);
    detail::launch(run, std::move(extra), nullptr);
    return run;
  }

  template <class... P>
  Future<R> submit_with(std::vector<detail::Upstream> extra, P&&... args) const {
    check_arity<P...>();
    using Run = detail::BoundRun<R, std::tuple<Args...>, std::decay_t<P>...>;
    auto run = std::make_shared<Run>(options_, fn_, std::forward<P>(args)...);
    run->collect_upstreams(extra);
    detail::launch(run, std::move(extra), detail::current_runner());
    return Future<R>(std::move(run));
  }

  template <class... M>
  std::vector<Future<R>> map_with(std::vector<detail::Upstream> extra, M&&... args) const {
    static_assert(sizeof...(M) == sizeof...(Args), "map: wrong number of arguments for this task");
    static_assert((detail::map_iterates<std::remove_cvref_t<M>>() || ...),
                  "map: no argument is a range to map over (a range other than a string, quote(range) or a "
                  "future of a range); every other argument is passed to each run as it is");
    std::size_t n = 0;
    bool first = true;
    std::size_t position = 0;
    auto check = [&](const auto& m) {
      using MT = std::remove_cvref_t<decltype(m)>;
      ++position;
      if constexpr (detail::map_iterates<MT>()) {
        if constexpr (is_future_v<MT>) extra.push_back({m.core(), true, false});  // resolved below: an edge
        auto size = static_cast<std::size_t>(std::ranges::distance(map_range(m)));
        if (first) {
          n = size, first = false;
        } else if (size != n) {
          throw std::invalid_argument("map of task '" + name() + "': argument " + std::to_string(position) +
                                      " has " + std::to_string(size) + " elements, an earlier one has " +
                                      std::to_string(n) + "; mapped arguments must have equal lengths");
        }
      }
    };
    (check(args), ...);
    std::vector<Future<R>> out;
    out.reserve(n);
    auto cursors = std::make_tuple(map_begin(args)...);
    for (std::size_t i = 0; i < n; ++i) {
      std::apply([&](auto&... c) { out.push_back(submit_with(extra, map_element(c)...)); }, cursors);
      std::apply([](auto&... c) { (map_advance(c), ...); }, cursors);
    }
    return out;
  }

 private:
  template <class... P>
  static constexpr void check_arity() {
    static_assert(sizeof...(P) == sizeof...(Args), "wrong number of arguments for this task");
    static_assert(std::is_invocable_v<Fn, detail::resolved_t<Args, detail::stored_t<std::decay_t<P>>>...>,
                  "an argument does not convert to the task's parameter type");
  }

  // Map helpers. A range, quote(range) or a future of a range is iterated (the
  // future is resolved first, as Prefect does); anything else, unmapped(x)
  // included, is passed to every run.
  template <class V>
  struct Broadcast {
    const V* value;
  };
  template <class It, bool Quote>
  struct Walk {
    It it;
  };
  template <class M>
  static const auto& map_range(const M& m) {
    if constexpr (is_quoted<M>::value) return m.value;
    else if constexpr (is_future_v<M>) return m.result();
    else return m;
  }
  template <class M>
  static auto map_begin(const M& m) {
    if constexpr (!detail::map_iterates<M>()) {
      if constexpr (is_unmapped<M>::value) return Broadcast<std::remove_cvref_t<decltype(m.value)>>{&m.value};
      else return Broadcast<M>{&m};
    } else {
      auto it = std::ranges::begin(map_range(m));
      return Walk<decltype(it), is_quoted<M>::value>{it};
    }
  }
  template <class V>
  static const V& map_element(const Broadcast<V>& c) {
    return *c.value;
  }
  template <class It, bool Quote>
  static decltype(auto) map_element(const Walk<It, Quote>& c) {
    if constexpr (Quote) return quote(*c.it);  // each element stays out of cache keys
    else return (*c.it);
  }
  template <class V>
  static void map_advance(Broadcast<V>&) {}
  template <class It, bool Quote>
  static void map_advance(Walk<It, Quote>& c) {
    ++c.it;
  }

  template <class W>
  static void add_wait(std::vector<detail::Upstream>& ups, const W& w) {
    if constexpr (std::is_base_of_v<AllowFailure, W>) {
      ups.push_back({w.run, false, true});
    } else if constexpr (is_future_v<W>) {
      ups.push_back({w.core(), false, false});
    } else {
      for (const auto& f : w) add_wait(ups, f);  // a container of futures
    }
  }

  detail::TaskOptions& edit() {
    // Copy on write: runs in flight and copies of this task keep the options they had.
    if (options_.use_count() > 1) options_ = std::make_shared<detail::TaskOptions>(*options_);
    return *options_;
  }

  std::shared_ptr<detail::TaskOptions> options_;
  std::shared_ptr<const Fn> fn_;
};

template <class R, class... Args>
class TaskCall<R(Args...)> {
 public:
  TaskCall(Task<R(Args...)> task, std::vector<detail::Upstream> ups) : task_(std::move(task)), ups_(std::move(ups)) {}

  template <class... P>
  R operator()(P&&... args) const {
    auto run = task_.launch_now(ups_, std::forward<P>(args)...);
    run->throw_if_not_completed();
    if constexpr (!std::is_void_v<R>) return run->take_value();
  }
  template <class... P>
  Future<R> return_state(P&&... args) const {
    return Future<R>(task_.launch_now(ups_, std::forward<P>(args)...));
  }
  template <class... P>
  Future<R> submit(P&&... args) const {
    return task_.submit_with(ups_, std::forward<P>(args)...);
  }
  template <class... M>
  std::vector<Future<R>> map(M&&... args) const {
    return task_.map_with(ups_, std::forward<M>(args)...);
  }

 private:
  Task<R(Args...)> task_;
  std::vector<detail::Upstream> ups_;
};

// Makes a task from a callable.
template <class F>
auto task(std::string_view name, F&& fn, const SourceInfo* source = nullptr) {
  using Sig = typename detail::function_traits<std::decay_t<F>>::signature;
  return Task<Sig>(name, std::forward<F>(fn), source);
}

// Adds tags to every task and flow run created by this thread while it lives,
// like Prefect's `with tags("nightly"):`. Scopes nest; the run's own tags come first.
class tags_scope {
 public:
  explicit tags_scope(std::vector<std::string> tags);
  ~tags_scope();
  tags_scope(const tags_scope&) = delete;
  tags_scope& operator=(const tags_scope&) = delete;

 private:
  std::size_t added_;
};

// Inside a task or flow body: stop_requested() turns true when the run passes its
// timeout or is cancelled; throw_if_stop_requested() ends it Cancelled/TimedOut.
bool stop_requested();
std::stop_token stop_token();
void throw_if_stop_requested();

}  // namespace baton

// Defines a task and captures the callable's source text, so parameter names are
// known (run-name templates, history) and cache keys can include the task source.
#define BATON_TASK(name, ...)                                                           \
  ::baton::task(name, __VA_ARGS__, [] {                                                 \
    static const ::baton::SourceInfo baton_source_{#__VA_ARGS__, __FILE__, __LINE__}; \
    return &baton_source_;                                                              \
  }())

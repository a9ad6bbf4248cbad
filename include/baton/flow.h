#pragma once
// Flows: the function that composes tasks. A call is a flow run, recorded with its
// parameters; a flow called inside a flow is a child flow run.
//
//   auto etl = baton::flow("etl", [](const std::string& path) { ... }).log_prints(true);
//   etl("taxi.parquet");
#include <baton/detail/function_traits.h>
#include <baton/fingerprint.h>
#include <baton/detail/values.h>
#include <baton/task.h>
#include <baton/task_runner.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <string_view>
#include <string>
#include <vector>

namespace baton {

namespace detail {

struct FlowOptions {
  const std::string* name = nullptr;  // interned
  std::string description;
  std::string version;
  std::vector<std::string> param_names;
  std::string source_text;
  int retries = 0;
  std::chrono::milliseconds retry_delay{0};
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<bool> log_prints;  // unset: BATON_LOG_PRINTS
  std::shared_ptr<TaskRunner> task_runner;  // unset: BATON_TASK_RUNNER
  std::vector<std::string> tags;
  std::string run_name_template;               // "etl-{month}"
  std::function<std::string()> run_name_fn;    // wins over the template
  std::vector<std::function<void(const FlowRunInfo&, const State&)>> on_completion;
  std::vector<std::function<void(const FlowRunInfo&, const State&)>> on_failure;
  std::vector<std::function<void(const FlowRunInfo&, const State&)>> on_running;
  std::vector<std::function<void(const FlowRunInfo&, const State&)>> on_cancellation;
  // Persistence defaults for the flow's tasks (persist_result, storage, serializer).
  ResultOptions results;
};

// Thrown by the typed layer when a flow body returns a state that is not
// Completed (baton::Failed(...), baton::Cancelled()): the run ends in it.
class ReturnedStateError : public Error {
 public:
  ReturnedStateError(StateType type, const std::string& message) : Error(message), type_(type) {}
  StateType type() const { return type_; }

 private:
  StateType type_;
};

template <class V>
void raise_returned_state(const V& value) {
  if constexpr (std::is_same_v<V, State>) {
    if (!value.is_completed()) {
      if (value.error) std::rethrow_exception(value.error);
      throw ReturnedStateError(value.type, value.message.empty() ? std::string(value.name()) : value.message);
    }
  }
}

// A flow's return value as the engine persists and reloads it (persist_result on
// a child flow: a parent's retry loads it instead of running the child again).
struct FlowResultIO {
  std::string_view type_name;
  std::function<void(const Serializer&, ByteSink&)> write;  // the value, which is present
  std::function<void(const Serializer&, ByteSource&)> read;
};

// One call of a flow, as the typed layer hands it to the engine.
struct FlowCall {
  // Called only when history is on (and by run_context()).
  std::function<std::string()> describe_parameters;
  std::optional<Fingerprint> parameters_fingerprint;
  std::function<void()> attempt;
  const FlowResultIO* result = nullptr;  // null: the return value is not persistable
  // Parameter names and display values, for a flow_run_name template (called only then).
  std::function<void(std::vector<std::string>&, std::vector<std::string>&)> display_parameters;
  bool throw_on_failure = true;         // false: return_state()
};

// Runs one flow run: records it, runs `call.attempt` with retries and timeout in
// this thread with the flow as context, waits for the task runs it started,
// records the final state and returns it; throws if it is not Completed unless
// `throw_on_failure` is false.
State execute_flow(const std::shared_ptr<const FlowOptions>& options, const FlowCall& call);

template <class... P>
std::optional<Fingerprint> fingerprint_parameters(const P&... args) {
  if constexpr ((Fingerprintable<P> && ...)) {
    Hasher h;
    (hash_value(h, args), ...);
    return h.digest();
  } else {
    return std::nullopt;  // the flow_parameters cache policy part then gives no key
  }
}

// Prefect's rule: a flow's final state follows what its body returns as well as
// what it throws. A returned future (or a range of them) whose run did not
// complete fails the flow run with that run's error; retries apply as for a throw.
template <class V>
void raise_returned_failure(const V& value) {
  if constexpr (is_future_v<V>) {
    if (value.valid()) {
      value.core()->wait();
      value.core()->throw_if_not_completed();
    }
  } else if constexpr (std::ranges::range<const V> && !std::is_convertible_v<const V&, std::string_view>) {
    if constexpr (is_future_v<std::ranges::range_value_t<const V>>) {
      for (const auto& f : value) raise_returned_failure(f);
    }
  }
}

}  // namespace detail

// A flow parameter as a flow program's command line shows it.
struct ParameterInfo {
  std::string name;
  std::string type;  // int, float, bool, string, list[int], ...
  bool optional = false;
};

template <class Sig>
class Flow;

template <class R, class... Args>
class Flow<R(Args...)> {
 public:
  using result_type = R;
  using Fn = std::function<R(Args...)>;

  Flow(std::string_view name, Fn fn, const SourceInfo* source = nullptr)
      : options_(std::make_shared<detail::FlowOptions>()), fn_(std::make_shared<const Fn>(std::move(fn))) {
    options_->name = detail::intern(name);
    if (source != nullptr) {
      options_->source_text = source->text;
      options_->param_names = detail::parse_parameter_names(source->text);
    }
  }

  const std::string& name() const { return *options_->name; }
  const detail::FlowOptions& options() const { return *options_; }

  Flow& description(std::string d) { return edit().description = std::move(d), *this; }
  Flow& version(std::string v) { return edit().version = std::move(v), *this; }
  Flow& retries(int n) { return edit().retries = n, *this; }
  template <class Rep, class Period>
  Flow& retry_delay(std::chrono::duration<Rep, Period> d) {
    return edit().retry_delay = std::chrono::duration_cast<std::chrono::milliseconds>(d), *this;
  }
  template <class Rep, class Period>
  Flow& timeout(std::chrono::duration<Rep, Period> d) {
    return edit().timeout = std::chrono::duration_cast<std::chrono::milliseconds>(d), *this;
  }
  // Captures std::cout/std::cerr of the flow and, unless they say otherwise, its tasks.
  Flow& log_prints(bool on) { return edit().log_prints = on, *this; }
  // The runner used by submit and map inside this flow.
  Flow& task_runner(std::shared_ptr<TaskRunner> runner) { return edit().task_runner = std::move(runner), *this; }
  Flow& tags(std::vector<std::string> t) { return edit().tags = std::move(t), *this; }
  // "etl-{month}": parameter names, {flow_run.id} and {flow_run.flow_name}; an
  // unknown placeholder is refused at the call (std::invalid_argument naming it).
  Flow& flow_run_name(std::string tmpl) { return edit().run_name_template = std::move(tmpl), *this; }
  // A callable making the name; baton::run_context() inside it gives the run's
  // id and parameters.
  Flow& flow_run_name(std::function<std::string()> fn) { return edit().run_name_fn = std::move(fn), *this; }
  Flow& params(std::vector<std::string> names) { return edit().param_names = std::move(names), *this; }
  Flow& on_completion(std::function<void(const FlowRunInfo&, const State&)> hook) {
    return edit().on_completion.push_back(std::move(hook)), *this;
  }
  Flow& on_failure(std::function<void(const FlowRunInfo&, const State&)> hook) {
    return edit().on_failure.push_back(std::move(hook)), *this;
  }
  // Called as each attempt starts, in the flow's thread, with run_context() set.
  Flow& on_running(std::function<void(const FlowRunInfo&, const State&)> hook) {
    return edit().on_running.push_back(std::move(hook)), *this;
  }
  // Called when the run ends Cancelled (cancelled, or its body returned Cancelled()).
  Flow& on_cancellation(std::function<void(const FlowRunInfo&, const State&)> hook) {
    return edit().on_cancellation.push_back(std::move(hook)), *this;
  }
  // Defaults for the flow's tasks, which may override them.
  Flow& persist_result(bool on = true) { return edit().results.persist_result = on, *this; }
  Flow& result_storage(std::shared_ptr<ResultStorage> storage) {
    return edit().results.storage = std::move(storage), *this;
  }
  Flow& result_serializer(Serializer serializer) { return edit().results.serializer = serializer, *this; }

  // Runs the flow now, in this thread; returns its value or throws. A body that
  // returns a state that is not Completed (baton::Failed("..."), baton::Cancelled())
  // ends the run in it, as does a returned future of a failed run.
  template <class... P>
  R operator()(P&&... args) const {
    std::optional<std::conditional_t<std::is_void_v<R>, int, R>> out;  // int: a placeholder for void
    run(true, out, std::forward<P>(args)...);
    if constexpr (!std::is_void_v<R>) return std::move(*out);
  }

  // Runs the flow now, like a call, but never throws for the run's outcome: returns
  // its final state (Completed, Cached, Failed, TimedOut or Cancelled, with the
  // message and the error).
  template <class... P>
  State return_state(P&&... args) const {
    std::optional<std::conditional_t<std::is_void_v<R>, int, R>> out;
    return run(false, out, std::forward<P>(args)...);
  }

 private:
  template <class Out, class... P>
  State run(bool throw_on_failure, Out& out, P&&... args) const {
    static_assert(sizeof...(P) == sizeof...(Args), "wrong number of arguments for this flow");
    auto describe = [&] {
      std::string json = "{";
      std::size_t i = 0;
      ((json += (i ? ",\"" : "\"") + detail::param_name(options_->param_names, i) + "\":" + detail::to_json(args),
        ++i),
       ...);
      return json + "}";
    };
    detail::FlowCall call;
    call.describe_parameters = describe;
    call.parameters_fingerprint = detail::fingerprint_parameters(args...);
    call.attempt = [&] {
      if constexpr (std::is_void_v<R>) {
        (*fn_)(args...);
      } else {
        out.emplace((*fn_)(args...));
        detail::raise_returned_state(*out);
        detail::raise_returned_failure(*out);
      }
    };
    if (!options_->run_name_template.empty()) {
      call.display_parameters = [&](std::vector<std::string>& names, std::vector<std::string>& values) {
        std::size_t i = 0;
        ((names.push_back(detail::param_name(options_->param_names, i++)), values.push_back(detail::to_display(args))),
         ...);
      };
    }
    [[maybe_unused]] detail::FlowResultIO io;
    if constexpr (detail::persistable<R>()) {
      if constexpr (!std::is_void_v<R>) {
        io.type_name = type_name<R>();
        io.write = [&out](const Serializer& s, ByteSink& sink) { serialize_to(s, *out, sink); };
        io.read = [&out](const Serializer& s, ByteSource& source) { out.emplace(deserialize_from<R>(s, source)); };
      } else {
        io.type_name = "void";
        io.write = [](const Serializer&, ByteSink&) {};
        io.read = [&out](const Serializer&, ByteSource&) { out.emplace(0); };
      }
      call.result = &io;
    }
    call.throw_on_failure = throw_on_failure;
    return detail::execute_flow(options_, call);
  }

 public:
  // Parameters as a command line shows them (names from BATON_FLOW or params()).
  std::vector<ParameterInfo> parameters() const {
    std::vector<ParameterInfo> out;
    std::size_t i = 0;
    ((out.push_back({detail::param_name(options_->param_names, i++), detail::type_label<Args>(),
                     detail::is_optional<std::remove_cvref_t<Args>>::value})),
     ...);
    return out;
  }

 private:
  detail::FlowOptions& edit() {
    if (options_.use_count() > 1) options_ = std::make_shared<detail::FlowOptions>(*options_);
    return *options_;
  }

  std::shared_ptr<detail::FlowOptions> options_;
  std::shared_ptr<const Fn> fn_;
};

template <class F>
auto flow(std::string_view name, F&& fn, const SourceInfo* source = nullptr) {
  using Sig = typename detail::function_traits<std::decay_t<F>>::signature;
  return Flow<Sig>(name, std::forward<F>(fn), source);
}

}  // namespace baton

// Defines a flow and captures its source text (parameter names for the command line).
#define BATON_FLOW(name, ...)                                                           \
  ::baton::flow(name, __VA_ARGS__, [] {                                                 \
    static const ::baton::SourceInfo baton_source_{#__VA_ARGS__, __FILE__, __LINE__}; \
    return &baton_source_;                                                              \
  }())

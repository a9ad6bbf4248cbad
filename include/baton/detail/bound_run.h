#pragma once
// A task run bound to its function and arguments: how stored arguments become the
// function's parameters. Which arguments are futures is decided here, from the
// types, at compile time; argument values are never walked.
#include <baton/cache_key_context.h>
#include <baton/detail/values.h>
#include <baton/fingerprint.h>
#include <baton/future.h>
#include <baton/detail/remote_task.h>
#include <baton/serializer.h>
#include <baton/type_name.h>
#include <baton/wrappers.h>

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

namespace baton::detail {

// An argument of a direct call, held by reference: the call finishes before the
// caller's full expression ends, so nothing is copied.
template <class S>
struct ByRef {
  const S& ref;
};
template <class S>
const S& unref(const S& s) {
  return s;
}
template <class S>
const S& unref(const ByRef<S>& s) {
  return s.ref;
}
template <class S>
struct stored_type {
  using type = S;
};
template <class S>
struct stored_type<ByRef<S>> {
  using type = S;
};
template <class S>
using stored_t = typename stored_type<S>::type;

// The value passed to a parameter of type A for a stored argument S.
template <class A, class S>
decltype(auto) resolve_arg(const S& stored) {
  const auto& s = unref(stored);
  using V = std::remove_cvref_t<decltype(s)>;
  if constexpr (is_future_v<V> && !is_future_v<A>) {
    static_assert(!std::is_void_v<typename V::value_type>,
                  "a Future<void> carries no value; pass it in wait_for(...) instead");
    return s.core()->value();
  } else if constexpr (is_quoted<V>::value) {
    return (s.value);
  } else if constexpr (is_allow_failure<V>::value) {
    static_assert(is_outcome<std::remove_cvref_t<A>>::value,
                  "allow_failure(f) as a data argument: the task's parameter must be baton::Outcome<T> "
                  "(the upstream's value or error)");
    return std::remove_cvref_t<A>(s.future);
  } else {
    return (s);
  }
}

template <class A, class S>
using resolved_t = decltype(resolve_arg<A>(std::declval<const S&>()));

// Futures passed to non-future parameters are data dependencies.
template <class A, class S>
void collect_upstream(const S& stored, std::vector<Upstream>& out) {
  const auto& s = unref(stored);
  using V = std::remove_cvref_t<decltype(s)>;
  if constexpr (is_future_v<V> && !is_future_v<A>) out.push_back({s.core(), true, false});
  if constexpr (is_allow_failure<V>::value) out.push_back({s.run, true, true});
}

// Writes an argument for a worker process: an upstream's value may travel as a
// reference (see RemoteArgumentSink).
template <class A, class S>
void write_remote_arg(const S& stored, RemoteArgumentSink& sink) {
  using P = std::remove_cvref_t<A>;
  const auto& s = unref(stored);
  using V = std::remove_cvref_t<decltype(s)>;
  if constexpr (is_future_v<V> && !is_future_v<A>) {
    auto* core = s.core().get();
    sink.upstream(*core, std::is_same_v<typename V::value_type, P>,
                  [core](ByteSink& out) { write_parameter<P>(core->value(), out); });
  } else {
    const auto& v = resolve_arg<A>(stored);
    sink.value([&v](ByteSink& out) { write_parameter<P>(v, out); });
  }
}

template <class S>
std::string describe_arg(const S& stored) {
  const auto& s = unref(stored);
  using V = std::remove_cvref_t<decltype(s)>;
  if constexpr (is_future_v<V>) return "{\"upstream\":\"" + s.task_run_id().str() + "\"}";
  else if constexpr (is_allow_failure<V>::value) return "{\"upstream\":\"" + s.future.task_run_id().str() + "\"}";
  else if constexpr (is_quoted<V>::value) return to_json(s.value);
  else return to_json(s);
}

template <class S>
std::string display_arg(const S& stored) {
  const auto& s = unref(stored);
  using V = std::remove_cvref_t<decltype(s)>;
  if constexpr (is_future_v<V>) return s.run_name();
  else if constexpr (is_allow_failure<V>::value) return s.future.run_name();
  else if constexpr (is_quoted<V>::value) return to_display(s.value);
  else return to_display(s);
}

// The fingerprint of an argument for cache keys: nullopt leaves it out of the key
// (quote(x)); `fingerprintable` turns false for a type that cannot be fingerprinted.
template <class S>
std::optional<Fingerprint> fingerprint_arg(const S& stored, bool& fingerprintable) {
  const auto& s = unref(stored);
  using V = std::remove_cvref_t<decltype(s)>;
  if constexpr (is_quoted<V>::value) {
    return std::nullopt;
  } else if constexpr (is_allow_failure<V>::value) {
    fingerprintable = false;  // an error is not a cacheable input
    return std::nullopt;
  } else if constexpr (is_future_v<V>) {
    if (auto persisted = s.core()->persisted_fingerprint()) return persisted;
    using T = typename V::value_type;
    if constexpr (std::is_void_v<T>) {
      return Fingerprint{};
    } else if constexpr (Fingerprintable<T>) {
      return fingerprint_of(s.core()->value());
    } else {
      fingerprintable = false;
      return std::nullopt;
    }
  } else if constexpr (Fingerprintable<V>) {
    return fingerprint_of(s);
  } else {
    fingerprintable = false;
    return std::nullopt;
  }
}

std::string param_name(const std::vector<std::string>& names, std::size_t i);
// Fills {name} placeholders from parallel name/value lists and {task_run.*} /
// {flow_run.*} from `run` and its flow run; throws std::invalid_argument naming an
// unknown placeholder.
std::string render_template(const std::string& tmpl, const std::vector<std::string>& names,
                            const std::vector<std::string>& values, const TaskRunCore* run);

template <class R, class Params, class... S>
class BoundRun;

template <class R, class... A, class... S>
class BoundRun<R, std::tuple<A...>, S...> final : public ValuedRun<R> {
 public:
  using Fn = std::function<R(A...)>;

  template <class... P>
  BoundRun(std::shared_ptr<const TaskOptions> options, std::shared_ptr<const Fn> fn, P&&... args)
      : ValuedRun<R>(std::move(options)), fn_(std::move(fn)), args_(std::forward<P>(args)...) {}

  void collect_upstreams(std::vector<Upstream>& out) const {
    collect(out, std::index_sequence_for<A...>{});
  }

  void invoke() override { call(std::index_sequence_for<A...>{}); }

  std::string describe_parameters() const override {
    return describe(std::index_sequence_for<A...>{});
  }

  std::string render_template(const std::string& tmpl) const override {
    return render(tmpl, std::index_sequence_for<A...>{});
  }

  bool value_serializable() const override {
    if constexpr (std::is_void_v<R>) return true;
    else return Serializable<R>;
  }
  std::string value_type_name() const override {
    if constexpr (std::is_void_v<R>) return "void";
    else return std::string(type_name<R>());
  }
  void write_value([[maybe_unused]] const Serializer& serializer, [[maybe_unused]] ByteSink& sink) const override {
    if constexpr (!std::is_void_v<R>) {
      if constexpr (Serializable<R>) serialize_to(serializer, *this->value_, sink);
      else throw SerializationError("type " + value_type_name() + " has no serializer");
    }
  }
  void read_value([[maybe_unused]] const Serializer& serializer, [[maybe_unused]] ByteSource& source) override {
    if constexpr (!std::is_void_v<R>) {
      if constexpr (Serializable<R> && std::is_default_constructible_v<R>) {
        this->value_.emplace(deserialize_from<R>(serializer, source));
      } else {
        throw SerializationError("type " + value_type_name() + " cannot be read back");
      }
    }
  }
  void write_arguments([[maybe_unused]] RemoteArgumentSink& sink) const override {
    if constexpr (sendable_signature<R, A...>()) {
      write_args(sink, std::index_sequence_for<A...>{});
    } else {
      throw Error("task '" + *this->options().name + "' cannot run in another process: " + unsendable_reason<R, A...>());
    }
  }
  void drop_value() override {
    if constexpr (!std::is_void_v<R>) this->value_.reset();
    this->value_ready_.store(false, std::memory_order_release);
  }
  std::optional<std::string> compute_cache_key(const cache::Policy& policy, const RunId& flow_run,
                                               const std::optional<Fingerprint>& flow_parameters,
                                               std::string& why_not) const override {
    return key(policy, flow_run, flow_parameters, why_not, std::index_sequence_for<A...>{});
  }

 private:
  template <std::size_t... I>
  void call(std::index_sequence<I...>) {
    if constexpr (std::is_void_v<R>) {
      (*fn_)(resolve_arg<A>(std::get<I>(args_))...);
    } else {
      this->value_.emplace((*fn_)(resolve_arg<A>(std::get<I>(args_))...));
    }
  }
  template <std::size_t... I>
  void write_args(RemoteArgumentSink& sink, std::index_sequence<I...>) const {
    (write_remote_arg<A>(std::get<I>(args_), sink), ...);
  }
  template <std::size_t... I>
  void collect(std::vector<Upstream>& out, std::index_sequence<I...>) const {
    (collect_upstream<A>(std::get<I>(args_), out), ...);
  }
  template <std::size_t... I>
  std::string describe(std::index_sequence<I...>) const {
    std::string out = "{";
    const auto& names = this->options().param_names;
    ((out += (I ? ",\"" : "\"") + param_name(names, I) + "\":" + describe_arg(std::get<I>(args_))), ...);
    return out + "}";
  }
  template <std::size_t... I>
  std::string render(const std::string& tmpl, std::index_sequence<I...>) const {
    std::vector<std::string> names{param_name(this->options().param_names, I)...};
    std::vector<std::string> values{display_arg(std::get<I>(args_))...};
    return detail::render_template(tmpl, names, values, this);
  }

  template <std::size_t... I>
  std::optional<std::string> key(const cache::Policy& policy, const RunId& flow_run,
                                 const std::optional<Fingerprint>& flow_parameters, std::string& why_not,
                                 std::index_sequence<I...>) const {
    const TaskOptions& o = this->options();
    [[maybe_unused]] std::array<std::string, sizeof...(A)> names{param_name(o.param_names, I)...};
    std::array<cache::Argument, sizeof...(A)> args{};
    bool fingerprintable = true;
    const auto& excluded = policy.excluded_arguments();
    const bool wants_inputs = (policy.parts().bits & cache::Parts::kInputs) || (policy.parts().bits == 0 && !policy.is_none());
    [[maybe_unused]] auto fingerprint_one = [&](const auto& stored, const std::string& name) -> std::optional<Fingerprint> {
      if (!wants_inputs || std::find(excluded.begin(), excluded.end(), name) != excluded.end()) return std::nullopt;
      bool ok = true;
      auto fp = fingerprint_arg(stored, ok);
      if (!ok && fingerprintable) {
        fingerprintable = false;
        why_not = "argument '" + name + "' has a type that cannot be fingerprinted";
      }
      return fp;
    };
    ((args[I] = cache::Argument{names[I], fingerprint_one(std::get<I>(args_), names[I])}), ...);
    if (!fingerprintable) return std::nullopt;
    cache::KeyContext ctx{*o.name, o.version.empty() ? std::string_view(o.source_text) : std::string_view(o.version),
                          flow_run, flow_parameters, std::span<const cache::Argument>(args.data(), args.size())};
    return policy.compute_key(ctx);
  }

  std::shared_ptr<const Fn> fn_;
  std::tuple<S...> args_;
};

}  // namespace baton::detail

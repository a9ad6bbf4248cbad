#pragma once
// A task run bound to its function and arguments: how stored arguments become the
// function's parameters. Which arguments are futures is decided here, from the
// types, at compile time; argument values are never walked.
#include <baton/detail/values.h>
#include <baton/future.h>
#include <baton/wrappers.h>

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
}

template <class S>
std::string describe_arg(const S& stored) {
  const auto& s = unref(stored);
  using V = std::remove_cvref_t<decltype(s)>;
  if constexpr (is_future_v<V>) return "{\"upstream\":\"" + s.task_run_id().str() + "\"}";
  else if constexpr (is_quoted<V>::value) return to_json(s.value);
  else return to_json(s);
}

template <class S>
std::string display_arg(const S& stored) {
  const auto& s = unref(stored);
  using V = std::remove_cvref_t<decltype(s)>;
  if constexpr (is_future_v<V>) return s.run_name();
  else if constexpr (is_quoted<V>::value) return to_display(s.value);
  else return to_display(s);
}

std::string param_name(const std::vector<std::string>& names, std::size_t i);
// Fills {name} placeholders from parallel name/value lists.
std::string render_template(const std::string& tmpl, const std::vector<std::string>& names,
                            const std::vector<std::string>& values);

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

  std::string render_run_name(const std::string& tmpl) const override {
    return render(tmpl, std::index_sequence_for<A...>{});
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
    return render_template(tmpl, names, values);
  }

  std::shared_ptr<const Fn> fn_;
  std::tuple<S...> args_;
};

}  // namespace baton::detail

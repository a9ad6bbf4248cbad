#pragma once
// Tasks as another process of the same program runs them (the process pool and
// MPI runners). Every task definition registers here when it is constructed, so
// a worker process, forked from the program or started by mpirun from the same
// binary, finds a task by name and signature; arguments and results cross the
// process boundary through the binary serializer.
#include <baton/detail/type_traits.h>
#include <baton/future.h>
#include <baton/serializer.h>
#include <baton/type_name.h>
#include <baton/wrappers.h>

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace baton::detail {

class TaskRunCore;

// The arguments of a remote call, as the worker reads them.
class RemoteArguments {
 public:
  virtual ~RemoteArguments() = default;
  // Hands argument `i` to `read` with the serializer it was written with. Throws
  // Error naming the argument when it cannot be had (a reference that is gone).
  virtual void read(std::size_t i, std::string_view type_name,
                    const std::function<void(const Serializer&, ByteSource&)>& read) = 0;
};

// Where the submitting process writes a run's arguments, one call per argument.
class RemoteArgumentSink {
 public:
  virtual ~RemoteArgumentSink() = default;
  // A value that exists only here: `write` serializes it (binary).
  virtual void value(const std::function<void(ByteSink&)>& write) = 0;
  // The value of an upstream run. When it already lives elsewhere (result storage,
  // another rank) and `same_type` holds, only a reference travels; otherwise
  // `write` serializes it.
  virtual void upstream(TaskRunCore& run, bool same_type, const std::function<void(ByteSink&)>& write) = 0;
};

struct RemoteTask {
  std::string key;         // "<name>(<signature>)": how another process finds it
  std::size_t serial = 0;  // registration order in this process
  std::string result_type;  // type_name of the result ("void" for none)
  std::string unsendable;  // why it cannot run in another process; empty if it can
  // Reads the arguments, calls the body, writes the result with `serializer` to
  // `result` (unused for a void task). Throws what the body throws.
  std::function<void(RemoteArguments& args, const Serializer& serializer, ByteSink& result)> invoke;
};

// Registers a task definition; the entry lives as long as the process. A later
// registration under the same key replaces the earlier one for find_remote_task.
const RemoteTask* register_remote_task(RemoteTask task);
// The task registered under `key`; with `serial` (a forked worker, whose registry
// is a copy of its parent's) exactly that entry when its key matches. Null if none.
const RemoteTask* find_remote_task(std::string_view key, std::size_t serial = static_cast<std::size_t>(-1));
// How many registrations this process has seen (a forked worker knows only the
// entries made before its fork).
std::size_t remote_task_count();

template <class A>
constexpr bool sendable_parameter() {
  using P = std::remove_cvref_t<A>;
  if constexpr (is_future_v<P>) return false;
  else return Serializable<P> && std::is_default_constructible_v<P>;
}

template <class R>
constexpr bool sendable_result() {
  if constexpr (std::is_void_v<R>) return true;
  else return Serializable<R> && std::is_default_constructible_v<R>;
}

// True when runs of a task with this signature can run in another process: every
// parameter and the result have serializers. `static_assert(baton::sendable<F>)`
// makes it a compile-time check for a task meant for the process or MPI runner.
template <class R, class... Args>
constexpr bool sendable_signature() {
  return sendable_result<R>() && (sendable_parameter<Args>() && ...);
}

template <class R, class... Args>
std::string unsendable_reason() {
  if constexpr (!sendable_result<R>()) {
    return "its result type " + std::string(type_name<R>()) + " has no serializer";
  } else {
    std::string why;
    std::size_t i = 0;
    auto check = [&](bool ok, std::string_view type) {
      ++i;
      if (!ok && why.empty()) {
        why = "parameter " + std::to_string(i) + " (type " + std::string(type) + ") " +
              (type.find("baton::Future") != std::string_view::npos ? "is a future" : "has no serializer");
      }
    };
    (check(sendable_parameter<Args>(), type_name<std::remove_cvref_t<Args>>()), ...);
    return why;
  }
}

template <class R, class... Args, std::size_t... I>
void invoke_remote(const std::function<R(Args...)>& fn, RemoteArguments& in, const Serializer& serializer,
                   ByteSink& out, std::index_sequence<I...>) {
  std::tuple<std::remove_cvref_t<Args>...> values;
  (in.read(I, type_name<std::remove_cvref_t<Args>>(),
           [&values](const Serializer& s, ByteSource& source) {
             using P = std::tuple_element_t<I, std::tuple<std::remove_cvref_t<Args>...>>;
             std::get<I>(values) = deserialize_from<P>(s, source);
           }),
   ...);
  if constexpr (std::is_void_v<R>) {
    std::apply(fn, std::move(values));
  } else {
    serialize_to(serializer, std::apply(fn, std::move(values)), out);
  }
}

template <class R, class... Args>
const RemoteTask* register_task_definition(const std::string& name, std::shared_ptr<const std::function<R(Args...)>> fn) {
  RemoteTask task;
  task.key = name + "(" + std::string(type_name<R(Args...)>()) + ")";
  if constexpr (std::is_void_v<R>) task.result_type = "void";
  else task.result_type = std::string(type_name<R>());
  if constexpr (sendable_signature<R, Args...>()) {
    task.invoke = [fn = std::move(fn)](RemoteArguments& in, const Serializer& serializer, ByteSink& out) {
      invoke_remote(*fn, in, serializer, out, std::index_sequence_for<Args...>{});
    };
  } else {
    task.unsendable = unsendable_reason<R, Args...>();
  }
  return register_remote_task(std::move(task));
}

// Writes a parameter's value as the worker will read it: as the parameter's type.
template <class P, class V>
void write_parameter(const V& v, ByteSink& out) {
  if constexpr (std::is_same_v<std::remove_cvref_t<V>, P>) serialize_to(Serializer::binary(), v, out);
  else serialize_to(Serializer::binary(), P(v), out);
}

}  // namespace baton::detail

namespace baton {
// See detail::sendable_signature.
template <class TaskType>
constexpr bool sendable = [] {
  using Sig = typename TaskType::signature;
  return []<class R, class... A>(R (*)(A...)) { return detail::sendable_signature<R, A...>(); }(
      static_cast<Sig*>(nullptr));
}();
}  // namespace baton

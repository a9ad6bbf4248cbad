#pragma once
// Argument wrappers with Prefect's meanings.
#include <baton/future.h>

#include <exception>
#include <string>
#include <utility>

namespace baton {

// Passes a value untouched: no dependency edge, never hashed for cache keys.
template <class T>
struct Quoted {
  T value;
};
template <class T>
Quoted<std::decay_t<T>> quote(T&& value) {
  return {std::forward<T>(value)};
}

// In `map`, passes the same value to every run instead of iterating it.
template <class T>
struct Unmapped {
  T value;
};
template <class T>
Unmapped<std::decay_t<T>> unmapped(T&& value) {
  return {std::forward<T>(value)};
}

// In `wait_for`, lets the downstream run even if this upstream ends badly.
struct AllowFailure {
  std::shared_ptr<detail::TaskRunCore> run;
};
// As a data argument, the same: the parameter is a baton::Outcome<T>, holding the
// upstream's value or its error (Prefect passes the exception).
template <class T>
struct AllowFailureOf : AllowFailure {
  Future<T> future;
};
template <class T>
AllowFailureOf<T> allow_failure(const Future<T>& f) {
  return {{f.core()}, f};
}

// What a task receives for allow_failure(f): the upstream run's value or error.
template <class T>
class Outcome {
 public:
  explicit Outcome(Future<T> run) : run_(std::move(run)) {}
  // The upstream completed (or was cached): value() is its value.
  bool ok() const { return run_.state().is_completed(); }
  // The value, or the upstream's error rethrown (its own exception for Failed).
  decltype(auto) value() const { return run_.result(); }
  // The upstream's final state: type, message and error.
  State state() const { return run_.state(); }
  std::exception_ptr error() const { return run_.state().error; }
  std::string message() const { return run_.state().message; }

 private:
  Future<T> run_;
};

template <class T>
struct is_allow_failure : std::false_type {};
template <class T>
struct is_allow_failure<AllowFailureOf<T>> : std::true_type {};
template <class T>
struct is_outcome : std::false_type {};
template <class T>
struct is_outcome<Outcome<T>> : std::true_type {};

template <class T>
struct is_quoted : std::false_type {};
template <class T>
struct is_quoted<Quoted<T>> : std::true_type {};
template <class T>
struct is_unmapped : std::false_type {};
template <class T>
struct is_unmapped<Unmapped<T>> : std::true_type {};

}  // namespace baton

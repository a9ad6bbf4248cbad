#pragma once
// Argument wrappers with Prefect's meanings.
#include <baton/future.h>

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
template <class T>
AllowFailure allow_failure(const Future<T>& f) {
  return {f.core()};
}

template <class T>
struct is_quoted : std::false_type {};
template <class T>
struct is_quoted<Quoted<T>> : std::true_type {};
template <class T>
struct is_unmapped : std::false_type {};
template <class T>
struct is_unmapped<Unmapped<T>> : std::true_type {};

}  // namespace baton

#pragma once
// Cache policies as composable values, as in Prefect:
//
//   baton::cache::inputs + baton::cache::task_source     key from arguments and code
//   baton::cache::inputs - "verbose"                     leave one argument out
//   baton::cache::default_policy                         inputs + task_source + run_id
//   baton::cache::none                                   never cache
//   baton::cache::Policy::custom(fn)                     your own key function
//
// A policy turns a KeyContext into a cache key: 32 hex digits of XXH3-128 over the
// task name and the chosen parts (in a fixed order, so `a + b` == `b + a`), or
// nullopt, meaning "do not cache this run". The task name is always part of a key,
// so two tasks with equal inputs never share a cached value by accident.
//
// `none` is the neutral element of `+`: `none + inputs` is `inputs`; `none` alone
// gives no key. A custom function returning nullopt disables caching for that run;
// a policy that is only one custom function uses its key text verbatim (so it can
// be read in `baton cache ls`; keep it to [A-Za-z0-9._-/]).
//
// Thread safety: policies are immutable values; compute_key may be called
// concurrently (custom functions must allow that themselves).
#include <baton/cache_key_context.h>
#include <baton/fingerprint.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::cache {

// The built-in parts, combinable at compile time (so the named constants below
// are constexpr and safe to use in the initializers of other globals).
struct Parts {
  enum Bit : std::uint8_t {
    kInputs = 1,
    kTaskSource = 2,
    kFlowParameters = 4,
    kRunId = 8,
  };
  std::uint8_t bits = 0;

  friend constexpr Parts operator+(Parts a, Parts b) { return Parts{static_cast<std::uint8_t>(a.bits | b.bits)}; }
  friend constexpr bool operator==(Parts, Parts) = default;
};

inline constexpr Parts none{};
inline constexpr Parts inputs{Parts::kInputs};
inline constexpr Parts task_source{Parts::kTaskSource};
inline constexpr Parts flow_parameters{Parts::kFlowParameters};
inline constexpr Parts run_id{Parts::kRunId};
inline constexpr Parts default_policy = inputs + task_source + run_id;

class Policy {
 public:
  using KeyFunction = std::function<std::optional<std::string>(const KeyContext&)>;

  Policy() = default;                                   // none
  Policy(Parts parts) : parts_(parts) {}                // NOLINT: implicit by design
  static Policy custom(KeyFunction fn);

  // The key, or nullopt for "do not cache".
  std::optional<std::string> compute_key(const KeyContext& context) const;
  std::optional<std::string> operator()(const KeyContext& context) const { return compute_key(context); }

  // True when no context can give a key (the engine can skip fingerprinting).
  bool is_none() const { return parts_.bits == 0 && custom_.empty(); }
  // "inputs - [verbose] + task_source", for logs and `baton task-run inspect`.
  std::string describe() const;

  Parts parts() const { return parts_; }
  const std::vector<std::string>& excluded_arguments() const { return excluded_; }

  friend Policy operator+(const Policy& a, const Policy& b);
  // Leaves `argument` out of the inputs part (a no-op without it, as in Prefect).
  friend Policy operator-(const Policy& a, std::string_view argument);

 private:
  Parts parts_{};
  std::vector<std::string> excluded_;  // sorted, unique
  std::vector<KeyFunction> custom_;
};

// One argument's entry in a KeyContext: its fingerprint, or none when its type is
// left out of keys (exclude_from_cache_key, the engine's quote()). Not callable for
// types that are neither: the engine checks `CacheKeyArgument<T>` and decides.
template <class T>
concept CacheKeyArgument = Fingerprintable<T> || excluded_from_cache_key_v<T>;

template <CacheKeyArgument T>
Argument argument(std::string_view name, const T& value) {
  if constexpr (excluded_from_cache_key_v<T>) {
    return Argument{name, std::nullopt};
  } else {
    return Argument{name, fingerprint_of(value)};
  }
}

Policy operator+(const Policy& a, const Policy& b);
Policy operator-(const Policy& a, std::string_view argument);
inline Policy operator-(Parts a, std::string_view argument) { return Policy(a) - argument; }
inline Policy operator+(Parts a, const Policy& b) { return Policy(a) + b; }
inline Policy operator+(const Policy& a, Parts b) { return a + Policy(b); }

}  // namespace baton::cache

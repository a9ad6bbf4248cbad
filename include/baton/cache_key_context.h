#pragma once
// What the engine knows about one task run when it asks a cache policy for a key.
// Plain data with views: filled by the engine just before the policy is called and
// valid only during that call. No engine types, so policies need nothing else.
#include <baton/hash.h>
#include <baton/run_id.h>

#include <optional>
#include <span>
#include <string_view>

namespace baton::cache {

struct Argument {
  std::string_view name;  // the parameter's name, as the task declares it
  // Its fingerprint (baton::fingerprint_of), or nullopt when the argument is left
  // out of keys by its type (quote(x), baton::exclude_from_cache_key).
  std::optional<Fingerprint> fingerprint;
};

struct KeyContext {
  std::string_view task_name;
  // The task's source text as captured at compile time, or its explicit version
  // string when the task has one (a version replaces the source in keys).
  std::string_view task_source;
  // The flow run's id; for a task called outside any flow, the task run's own id
  // (as in Prefect), so separate direct calls never share a run_id key.
  RunId flow_run_id;
  std::optional<Fingerprint> flow_parameters;  // fingerprint of the flow's arguments
  std::span<const Argument> arguments;        // in declaration order
};

}  // namespace baton::cache

#pragma once
// Run states, the Prefect set that applies to baton. A State is a value: the
// engine records every transition (type, time, message) in the run history; a
// future hands out the latest one.
#include <chrono>
#include <exception>
#include <string>
#include <string_view>

namespace baton {

enum class StateType {
  Scheduled,      // created, to run at a later time
  Pending,        // created, waiting for its upstreams or for a worker
  Running,
  Retrying,       // running again after a failed attempt
  AwaitingRetry,  // failed attempt, waiting out the retry delay
  Completed,
  Cached,         // completed from a cached result; the body did not run
  Failed,         // the body threw (after all retries)
  TimedOut,       // the run passed its timeout
  Crashed,        // the process (or worker) running it died
  Cancelled,      // cancelled by a person or because its flow was
  NotReady,       // an upstream ended badly, so this run never started
  AwaitingConcurrencySlot,  // waiting for a slot of a tag's concurrency limit (server)
};

std::string_view to_string(StateType type);
// Parses a name as printed by to_string (case-insensitive); false if unknown.
bool parse_state_type(std::string_view text, StateType& out);

// Final states end a run: nothing follows them.
bool is_final(StateType type);
// Completed or Cached: the run has a value.
bool is_completed(StateType type);

using TimePoint = std::chrono::system_clock::time_point;

struct State {
  StateType type = StateType::Pending;
  TimePoint timestamp{};
  std::string message;          // why: the error text, the upstream that failed, ...
  std::exception_ptr error;     // the exception to rethrow, for failed states

  bool is_final() const { return baton::is_final(type); }
  bool is_completed() const { return baton::is_completed(type); }
  std::string_view name() const { return to_string(type); }
};

}  // namespace baton

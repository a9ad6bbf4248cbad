#pragma once
// Run states, the Prefect set that applies to baton. A State is a value: the
// engine records every transition (type, time, message) in the run history; a
// future hands out the latest one.
#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

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
  Paused,         // a flow run waiting in pause_flow_run for `baton flow-run resume ID`
  AwaitingConcurrencySlot,  // waiting for a slot of a tag's concurrency limit (server)
};

// Prefect's state types. baton's StateType is what Prefect calls a state's name
// (Retrying, Cached, TimedOut, ...); each name has one kind, as in Prefect's
// states.py: TimedOut is Failed, AwaitingRetry is Scheduled, Retrying is
// Running, Cached is Completed, NotReady is Pending (but final in baton: the run
// never starts).
enum class StateKind {
  Scheduled,
  Pending,
  Running,
  Completed,
  Failed,
  Cancelled,
  Crashed,
  Paused,
};

StateKind kind_of(StateType type);
std::string_view to_string(StateKind kind);  // "SCHEDULED", "PENDING", ... as Prefect prints types

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
  // Prefect's type and name: {kind(), name()} is ("FAILED", "TimedOut") for a timeout.
  StateKind kind() const { return kind_of(type); }
  std::string_view name() const { return to_string(type); }
  bool is_scheduled() const { return kind() == StateKind::Scheduled; }
  bool is_pending() const { return kind() == StateKind::Pending; }
  bool is_running() const { return kind() == StateKind::Running; }
  bool is_failed() const { return kind() == StateKind::Failed; }
  bool is_cancelled() const { return kind() == StateKind::Cancelled; }
  bool is_crashed() const { return kind() == StateKind::Crashed; }
  bool is_paused() const { return kind() == StateKind::Paused; }
};

// States as values, as Prefect's Completed()/Failed()/Cancelled(): a flow body
// returning one ends its run in that state (see baton/flow.h).
inline State Completed(std::string message = {}) { return {StateType::Completed, {}, std::move(message), nullptr}; }
inline State Failed(std::string message) { return {StateType::Failed, {}, std::move(message), nullptr}; }
inline State Cancelled(std::string message = "cancelled by its flow") {
  return {StateType::Cancelled, {}, std::move(message), nullptr};
}

}  // namespace baton

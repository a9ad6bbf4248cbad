#pragma once
// Exceptions of the public API. A task's own exception is data: the engine records
// it in a Failed state and `result()` rethrows that same exception. These types
// describe the other ways a run can end without a value.
#include <stdexcept>
#include <string>

namespace baton {

// Base of every error baton itself raises.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An upstream run ended badly, so this run never started (state NotReady).
class UpstreamError : public Error {
 public:
  using Error::Error;
};

// A run passed its timeout (state TimedOut), or `result(timeout)` gave up waiting.
class TimeoutError : public Error {
 public:
  using Error::Error;
};

// A run was cancelled (state Cancelled). Throw it from a task body that saw its
// stop token to end the run Cancelled: see `baton::throw_if_stop_requested()`.
class CancelledError : public Error {
 public:
  using Error::Error;
};

// The process or worker running the run died (state Crashed).
class CrashedError : public Error {
 public:
  using Error::Error;
};

// A task body that ran in another process (process pool, MPI rank) threw. The
// exception itself cannot cross processes: this carries its type and message.
class RemoteTaskError : public Error {
 public:
  RemoteTaskError(std::string type, const std::string& message) : Error(message), type_(std::move(type)) {}
  // The C++ type of the exception the body threw, as the compiler names it.
  const std::string& type() const { return type_; }

 private:
  std::string type_;
};

}  // namespace baton

#pragma once
// One remote call of a task body, shared by the process pool and the MPI runner:
// the request the submitting process sends, the reply the worker sends back, and
// what each side does with them.
//
// Arguments travel inline (binary serializer) unless the value already lives
// elsewhere: in result storage (a reference to its record) or held by the worker
// the call goes to (a handle). A result comes back inline up to a size limit;
// above it the worker keeps it (MPI: a handle) or writes it to result storage and
// only the reference comes back (docs/architecture.md, principle 6).
#include <baton/detail/run_core.h>

#include "engine/remote_executor.h"
#include "engine/task_results.h"
#include "runners/wire.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace baton::runners {

enum class MessageKind : std::uint8_t {
  Request = 1,     // submitting process -> worker: run a body
  Event = 2,       // worker -> submitting process: a run-history event
  Reply = 3,       // worker -> submitting process: a body finished
  Fetch = 4,       // rank 0 -> rank: send me a held value
  FetchReply = 5,
  Release = 6,     // rank 0 -> rank: a held value is no longer needed
  Shutdown = 7,
  Batch = 8,       // several of the above (message_batch.h); the MPI tag of a batch
};

// A value held somewhere else that a request can name instead of carrying it.
class TravelingValue : public detail::RemoteValue {
 public:
  // Writes the argument reference for a call going to `target`; false when the
  // value cannot be named there (then it travels inline).
  virtual bool write_reference(WireWriter& w, int target) const = 0;
  // The worker or rank holding it, -1 for result storage.
  virtual int holder() const { return -1; }
  virtual std::uint64_t size() const = 0;
};

// Names a value held by the worker a request goes to (an argument reference).
void write_held_reference(WireWriter& w, std::uint64_t handle);

struct RequestOptions {
  std::uint64_t call_id = 0;
  int target = -1;  // the rank the call goes to (MPI)
};

// The request for one attempt of `run`'s body, without its kind byte (the
// kind travels in the batch; serve_request takes it so). Throws what writing an argument
// throws (SerializationError, Error). The settings every call reads
// (BATON_INLINE_RESULT_BYTES, and where large results spill: the default result
// storage) are read once per flow run on each thread, not per call: reading them
// builds names, scans the environment and locks the result backend, which was
// ~10% of the submitting threads' time with many small calls. So a change of
// either setting is seen by flow runs that start after it.
std::string encode_request(detail::TaskRunCore& run, const detail::ResultPlan& plan, const RequestOptions& options);

// Makes the RemoteValue for a result a worker holds (MPI): (handle, size, digest).
using HeldFactory = std::function<std::shared_ptr<detail::RemoteValue>(std::uint64_t handle, std::uint64_t size,
                                                                       const Fingerprint& digest)>;

// Applies a reply (after its kind and call id) to `run`: reads an inline value or
// keeps the reference. Throws RemoteTaskError with the body's error.
engine::RemoteOutcome apply_reply(detail::TaskRunCore& run, WireReader& reply, const HeldFactory& held);

// What a worker process offers the requests it serves.
class WorkerServices {
 public:
  struct Held {
    std::string bytes;
    std::string serializer;
  };
  virtual ~WorkerServices() = default;
  // Whether large results stay here for later calls (MPI) rather than going to
  // result storage (the process pool).
  virtual bool holds_values() const { return false; }
  // Keeps a result; its handle. Only called when holds_values().
  virtual std::uint64_t hold(Held) { return 0; }
  // A held value, or null.
  virtual const Held* held(std::uint64_t /*handle*/) { return nullptr; }
  // Names the worker in messages: "worker process 1234", "MPI rank 2".
  virtual std::string describe() const = 0;
};

// Serves one request (the message after its kind byte): runs the body and
// returns the whole reply message. Never throws; the body's events go through
// the runtime's forwarder.
std::string serve_request(std::string_view request, WorkerServices& services);

// The call id of a request or reply (the message after its kind byte).
std::uint64_t peek_call_id(std::string_view message);

}  // namespace baton::runners

#pragma once
// What the engine needs from a run store. The engine defines it; the store layer
// (SQLite; the server's HTTP client in src/client) implements it.
#include "engine/events.h"

#include <span>
#include <vector>

namespace baton::engine {

class RunStoreSink {
 public:
  virtual ~RunStoreSink() = default;

  // Writes a batch of events, in order, durably (one transaction where the store
  // has them). Called from the engine's single writer thread only. Must not throw
  // for a busy or locked database (wait and retry); may throw for a store that
  // cannot be written at all, which the engine reports once and then drops events.
  virtual void write(std::span<const Event> batch) = 0;

  // Called every heartbeat interval (and once at shutdown with an empty list) by
  // the writer thread with the flow runs of this process that are not final yet:
  // refreshes their heartbeat and returns those whose cancellation was requested
  // (for example by `baton flow-run cancel` in another terminal).
  virtual std::vector<RunId> heartbeat(std::span<const RunId> active_flow_runs) = 0;

  // Called once by the writer thread when the stream closes (at exit), after the
  // last write and heartbeat: a store that keeps events for later (the server
  // client's spool) makes its last delivery attempt here and says what is left.
  virtual void finish() {}
};

}  // namespace baton::engine

#pragma once
// Run-history events as bytes: a worker process sends the events its task bodies
// produce (logs, captured prints, nested runs) to the process that keeps the history.
#include "engine/events.h"
#include "runners/wire.h"

namespace baton::runners {

void write_event(WireWriter& w, const engine::Event& event);
// Throws Error on a malformed event.
engine::Event read_event(WireReader& r);

}  // namespace baton::runners

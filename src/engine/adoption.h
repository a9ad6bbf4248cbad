#pragma once
// A worker starts a deployment's program with BATON_FLOW_RUN_ID set: the server
// has created that flow run already (Scheduled, then Pending when claimed), and
// the program's first top-level flow run takes its id, so the run's states, task
// runs and logs land on the run the server and the worker know.
#include <baton/run_id.h>

namespace baton::engine {

// The id for a new top-level flow run: BATON_FLOW_RUN_ID the first time it is
// asked (when set and a valid id; a malformed value is ignored with a line on
// stderr), a fresh random id otherwise and every later time. Thread-safe.
RunId take_flow_run_id();

}  // namespace baton::engine

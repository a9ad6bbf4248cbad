#pragma once
// Pausing a flow run until a person resumes it, as Prefect's pause_flow_run:
//
//   auto f = baton::flow("approve", [] {
//     prepare();
//     baton::pause_flow_run(std::chrono::hours(1));  // `baton flow-run resume ID`
//     publish();
//   });
//
// The run's state is Paused (history flushed, so the CLI sees it) until
// `baton flow-run resume ID` is run on this machine (same BATON_HOME); then it is
// Running again. Past the timeout the call throws TimeoutError and, unless the
// body catches it, the run fails. A cancelled run stops waiting (CancelledError).
#include <chrono>

namespace baton {

// Throws baton::Error outside a flow body (a task cannot pause its flow).
void pause_flow_run(std::chrono::milliseconds timeout);

}  // namespace baton

#pragma once
// baton: tasks, flows, futures, states, retries, task runners, run history and logs.
#include <baton/error.h>
#include <baton/flow.h>
#include <baton/future.h>
#include <baton/logging.h>
#include <baton/run_main.h>
#include <baton/state.h>
#include <baton/table_result.h>  // a Table can be a persisted, cached task result
#include <baton/task.h>
#include <baton/task_runner.h>
#include <baton/wrappers.h>

namespace baton::detail {
// Pulls the umbrella library's wiring of the defaults (thread pool, SQLite run
// store) into every program that includes this header.
extern const int wiring_anchor;
[[gnu::used]] static const int* const wiring_anchor_ref = &wiring_anchor;
}  // namespace baton::detail

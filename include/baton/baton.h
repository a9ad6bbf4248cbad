#pragma once
// baton: tasks, flows, futures, states, retries, task runners, run history and logs.
#include <baton/artifacts.h>
#include <baton/error.h>
#include <baton/flow.h>
#include <baton/future.h>
#include <baton/logging.h>
#include <baton/pause.h>
#include <baton/run_context.h>
#include <baton/run_main.h>
#include <baton/state.h>
#include <baton/table_result.h>  // a Table can be a persisted, cached task result
#include <baton/task.h>
#include <baton/task_runner.h>
#include <baton/wrappers.h>

// The defaults (thread pool, SQLite run store) are wired by the umbrella library
// `baton` itself (src/baton/wiring.cpp), whatever headers a program includes.

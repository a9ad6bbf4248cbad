#pragma once
// Shared pieces of the run store tests: builders for events, and the shared
// temporary directory and fake clock.
#include "engine/events.h"
#include "testutil/fake_clock.h"
#include "testutil/temp_dir.h"
#include "util/clock.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace baton::store::testing {

// The shared helpers (tests/testutil), under the names these tests use.
using baton::testing::FakeClock;
using baton::testing::TempDir;

// The run store's database file inside a test's directory.
inline std::filesystem::path db_path(const TempDir& dir) { return dir.path() / "baton.db"; }

// Interned names, like the engine's: they live for the whole process.
const std::string* intern(const std::string& name);

// A flow run of this process (pid, start time and host filled in).
engine::FlowRunCreated flow_created(RunId id, const std::string& flow, TimePoint at);
engine::TaskRunCreated task_created(RunId id, RunId flow_run, const std::string& task, TimePoint at);
engine::StateChanged flow_state(RunId id, StateType type, TimePoint at, std::string message = {});
engine::StateChanged task_state(RunId id, StateType type, TimePoint at, std::string message = {});

// A fixed, whole-second time point, so that round trips through microseconds compare equal.
TimePoint at_second(long long s);

}  // namespace baton::store::testing

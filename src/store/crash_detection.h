#pragma once
// Finds flow runs whose process died without finishing them and records them
// (and their unfinished task runs) as Crashed. Runs on every open of the store:
// engine start and CLI start.
//
// A run of this host is judged by its pid: crashed if no process has that pid, if
// it is a zombie, or if the pid now belongs to a process with another start time
// (pid reuse). A run of another host is judged by its heartbeat: crashed if the
// last one is older than 3 heartbeat intervals. Time alone never decides for a
// run of this host: a live process with a stalled writer is not declared dead.
#include "util/clock.h"
#include "util/status.h"

#include <chrono>
#include <string>

namespace baton::store {

class Database;

struct CrashDetectionOptions {
  Clock* clock = &system_clock();
  std::chrono::milliseconds heartbeat_interval{5000};  // BATON_HEARTBEAT_SECONDS
  std::string hostname;                                // this host; "" means host_name()
};

// Returns how many flow runs were marked Crashed. Safe against concurrent
// openers: each run is marked once, under the write lock, only if still open.
Result<int> mark_crashed_runs(Database& db, const CrashDetectionOptions& options);

}  // namespace baton::store

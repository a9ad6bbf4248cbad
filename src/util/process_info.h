#pragma once
// Facts about processes on this host, used to tell whether the process that
// owns a flow run is still alive. Linux (/proc); elsewhere a start time is unknown.
#include <cstdint>
#include <optional>
#include <string>

namespace baton {

// This host's name (gethostname), "" if it cannot be read.
std::string host_name();

// The start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22),
// nullopt if the process does not exist or its stat cannot be read. Together with
// the pid it names one process for the host's whole uptime, so a reused pid is
// told apart from the process that had it before.
std::optional<std::uint64_t> process_start_time(std::int64_t pid);

enum class ProcessStatus {
  Alive,      // runs (or cannot be judged: pid <= 0)
  Gone,       // no process has this pid
  Zombie,     // exited, not yet reaped by its parent
  PidReused,  // the pid belongs to a process started at another time
};

// Whether the process `pid` that started at `started` (0: unknown, then only the
// pid is checked) still runs on this host.
ProcessStatus process_status(std::int64_t pid, std::uint64_t started);

}  // namespace baton

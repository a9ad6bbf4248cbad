#pragma once
// One program started by the worker: posix_spawn with its stdout and stderr on
// pipes, in its own process group (so a signal reaches what it started too).
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace baton::worker {

class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH when it has no '/') with the environment of
  // this process plus `env`. On failure ok() is false and error() says why,
  // naming the program ("cannot start /x/etl: No such file or directory").
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  ~ChildProcess();  // closes the pipes; a child still running is killed and reaped
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool ok() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  pid_t pid() const { return pid_; }

  // Reads what is available on stdout and stderr, waiting at most `timeout_ms`;
  // complete lines are appended to `lines` (a last line without '\n' once the
  // pipe closes). Returns false once both pipes are closed.
  bool read_lines(std::vector<std::string>& lines, int timeout_ms);
  // Sends `signal` to the child's process group.
  void signal(int signal) const;
  // Reaps the child (blocking). exit_code is set for a normal exit, term_signal for a signal.
  void wait(int& exit_code, int& term_signal);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int fds_[2] = {-1, -1};  // stdout, stderr (read ends)
  std::string partial_[2];
  std::string error_;
};

}  // namespace baton::worker

#pragma once
// Runs programs for integration tests: the example flows and the `baton` command,
// as a user would, with their own environment, capturing what they print.
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace baton::testing {

struct Output {
  int exit_code = -1;  // -signal if killed
  std::string out;
  std::string err;
};

// Runs argv[0] with arguments, extra environment variables on top of this
// process's, and waits at most `timeout` (then kills it and fails the test).
Output run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
           std::chrono::seconds timeout = std::chrono::seconds(120));

// A program started in the background; killed (SIGKILL) and reaped on destruction
// if still running.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  void kill(int signal);
  // Waits for the exit; returns the exit code, or -signal.
  int wait();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// A loopback TCP port that was free a moment ago (bound to port 0, then
// closed): for a server a test starts later, or an address nothing answers on.
int free_loopback_port();

// Polls `predicate` until it is true or `timeout` passes; returns its last value.
bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace baton::testing

#include "util/process_info.h"

#include <cerrno>
#include <csignal>
#include <sstream>
#include <string>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace baton {

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return {};
  return buf;
}

namespace {

struct ProcStat {
  char state = '?';
  std::uint64_t start_time = 0;
};

std::optional<ProcStat> read_proc_stat(std::int64_t pid) {
  if (pid <= 0) return std::nullopt;
  const std::string file = "/proc/" + std::to_string(pid) + "/stat";
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[1024];
  const ssize_t n = ::read(fd, buf, sizeof(buf));
  ::close(fd);
  if (n <= 0) return std::nullopt;
  const std::string stat(buf, static_cast<std::size_t>(n));
  // Field 2 is the command name in parentheses and may itself hold spaces and
  // parentheses: fields are counted from the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(stat.substr(close + 1));
  ProcStat out;
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return std::nullopt;
    if (i == 3) out.state = field.empty() ? '?' : field[0];
  }
  try {
    out.start_time = std::stoull(field);
  } catch (...) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::optional<std::uint64_t> process_start_time(std::int64_t pid) {
  auto st = read_proc_stat(pid);
  if (!st) return std::nullopt;
  return st->start_time;
}

ProcessStatus process_status(std::int64_t pid, std::uint64_t started) {
  if (pid <= 0) return ProcessStatus::Alive;  // unknown process: cannot judge by pid
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return ProcessStatus::Gone;
  // EPERM or success: some process has this pid (or /proc is missing, in which
  // case the pid check above is all we have).
  const auto stat = read_proc_stat(pid);
  if (!stat) {
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return ProcessStatus::Gone;  // exited in between
    return ProcessStatus::Alive;
  }
  if (stat->state == 'Z' || stat->state == 'X') return ProcessStatus::Zombie;
  if (started != 0 && stat->start_time != started) return ProcessStatus::PidReused;
  return ProcessStatus::Alive;
}

}  // namespace baton

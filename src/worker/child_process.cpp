// posix_spawn with pipes: the worker's way of starting a deployment's program.
#include "worker/child_process.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace baton::worker {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  if (argv.empty() || argv[0].empty()) {
    error_ = "the deployment's command is empty";
    return;
  }
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    error_ = std::string("cannot create a pipe: ") + std::strerror(errno);
    return;
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    error_ = std::string("cannot create a pipe: ") + std::strerror(errno);
    ::close(out[0]);
    ::close(out[1]);
    return;
  }
  // The environment: ours, with `env` replacing or adding.
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string s = *e;
    const std::string name = s.substr(0, s.find('='));
    if (env.count(name) == 0) env_strings.push_back(std::move(s));
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& s : args) argp.push_back(s.data());
  argp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group; default signal dispositions and an empty mask (the
  // worker blocks SIGTERM in its threads for sigwait).
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const bool search = argv[0].find('/') == std::string::npos;
  const int rc = search ? posix_spawnp(&pid, argp[0], &actions, &attr, argp.data(), envp.data())
                        : posix_spawn(&pid, argp[0], &actions, &attr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    error_ = "cannot start " + argv[0] + ": " + std::strerror(rc);
    ::close(out[0]);
    ::close(err[0]);
    return;
  }
  pid_ = pid;
  fds_[0] = out[0];
  fds_[1] = err[0];
}

ChildProcess::~ChildProcess() {
  for (int& fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

bool ChildProcess::read_lines(std::vector<std::string>& lines, int timeout_ms) {
  pollfd p[2];
  int n = 0;
  int which[2];
  for (int i = 0; i < 2; ++i) {
    if (fds_[i] >= 0) {
      p[n] = {fds_[i], POLLIN, 0};
      which[n++] = i;
    }
  }
  if (n == 0) return false;
  const int ready = ::poll(p, static_cast<nfds_t>(n), timeout_ms);
  if (ready <= 0) return true;
  char buf[8192];
  for (int k = 0; k < n; ++k) {
    if ((p[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const int i = which[k];
    const ssize_t got = ::read(fds_[i], buf, sizeof buf);
    if (got > 0) {
      partial_[i].append(buf, static_cast<std::size_t>(got));
      std::size_t start = 0;
      for (std::size_t nl; (nl = partial_[i].find('\n', start)) != std::string::npos; start = nl + 1) {
        lines.push_back(partial_[i].substr(start, nl - start));
      }
      partial_[i].erase(0, start);
    } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
      if (!partial_[i].empty()) lines.push_back(std::move(partial_[i]));
      partial_[i].clear();
      ::close(fds_[i]);
      fds_[i] = -1;
    }
  }
  return fds_[0] >= 0 || fds_[1] >= 0;
}

void ChildProcess::signal(int sig) const {
  if (pid_ > 0 && !reaped_) ::kill(-pid_, sig);
}

void ChildProcess::wait(int& exit_code, int& term_signal) {
  exit_code = -1;
  term_signal = 0;
  if (pid_ <= 0 || reaped_) return;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return;
  }
  reaped_ = true;
  if (WIFEXITED(status)) exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) term_signal = WTERMSIG(status);
}

}  // namespace baton::worker

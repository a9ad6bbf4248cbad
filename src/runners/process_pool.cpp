#include "runners/process_pool.h"

#include <baton/detail/remote_task.h>
#include <baton/error.h>

#include "engine/run_context.h"
#include "engine/runtime.h"
#include "engine/settings.h"
#include "runners/event_codec.h"
#include "runners/fork_check.h"
#include "runners/remote_protocol.h"
#include "runners/shared_pool.h"
#include "runners/socket_frames.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace baton::runners {

namespace {

class ProcessWorkerServices final : public WorkerServices {
 public:
  std::string describe() const override { return "worker process " + std::to_string(getpid()); }
};

[[noreturn]] void worker_main(int fd, pid_t parent) {
  // Die with the program; and if it is already gone, go now.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);
  announce_ready_after_fork(fd);
  engine::Runtime::get().forward_events([fd](engine::Event&& event) {
    std::string message;
    WireWriter w(message);
    w.u8(static_cast<std::uint8_t>(MessageKind::Event));
    write_event(w, event);
    (void)send_frame(fd, message);
  });
  ProcessWorkerServices services;
  for (;;) {
    std::optional<std::string> frame = receive_frame(fd);
    if (!frame || frame->empty() || static_cast<MessageKind>((*frame)[0]) != MessageKind::Request) _exit(0);
    std::string reply = serve_request(std::string_view(*frame).substr(1), services);
    if (!send_frame(fd, reply)) _exit(0);
  }
}

std::string describe_end(pid_t pid, int status) {
  const std::string who = "worker process " + std::to_string(pid);
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    std::string text = who + " was killed by signal " + (abbrev ? "SIG" + std::string(abbrev) : std::to_string(sig)) +
                       " (" + strsignal(sig) + ")";
    if (sig == SIGKILL) text += "; out of memory, or killed from outside";
    return text;
  }
  if (WIFEXITED(status)) return who + " exited with code " + std::to_string(WEXITSTATUS(status));
  return who + " ended";
}

}  // namespace

ProcessPool::ProcessPool(int workers) : max_workers_(workers < 1 ? 1 : workers) { dispatch_.emplace(max_workers_); }

ProcessPool::~ProcessPool() {
  dispatch_.reset();  // finishes queued runs
  std::lock_guard lock(mu_);
  for (auto& w : idle_) end(*w, true);
  idle_.clear();
}

std::unique_ptr<ProcessPool::Worker> ProcessPool::spawn() {
  // A child that stays silent is stuck on a lock copied mid-use (fork_check.h);
  // a fresh fork almost always gets through, under any load, in milliseconds.
  constexpr auto kReadyTimeout = std::chrono::seconds(10);
  constexpr int kAttempts = 3;
  const pid_t parent = getpid();
  const std::size_t known = detail::remote_task_count();
  for (int attempt = 1;; ++attempt) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
      throw Error(std::string("process task runner: socketpair failed: ") + std::strerror(errno));
    }
    const pid_t pid = fork();
    if (pid < 0) {
      const int e = errno;
      close(fds[0]);
      close(fds[1]);
      throw Error(std::string("process task runner: cannot start a worker process: ") + std::strerror(e));
    }
    if (pid == 0) {
      close(fds[0]);
      for (int fd : all_fds_) close(fd);
      worker_main(fds[1], parent);
    }
    close(fds[1]);
    if (child_became_ready(fds[0], kReadyTimeout)) {
      all_fds_.push_back(fds[0]);
      ++live_;
      auto w = std::make_unique<Worker>();
      w->pid = pid;
      w->fd = fds[0];
      w->known_tasks = known;
      return w;
    }
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    close(fds[0]);
    if (attempt == kAttempts) {
      throw Error("process task runner: " + std::to_string(kAttempts) + " worker processes in a row did not start (" +
                  describe_end(pid, status) + " after " + std::to_string(kReadyTimeout.count()) +
                  " s without reporting ready)");
    }
  }
}

std::string ProcessPool::end(Worker& w, bool kill_it) {
  if (kill_it) kill(w.pid, SIGKILL);
  int status = 0;
  while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
  }
  close(w.fd);
  std::erase(all_fds_, w.fd);
  --live_;
  return describe_end(w.pid, status);
}

std::unique_ptr<ProcessPool::Worker> ProcessPool::acquire(std::size_t serial) {
  std::unique_lock lock(mu_);
  for (;;) {
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if ((*it)->known_tasks > serial) {
        auto w = std::move(*it);
        idle_.erase(it);
        return w;
      }
    }
    if (live_ < max_workers_) return spawn();
    if (!idle_.empty()) {  // forked before the task was defined: replace it
      auto stale = std::move(idle_.back());
      idle_.pop_back();
      end(*stale, true);
      return spawn();
    }
    cv_.wait(lock);
  }
}

void ProcessPool::release(std::unique_ptr<Worker> worker) {
  {
    std::lock_guard lock(mu_);
    if (worker) idle_.push_back(std::move(worker));
  }
  cv_.notify_one();
}

engine::RemoteOutcome ProcessPool::run_body(detail::TaskRunCore& run, const detail::ResultPlan& plan) {
  RequestOptions options;
  {
    std::lock_guard lock(mu_);
    options.call_id = next_call_++;
  }
  options.inline_limit = settings::inline_result_bytes();
  const std::string request = encode_request(run, plan, options);

  std::unique_ptr<Worker> worker = acquire(run.options().remote->serial);
  const std::stop_token stop = detail::current_context().stop;
  // Ends the worker (it may be mid-body) and releases its slot for a new one.
  auto lose_worker = [this, &worker](bool kill_it) {
    std::string how;
    {
      std::lock_guard lock(mu_);
      how = end(*worker, kill_it);
    }
    worker.reset();
    cv_.notify_one();
    return how;
  };

  if (!send_frame(worker->fd, request)) {
    throw CrashedError(lose_worker(false) + " before it received the task");
  }
  for (;;) {
    FrameWait waited = wait_for_frame(worker->fd, stop);
    if (waited == FrameWait::Stopped) {
      lose_worker(true);
      throw CancelledError("the run was stopped; its worker process was ended");
    }
    std::optional<std::string> frame = waited == FrameWait::Ready ? receive_frame(worker->fd) : std::nullopt;
    if (!frame || frame->empty()) throw CrashedError(lose_worker(false) + " while running the task");
    WireReader r(std::string_view(*frame).substr(1));
    const auto kind = static_cast<MessageKind>((*frame)[0]);
    if (kind == MessageKind::Event) {
      engine::Runtime::get().record(read_event(r));
      continue;
    }
    if (kind != MessageKind::Reply || r.u64() != options.call_id) {
      throw CrashedError(lose_worker(true) + " after it sent a message out of order");
    }
    release(std::move(worker));
    return apply_reply(run, r, nullptr);
  }
}

}  // namespace baton::runners

namespace baton {

std::shared_ptr<TaskRunner> process_pool(int workers) {
  return runners::shared_pool<runners::ProcessPool>(workers > 0 ? workers : settings::workers());
}

}  // namespace baton

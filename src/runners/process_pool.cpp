#include "runners/process_pool.h"

#include <baton/detail/remote_task.h>
#include <baton/error.h>

#include "engine/run_context.h"
#include "engine/runtime.h"
#include "engine/settings.h"
#include "runners/event_codec.h"
#include "runners/fork_check.h"
#include "runners/message_batch.h"
#include "runners/remote_protocol.h"
#include "runners/shared_pool.h"
#include "runners/socket_frames.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stop_token>
#include <thread>

namespace baton::runners {

namespace {

using Clock = std::chrono::steady_clock;

// A call whose workers keep dying before they reply (without running it: that
// one is Crashed at once) is given up after this many sends.
constexpr int kMaxSends = 3;

class ProcessWorkerServices final : public WorkerServices {
 public:
  std::string describe() const override { return "worker process " + std::to_string(getpid()); }
};

// The worker's side: requests in, replies and events out, one frame each way
// per batch.
class WorkerLoop {
 public:
  WorkerLoop(int fd, std::atomic<std::uint64_t>* running)
      : fd_(fd), reader_(fd), running_(running), peer_("the program (process " + std::to_string(getppid()) + ")") {}

  [[noreturn]] void run() {
    engine::Runtime::get().forward_events([this](engine::Event&& event) {
      std::string message;
      WireWriter w(message);
      write_event(w, event);
      out_.add(MessageKind::Event, message);
      // A long body's logs reach the history while it runs, not only with its result.
      if (out_.bytes() > kFlushBytes || Clock::now() - last_flush_ > kEventDelay) flush();
    });
    ProcessWorkerServices services;
    for (;;) {
      if (inbox_.empty()) {
        // Nothing left: the replies go back now, then wait for more. (No look
        // for more first: the pool sends a worker a batch only when it holds
        // none of its calls, so nothing can have come.)
        flush();
        take_frames(true);
        continue;
      }
      std::string request = std::move(inbox_.front());
      inbox_.pop_front();
      std::uint64_t id = 0;
      try {
        id = peek_call_id(request);
      } catch (const std::exception& e) {
        fail(e.what());
      }
      running_->store(id, std::memory_order_relaxed);
      std::string reply = serve_request(request, services);
      running_->store(0, std::memory_order_relaxed);
      out_.add(MessageKind::Reply, std::string_view(reply).substr(1));
      if (out_.bytes() > kFlushBytes || out_.count() >= 1024) flush();
    }
  }

 private:
  static constexpr std::size_t kFlushBytes = 256 * 1024;
  static constexpr auto kEventDelay = std::chrono::milliseconds(100);

  [[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "baton: worker process %d: %s\n", static_cast<int>(getpid()), what.c_str());
    _exit(3);
  }

  // Moves every whole frame that has arrived into the inbox; with `block`, waits
  // for one first. The program gone (end of stream) ends the worker.
  void take_frames(bool block) {
    for (;;) {
      std::string_view frame;
      std::string error;
      switch (reader_.next(frame, block, error)) {
        case FrameReader::Got::Frame:
          try {
            read_batch(frame, peer_, [this](MessageKind kind, std::string_view body) {
              if (kind != MessageKind::Request) {
                throw Error(peer_ + " sent a message of kind " + std::to_string(static_cast<int>(kind)) +
                            " where requests are expected");
              }
              inbox_.emplace_back(body);
            });
          } catch (const std::exception& e) {
            fail(e.what());
          }
          block = false;
          continue;
        case FrameReader::Got::Empty:
          return;
        case FrameReader::Got::Malformed:
          fail(peer_ + " sent a malformed frame: " + error);
        case FrameReader::Got::Closed:
          _exit(0);
      }
    }
  }

  void flush() {
    last_flush_ = Clock::now();
    if (out_.empty()) return;
    const std::string bytes = out_.take();
    // Reads while it waits for room: the program may be writing to us meanwhile.
    if (!send_all(fd_, bytes, [this] { take_frames(false); })) _exit(0);
  }

  int fd_;
  FrameReader reader_;
  std::atomic<std::uint64_t>* running_;
  std::string peer_;
  std::deque<std::string> inbox_;
  BatchWriter out_{true};
  Clock::time_point last_flush_ = Clock::now();
};

[[noreturn]] void worker_main(int fd, pid_t parent, std::atomic<std::uint64_t>* running) {
  // Die with the program; and if it is already gone, go now.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);
  announce_ready_after_fork(fd);
  // Non-blocking, waiting in poll: a blocking recv here measured more context
  // switches and more CPU per task (20k tasks, medians of 10).
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  static WorkerLoop* loop = new WorkerLoop(fd, running);  // lives as long as the process
  loop->run();
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

ProcessPool::ProcessPool(int workers) : max_workers_(workers < 1 ? 1 : workers) {
  spawner_ = std::thread([this] { spawn_loop(); });
  dispatch_.emplace(max_workers_ * kThreadsPerWorker);
}

void ProcessPool::spawn_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    spawn_cv_.wait(lock, [this] { return spawn_wanted_ || stopping_; });
    if (stopping_) return;
    spawn_wanted_ = false;
    lock.unlock();
    pump(true);
    lock.lock();
  }
}

ProcessPool::~ProcessPool() {
  dispatch_.reset();  // finishes queued runs
  std::unique_lock lock(mu_);
  stopping_ = true;
  spawn_cv_.notify_all();
  lock.unlock();
  spawner_.join();
  lock.lock();
  for (auto& w : workers_) {
    w->ending = true;
    kill(w->pid, SIGKILL);
  }
  ended_cv_.wait(lock, [this] { return receivers_ == 0; });
}

std::shared_ptr<ProcessPool::Worker> ProcessPool::spawn(std::unique_lock<std::mutex>& lock) {
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
    void* shared = mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
      const int e = errno;
      close(fds[0]);
      close(fds[1]);
      throw Error(std::string("process task runner: cannot map a word shared with a worker: ") + std::strerror(e));
    }
    auto* running = new (shared) std::atomic<std::uint64_t>(0);
    const pid_t pid = fork();
    if (pid < 0) {
      const int e = errno;
      close(fds[0]);
      close(fds[1]);
      munmap(shared, sizeof(std::atomic<std::uint64_t>));
      throw Error(std::string("process task runner: cannot start a worker process: ") + std::strerror(e));
    }
    if (pid == 0) {
      close(fds[0]);
      for (int fd : all_fds_) close(fd);
      worker_main(fds[1], parent, running);
    }
    close(fds[1]);
    // Listed at once: a worker forked by another thread while this one starts
    // must close this socket too (a copy would keep it open after the pool
    // closes it).
    all_fds_.push_back(fds[0]);
    // The child is on its own now (it closed the other workers' sockets): the
    // pool goes on while it starts (a millisecond or more on a busy machine);
    // spawning_ keeps others from forking one more meanwhile.
    ++spawning_;
    lock.unlock();
    const bool ready = child_became_ready(fds[0], kReadyTimeout);
    lock.lock();
    --spawning_;
    if (ready) {
      auto w = std::make_shared<Worker>();
      w->pid = pid;
      w->fd = fds[0];
      w->known_tasks = known;
      w->running = running;
      w->name = "worker process " + std::to_string(pid);
      workers_.push_back(w);
      ++receivers_;
      std::thread([this, w] { receive_loop(w); }).detach();
      return w;
    }
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::erase(all_fds_, fds[0]);
    close(fds[0]);
    munmap(shared, sizeof(std::atomic<std::uint64_t>));
    if (attempt == kAttempts) {
      throw Error("process task runner: " + std::to_string(kAttempts) + " worker processes in a row did not start (" +
                  describe_end(pid, status) + " after " + std::to_string(kReadyTimeout.count()) +
                  " s without reporting ready)");
    }
  }
}

std::vector<std::pair<std::shared_ptr<ProcessPool::Worker>, std::string>> ProcessPool::plan_batches(std::unique_lock<std::mutex>& lock,
                                                                                                   bool may_spawn) {
  std::vector<std::pair<std::shared_ptr<Worker>, std::string>> batches;
  while (!queue_.empty() && !stopping_) {
    bool handed = false;
    for (const auto& w : workers_) {
      if (w->ending || !w->in_flight.empty()) continue;
      BatchWriter batch(true);
      for (auto it = queue_.begin(); it != queue_.end() && batch.count() < kMaxBatch;) {
        Call& call = **it;
        if (call.serial >= w->known_tasks) {
          ++it;
          continue;
        }
        batch.add(MessageKind::Request, call.request);
        ++call.sends;
        call.at = w.get();
        w->in_flight.push_back(std::move(*it));
        it = queue_.erase(it);
      }
      if (!batch.empty()) {
        ++sent_.batches;
        sent_.calls += batch.count();
        batches.emplace_back(w, batch.take());
        handed = true;
      }
    }
    if (handed) continue;
    if (static_cast<int>(workers_.size()) + spawning_ < max_workers_) {
      // Batches planned here go out first; forking would hold them back.
      if (!may_spawn || !batches.empty()) {
        spawn_wanted_ = true;
        spawn_cv_.notify_one();
        break;
      }
      try {
        spawn(lock);  // knows every task defined so far
      } catch (const std::exception& e) {
        // No worker to be had: with none left, the queued calls fail with why;
        // otherwise the live workers take them in turn.
        if (!workers_.empty() || spawning_ > 0) break;
        for (auto& call : queue_) {
          call->crash = e.what();
          call->done.set();
        }
        queue_.clear();
        break;
      }
      continue;
    }
    // Every worker is busy, or none knows a queued task (defined after they were
    // forked): an idle stale worker makes room for a fresh one.
    const std::size_t newest = queue_.front()->serial;
    bool known = false;
    for (const auto& w : workers_) known = known || (!w->ending && w->known_tasks > newest);
    if (!known && spawning_ == 0) {  // a worker on its way may know it; it is planned for once ready
      for (const auto& w : workers_) {
        if (!w->ending && w->in_flight.empty()) {
          w->ending = true;
          kill(w->pid, SIGKILL);  // its receiver reaps it and pumps again
          break;
        }
      }
    }
    break;
  }
  return batches;
}

ProcessPool::Sent ProcessPool::sent() {
  std::lock_guard lock(mu_);
  return sent_;
}

void ProcessPool::pump(bool may_spawn) {
  std::vector<std::pair<std::shared_ptr<Worker>, std::string>> batches;
  {
    std::unique_lock lock(mu_);
    batches = plan_batches(lock, may_spawn);
  }
  send_batches(batches);
}

void ProcessPool::send_batches(std::vector<std::pair<std::shared_ptr<Worker>, std::string>>& batches) {
  // A worker gets a batch only with nothing in flight, so no other batch for it is
  // written meanwhile and its replies come back in this order.
  for (auto& [w, bytes] : batches) {
    std::lock_guard lock(w->send_mu);
    if (w->fd >= 0) (void)send_all(w->fd, bytes);  // a dead worker's end is seen by its receiver
  }
}

void ProcessPool::end_if_abandoned_head(Worker& w) {
  if (!w.ending && !w.in_flight.empty() && w.in_flight.front()->abandoned) {
    w.ending = true;
    kill(w.pid, SIGKILL);
  }
}

void ProcessPool::receive_loop(std::shared_ptr<Worker> w) {
  engine::Runtime& rt = engine::Runtime::get();
  FrameReader reader(w->fd);
  std::vector<std::string_view> replies;
  for (;;) {
    std::string_view frame;
    std::string error;
    const FrameReader::Got got = reader.next(frame, true, error);
    if (got == FrameReader::Got::Closed) {
      worker_ended(w, "");
      return;
    }
    std::vector<std::pair<std::shared_ptr<Worker>, std::string>> batches;
    try {
      if (got == FrameReader::Got::Malformed) throw Error(w->name + " sent a malformed frame: " + error);
      // Replies are matched under one lock per frame; a run's events are
      // recorded before its reply completes it (they come first in the frame).
      replies.clear();
      read_batch(frame, w->name, [&](MessageKind kind, std::string_view body) {
        WireReader r(body);
        if (kind == MessageKind::Event) {
          if (!replies.empty()) complete(*w, replies);
          rt.record(read_event(r));
          return;
        }
        if (kind != MessageKind::Reply) {
          throw Error(w->name + " sent a message of unknown kind " + std::to_string(static_cast<int>(kind)));
        }
        replies.push_back(body);
      });
      if (!replies.empty()) complete(*w, replies);
      std::unique_lock lock(mu_);
      if (w->in_flight.empty()) batches = plan_batches(lock, false);
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(mu_);
        w->ending = true;
      }
      kill(w->pid, SIGKILL);
      worker_ended(w, e.what());
      return;
    }
    send_batches(batches);
  }
}

void ProcessPool::complete(Worker& w, std::vector<std::string_view>& replies) {
  std::lock_guard lock(mu_);
  for (std::string_view body : replies) {
    const std::uint64_t id = WireReader(body).u64();
    if (w.in_flight.empty() || w.in_flight.front()->id != id) {
      throw Error(w.name + " replied to call " + std::to_string(id) + ", which is not the next one it holds");
    }
    std::shared_ptr<Call> call = std::move(w.in_flight.front());
    w.in_flight.pop_front();
    call->at = nullptr;
    if (!call->abandoned) {
      call->reply.assign(body);
      call->done.set();
    }
  }
  replies.clear();
  end_if_abandoned_head(w);
}

void ProcessPool::worker_ended(const std::shared_ptr<Worker>& w, const std::string& why) {
  int status = 0;
  while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string how = why.empty() ? describe_end(w->pid, status) : why + "; it was ended";
  const int fd = w->fd;
  {
    std::lock_guard send_lock(w->send_mu);
    close(fd);
    w->fd = -1;
  }
  {
    std::lock_guard lock(mu_);
    const std::uint64_t running = w->running->load(std::memory_order_relaxed);
    std::deque<std::shared_ptr<Call>> again;
    for (auto& call : w->in_flight) {
      call->at = nullptr;
      if (call->abandoned) continue;
      if (call->id == running || !why.empty()) {
        call->crash = how + " while running task run '" + call->run_name + "'";
        call->done.set();
      } else if (call->sends >= kMaxSends) {
        call->crash = how + "; task run '" + call->run_name + "' was sent to " + std::to_string(kMaxSends) +
                      " workers that all ended before replying";
        call->done.set();
      } else {
        again.push_back(std::move(call));  // not started, or its reply was lost: run it elsewhere
      }
    }
    w->in_flight.clear();
    queue_.insert(queue_.begin(), std::make_move_iterator(again.begin()), std::make_move_iterator(again.end()));
    std::erase(workers_, w);
    std::erase(all_fds_, fd);
    munmap(static_cast<void*>(w->running), sizeof(std::atomic<std::uint64_t>));
    w->running = nullptr;
  }
  pump(false);
  std::lock_guard lock(mu_);
  --receivers_;
  ended_cv_.notify_all();  // under the lock: the pool may be gone once it is released
}

void ProcessPool::stop_call(const std::shared_ptr<Call>& call) {
  std::lock_guard lock(mu_);
  if (call->done.is_set()) return;  // its reply came first
  call->abandoned = true;
  if (call->at == nullptr) {
    std::erase(queue_, call);
  } else {
    end_if_abandoned_head(*call->at);
  }
  call->stopped.store(true, std::memory_order_release);
  call->done.set();
}

engine::RemoteOutcome ProcessPool::run_body(detail::TaskRunCore& run, const detail::ResultPlan& plan) {
  auto call = std::make_shared<Call>();
  RequestOptions options;
  options.call_id = next_call_.fetch_add(1, std::memory_order_relaxed);
  call->id = options.call_id;
  call->serial = run.options().remote->serial;
  call->run_name = run.run_name();
  call->request = encode_request(run, plan, options);
  std::vector<std::pair<std::shared_ptr<Worker>, std::string>> batches;
  {
    std::unique_lock lock(mu_);
    queue_.push_back(call);
    batches = plan_batches(lock, true);
  }
  send_batches(batches);
  // A stop (timeout, cancellation) takes the call back at once, even while this
  // thread runs other jobs on top of it.
  std::stop_callback on_stop(detail::current_context().stop, [this, &call] { stop_call(call); });
  // While the reply is on its way this thread runs other ready runs, so many
  // calls are in flight without a thread (and a wake-up) per call. Not when this
  // run holds what another run could wait for (a concurrency slot, a cache lock).
  dispatch_->wait_running_others(call->done, run.options().tags.empty() && !plan.locks);
  if (call->stopped.load(std::memory_order_acquire)) {
    throw CancelledError("the run was stopped; a worker process running its body is ended");
  }
  if (call->crash) throw CrashedError(*call->crash);
  WireReader r(call->reply);
  (void)r.u64();  // the call id, checked by the receiver
  return apply_reply(run, r, nullptr);
}

}  // namespace baton::runners

namespace baton {

std::shared_ptr<TaskRunner> process_pool(int workers) {
  return runners::shared_pool<runners::ProcessPool>(workers > 0 ? workers : settings::workers());
}

}  // namespace baton

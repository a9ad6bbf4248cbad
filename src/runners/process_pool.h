#pragma once
// Task bodies in worker processes forked from the program: a crash (segfault,
// abort, the OOM killer) takes down one worker, not the flow. The engine keeps
// states, retries and history in the program; each attempt's body is a call that
// a dispatch thread encodes, queues and waits for, running other ready runs on
// top of it meanwhile (ThreadPool::run_one_ready), so hundreds of calls are in
// flight on a few threads without a wake-up per call.
//
// Batching (issue 13): calls wait in one queue; a worker with nothing in flight
// gets every queued call it can run in one frame at once (so a lone call goes
// out immediately), and the next batch when its replies to the last one come
// back. A worker runs its calls in order, one at a time, and sends its replies
// and events (logs, prints) in one frame whenever it has nothing left to read.
// One receiver thread per worker reads its frames.
//
// A worker is a fork, so it knows every task defined before it was forked; a call
// of a task defined later goes to a worker forked later (an idle stale one is
// replaced). Workers die with the program (PR_SET_PDEATHSIG). When a worker dies,
// the call it was running (a word in memory shared with it says which) ends
// Crashed with how the worker ended; the calls it held but had not started, or
// had finished without sending back, go to another worker (a body may then run
// twice; a call is sent at most 3 times). A stopped run (timeout,
// cancellation) whose call is running ends its worker the same way.
#include <baton/task_runner.h>

#include "engine/remote_executor.h"
#include "runners/completion.h"
#include "runners/thread_pool.h"

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace baton::runners {

class ProcessPool final : public TaskRunner, public engine::RemoteExecutor {
 public:
  explicit ProcessPool(int workers);
  ~ProcessPool() override;  // ends the worker processes (pools made by process_pool() live on)

  std::string_view name() const override { return "process"; }
  int workers() const override { return max_workers_; }
  void submit(std::shared_ptr<Runnable> job) override { dispatch_->submit(std::move(job)); }
  engine::RemoteExecutor* remote_executor() override { return this; }

  engine::RemoteOutcome run_body(detail::TaskRunCore& run, const detail::ResultPlan& plan) override;

  // Frames of requests written to workers and the calls they carried, so far
  // (tests see that a lone call travels alone and many calls share frames).
  struct Sent {
    std::uint64_t batches = 0;
    std::uint64_t calls = 0;
  };
  Sent sent();

  // Calls handed to one worker at most per batch.
  static constexpr std::size_t kMaxBatch = 256;
  // Dispatch threads per worker process (each keeps more calls in flight while
  // it waits: ThreadPool::wait_running_others).
  static constexpr int kThreadsPerWorker = 2;

 private:
  struct Worker;
  // One attempt's body on its way to, in, or back from a worker.
  struct Call {
    std::uint64_t id = 0;
    std::size_t serial = 0;  // the task's registry serial: the worker must know it
    std::string request;     // the request message, kept until a reply so it can be sent again
    std::string run_name;
    Completion done;
    // Set before `done`; read by the waiting thread after it.
    std::string reply;
    std::optional<std::string> crash;  // the worker died running it
    std::atomic<bool> stopped{false};  // its run was stopped first
    // Guarded by the pool's mu_.
    bool abandoned = false;  // its run stopped: nobody waits for it any more
    int sends = 0;
    Worker* at = nullptr;    // the worker holding it
  };
  struct Worker {
    pid_t pid = -1;
    int fd = -1;
    std::size_t known_tasks = 0;        // registry entries it was forked with
    std::atomic<std::uint64_t>* running = nullptr;  // shared with the process: the call it runs, 0 between calls
    std::string name;                   // "worker process 1234"
    std::mutex send_mu;                 // one frame written at a time
    // Guarded by the pool's mu_.
    std::deque<std::shared_ptr<Call>> in_flight;  // in the order sent
    bool ending = false;                // killed, or retired; takes no more calls
  };

  // With mu_ held by `lock`, which it releases while the child starts. Only on
  // a thread that outlives the worker: its death signal (PR_SET_PDEATHSIG)
  // follows the thread that forked it, not the process. So a dispatch thread or
  // the spawner thread forks, never a worker's receiver.
  std::shared_ptr<Worker> spawn(std::unique_lock<std::mutex>& lock);
  // Hands queued calls to idle workers (forking or replacing workers as needed),
  // then writes the batches. Takes mu_.
  void pump(bool may_spawn);
  void spawn_loop();
  void send_batches(std::vector<std::pair<std::shared_ptr<Worker>, std::string>>& batches);
  // Completes the calls `replies` answer (the worker's oldest, in order); throws
  // Error when a reply is not for the call expected. Takes mu_.
  void complete(Worker& worker, std::vector<std::string_view>& replies);
  // With mu_ held by `lock` (released while a worker starts): moves the
  // batches to their workers' in_flight; returns them. Without `may_spawn`, or
  // when it has planned a batch already (which must not wait for a fork), a
  // worker that is needed is asked of the spawner thread.
  std::vector<std::pair<std::shared_ptr<Worker>, std::string>> plan_batches(std::unique_lock<std::mutex>& lock,
                                                                            bool may_spawn);
  void receive_loop(std::shared_ptr<Worker> worker);
  // The receiver saw the worker's end: reaps it and settles its calls.
  void worker_ended(const std::shared_ptr<Worker>& worker, const std::string& why);
  void stop_call(const std::shared_ptr<Call>& call);
  // With mu_ held: a worker whose oldest call nobody waits for is ended (it may
  // be running that call's body).
  void end_if_abandoned_head(Worker& worker);

  const int max_workers_;
  std::mutex mu_;
  std::condition_variable ended_cv_;  // a receiver finished (the destructor waits for all)
  int receivers_ = 0;
  bool stopping_ = false;
  bool spawn_wanted_ = false;
  int spawning_ = 0;  // forked workers not ready yet (count toward max_workers_)
  std::condition_variable spawn_cv_;  // guards queue_, workers_, all_fds_ and the guarded fields of Call and Worker
  std::deque<std::shared_ptr<Call>> queue_;        // calls no worker holds yet, oldest first
  std::vector<std::shared_ptr<Worker>> workers_;   // live workers (ending ones until reaped)
  std::vector<int> all_fds_;  // every worker's socket: a new fork closes the others'
  std::atomic<std::uint64_t> next_call_{1};
  Sent sent_;  // guarded by mu_
  std::thread spawner_;                 // forks workers that receivers find missing
  std::optional<ThreadPool> dispatch_;  // stopped first: its runs need the workers
};

}  // namespace baton::runners

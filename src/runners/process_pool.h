#pragma once
// Task bodies in worker processes forked from the program: a crash (segfault,
// abort, the OOM killer) takes down one worker, not the flow. The engine keeps
// states, retries and history in the program; a dispatch thread per worker
// drives each run and waits on its worker over a socket pair.
//
// A worker is a fork, so it knows every task defined before it was forked; a run
// of a task defined later gets a fresh worker. Workers die with the program
// (PR_SET_PDEATHSIG) and are replaced when they crash or are stopped by a timeout
// or cancellation (a process, unlike a thread, can be stopped).
#include <baton/task_runner.h>

#include "engine/remote_executor.h"
#include "runners/thread_pool.h"

#include <sys/types.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
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

 private:
  struct Worker {
    pid_t pid = -1;
    int fd = -1;
    std::size_t known_tasks = 0;  // registry entries it was forked with
  };

  // An idle worker that knows the task with registry serial `serial`, forking one
  // when needed; blocks while all are busy.
  std::unique_ptr<Worker> acquire(std::size_t serial);
  void release(std::unique_ptr<Worker> worker);
  // Kills and reaps a worker; returns how it ended ("killed by signal SIGSEGV ...").
  std::string end(Worker& worker, bool kill_it);
  std::unique_ptr<Worker> spawn();  // with mu_ held

  const int max_workers_;
  std::mutex mu_;  // guards idle_, live_ and all_fds_
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Worker>> idle_;
  int live_ = 0;
  std::vector<int> all_fds_;  // every worker's socket: a new fork closes the others'
  std::uint64_t next_call_ = 1;
  std::optional<ThreadPool> dispatch_;  // stopped first: its runs need the workers
};

}  // namespace baton::runners

#pragma once
// Task runners decide where and when submitted task runs execute. This interface is
// the single place where scheduling happens; the engine hands a runner only runs
// whose upstreams are all final.
#include <memory>
#include <string_view>

namespace baton {

// One unit of work for a runner: a task run that is ready to execute.
class Runnable {
 public:
  virtual ~Runnable() = default;
  virtual void run() noexcept = 0;
};

class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  virtual std::string_view name() const = 0;
  // How many runs can execute at once.
  virtual int workers() const = 0;
  // Executes job->run() once, on whatever thread the runner chooses. Thread-safe;
  // never blocks for long (queues instead).
  virtual void submit(std::shared_ptr<Runnable> job) = 0;
};

// A pool of `workers` threads (0: BATON_WORKERS, default the hardware threads).
// Pools with the same worker count are shared within the process.
std::shared_ptr<TaskRunner> thread_pool(int workers = 0);

// Runs each job inline, in the submitting thread, at once: deterministic, for tests
// and debugging.
std::shared_ptr<TaskRunner> immediate();

}  // namespace baton

#pragma once
// Task runners decide where and when submitted task runs execute. This interface is
// the single place where scheduling happens; the engine hands a runner only runs
// whose upstreams are all final.
#include <memory>
#include <string_view>

namespace baton {

namespace engine {
class RemoteExecutor;  // engine-internal: runs task bodies in other processes
}

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

  // Non-null when task bodies run in other processes (process pool, MPI): the
  // engine keeps states, retries, caching and history here and hands the runner
  // each attempt's body.
  virtual engine::RemoteExecutor* remote_executor() { return nullptr; }
  // Called before a top-level flow run starts on this runner. A process that is a
  // worker of another one (an MPI rank other than 0) serves tasks here and ends
  // the program instead of returning.
  virtual void before_flow_run() {}
};

// A pool of `workers` threads (0: BATON_WORKERS, default the hardware threads).
// Pools with the same worker count are shared within the process.
std::shared_ptr<TaskRunner> thread_pool(int workers = 0);

// Runs each job inline, in the submitting thread, at once: deterministic, for tests
// and debugging.
std::shared_ptr<TaskRunner> immediate();

// `workers` worker processes of this same program (0: BATON_WORKERS), forked on
// first use. A task that crashes its process (segfault, abort, out of memory)
// ends Crashed with the signal named, and its worker is replaced. Arguments and
// results travel through the binary serializer; results larger than
// BATON_INLINE_RESULT_BYTES go to result storage and only a reference comes back.
std::shared_ptr<TaskRunner> process_pool(int workers = 0);

// Under `mpirun -np N`: rank 0 runs the flow, ranks 1..N-1 run its tasks (the
// same program, reaching its first flow call, serves tasks there and exits).
// Up to `tasks_in_flight_per_rank` calls are out to a rank at once (0: 256),
// sent to it in batches. Started without mpirun, the default thread pool instead.
std::shared_ptr<TaskRunner> mpi(int tasks_in_flight_per_rank = 0);

}  // namespace baton

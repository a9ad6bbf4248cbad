#pragma once
// Task bodies on MPI ranks: under `mpirun -np N`, rank 0 runs the flow and its
// engine (states, retries, caching, history); ranks 1..N-1 run task bodies.
// Every rank runs the same program; a worker rank turns into a server when it
// reaches its first flow call (before_flow_run) and exits when rank 0 is done.
//
// Rank 0 keeps up to `in_flight` requests queued at each rank so a rank never
// waits for its next task. A result larger than BATON_INLINE_RESULT_BYTES stays
// on the rank that made it (a handle comes back), and a task whose large input
// is held by a rank is placed on that rank, so large intermediates do not pass
// through rank 0. Persisted and cached results still go to result storage,
// which all ranks must reach (a shared directory or S3).
//
// One thread per rank receives; MPI calls poll with a short back-off instead of
// MPI's spinning blocking calls, which would take a whole core on a small machine.
#include <baton/task_runner.h>

#include "engine/remote_executor.h"
#include "runners/thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace baton::runners {

class MpiRunner final : public TaskRunner, public engine::RemoteExecutor {
 public:
  // MPI is initialized; rank 0 starts its receiver. Lives until the process ends.
  MpiRunner(int in_flight_per_rank);

  std::string_view name() const override { return "mpi"; }
  int workers() const override { return size_ - 1; }
  void submit(std::shared_ptr<Runnable> job) override { dispatch_->submit(std::move(job)); }
  engine::RemoteExecutor* remote_executor() override { return rank_ == 0 ? this : nullptr; }
  void before_flow_run() override;

  engine::RemoteOutcome run_body(detail::TaskRunCore& run, const detail::ResultPlan& plan) override;

  // Rank 0: a value a worker rank holds, fetched or released.
  std::string fetch(int rank, std::uint64_t handle, std::string& serializer);
  void release(int rank, std::uint64_t handle);

  // At exit on rank 0: tells the worker ranks to stop, then finalizes MPI.
  void shut_down();

 private:
  void send(int rank, int tag, std::string_view bytes);
  void receive_loop();
  [[noreturn]] void serve();
  // A new call id whose reply await() will wait for; with mu_ held.
  std::uint64_t expect_reply();
  // Waits for the reply to call `id`; nullopt when `stop` fired first.
  std::optional<std::string> await(std::uint64_t id, const std::stop_token& stop);
  int pick_rank(int preferred);  // with mu_ held; -1 if all ranks are full

  int rank_ = 0;
  int size_ = 1;
  int in_flight_ = 4;
  bool thread_multiple_ = false;
  std::mutex send_mu_;  // serializes MPI calls when MPI is not thread-multiple

  std::mutex mu_;  // guards the members below
  std::condition_variable cv_;
  std::vector<int> busy_;  // requests outstanding per rank
  std::unordered_map<std::uint64_t, std::optional<std::string>> pending_;  // replies by call id
  std::uint64_t next_id_ = 1;
  bool finalized_ = false;

  std::atomic<std::uint64_t> bytes_through_rank0_{0};
  std::atomic<std::uint64_t> messages_{0};
  std::thread receiver_;
  std::optional<ThreadPool> dispatch_;
};

}  // namespace baton::runners

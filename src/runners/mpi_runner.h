#pragma once
// Task bodies on MPI ranks: under `mpirun -np N`, rank 0 runs the flow and its
// engine (states, retries, caching, history); ranks 1..N-1 run task bodies.
// Every rank runs the same program; a worker rank turns into a server when it
// reaches its first flow call (before_flow_run) and exits when rank 0 is done.
//
// Batching (issue 13): calls for a rank wait in its queue; a sender thread
// sends a rank everything queued for it as one message as soon as the rank has
// room (fewer than `calls per rank` in flight), so a lone call goes out at once
// and calls that queue while it sends share the next message. A worker rank
// sends its replies and events (logs, prints) in one message whenever it has
// nothing left to read, or every 64 replies. A dispatch thread runs other ready
// runs while its call is out, so many calls are in flight
// without a thread each. A result larger than BATON_INLINE_RESULT_BYTES stays
// on the rank that made it (a handle comes back), and a task whose large input
// is held by a rank is placed on that rank, so large intermediates do not pass
// through rank 0. Persisted and cached results still go to result storage,
// which all ranks must reach (a shared directory or S3).
//
// One thread on rank 0 receives, one sends batches. Batches (both ways) are
// posted with MPI_Isend and their buffers kept until the send completes, so no
// thread waits for the other side to take a batch. Rank 0's receiver sleeps
// on a condition variable while nothing is out (no call, no fetch); otherwise,
// and on the worker ranks, receives poll with a short back-off instead of
// MPI's blocking calls, which spin (sched_yield at best) and would take a
// whole core on a small machine (measured: mpi_runner.cpp, receive_next).
#include <baton/task_runner.h>

#include "engine/remote_executor.h"
#include "runners/completion.h"
#include "runners/thread_pool.h"

#include <mpi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
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
  // MPI is initialized; rank 0 starts its receiver and sender. Lives until the
  // process ends. `calls_per_rank`: at most this many calls in flight per rank.
  MpiRunner(int calls_per_rank);

  // Dispatch threads on rank 0 per worker rank. Each keeps up to
  // ThreadPool::kMaxHelpDepth calls in flight while it waits; a reply takes
  // longer to come back than from a worker process (both sides poll), so more
  // calls in flight per rank pay: 4 gave ~1.2-1.3x the tasks/s of 2 (np2 and
  // np3, medians of 7 runs interleaved, bench_runners' throughput child).
  static constexpr int kThreadsPerRank = 4;

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
  struct Call {
    std::uint64_t id = 0;
    std::string request;  // without its kind byte
    Completion done;
    std::string reply;                 // set before `done`
    std::optional<std::string> error;  // the rank sent something malformed
  };
  struct Rank {
    std::deque<std::shared_ptr<Call>> queue;      // not sent yet
    std::deque<std::shared_ptr<Call>> in_flight;  // in the order sent
  };

  // A blocking send: for small messages (MPI sends them eagerly) and the rare
  // large fetch reply.
  void send(int rank, int tag, std::string_view bytes);
  // A send that returns at once (MPI_Isend); `bytes` live in outgoing_ until it
  // completes. Batches go this way: a blocking MPI_Send of a batch over MPI's
  // eager limit (4 KiB on shared memory) waits, spinning and yielding, until the
  // receiver matches it, which took a core from rank 0's engine threads and kept
  // rank 0's sender from serving the other ranks meanwhile.
  void post(int rank, int tag, std::string bytes);
  // Frees the buffers of the posted sends that completed; with `all`, first
  // waits for every one (before MPI_Finalize).
  void reap_sends(bool all = false);
  void receive_loop();
  void send_loop();
  // With mu_ held: whether `rank` has calls queued and room for them; those calls
  // as one batch (moved to its in_flight).
  bool has_room(int rank) const;
  // With mu_ held: whether a message from a worker rank may come (calls or
  // fetches are out, or rank 0 is shutting down). Until then the receiver
  // sleeps on expect_cv_ instead of polling.
  bool expecting() const;
  std::string plan_batch(int rank);
  void on_batch(int rank, std::string_view bytes);
  [[noreturn]] void serve();
  // A new call id whose reply await() will wait for; with mu_ held.
  std::uint64_t expect_reply();
  // Waits for the reply to call `id`; nullopt when `stop` fired first.
  std::optional<std::string> await(std::uint64_t id, const std::stop_token& stop);
  int pick_rank(int preferred);  // with mu_ held

  int rank_ = 0;
  int size_ = 1;
  std::size_t per_batch_ = 256;
  bool thread_multiple_ = false;
  std::mutex send_mu_;  // serializes MPI calls when MPI is not thread-multiple

  std::mutex mu_;  // guards the members below
  std::condition_variable cv_;
  std::vector<Rank> ranks_;
  std::condition_variable send_cv_;  // a rank has queued calls and room
  std::condition_variable expect_cv_;  // expecting() may have become true
  std::unordered_map<std::uint64_t, std::optional<std::string>> pending_;  // fetch replies by id
  std::uint64_t next_id_ = 1;
  bool finalized_ = false;

  struct Outgoing {
    MPI_Request request;
    std::string bytes;  // a list node: the buffer never moves (short strings live inside)
  };
  std::mutex out_mu_;  // guards outgoing_; taken before send_mu_
  std::list<Outgoing> outgoing_;
  std::atomic<std::size_t> outgoing_count_{0};  // polls skip the lock when none

  std::atomic<std::uint64_t> bytes_through_rank0_{0};
  std::atomic<std::uint64_t> messages_{0};
  std::thread receiver_;
  std::thread sender_;
  std::optional<ThreadPool> dispatch_;
};

}  // namespace baton::runners

#pragma once
// A fixed pool of worker threads whose queue is split in one shard per worker;
// a worker takes the oldest job of any shard (stealing from the others), so runs
// still start in submission order. Submitting takes no lock every submitter and
// worker contends for: a worker pushes to its own shard, any other thread to one
// shard in turn. A run that becomes ready on a
// worker (the next link of a chain) goes to that worker's private slot and runs
// next on the same thread, skipping the queues and a wake-up.
//
// Sleeping: a worker that finds nothing checks a few times more (yielding the
// core) before it sleeps on a futex word; a submitter wakes one only when some
// worker sleeps, so a busy pool makes no system call per task.
#include <baton/task_runner.h>

#include "runners/completion.h"

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace baton::runners {

class ThreadPool final : public TaskRunner {
 public:
  explicit ThreadPool(int workers);
  ~ThreadPool() override;  // finishes queued work, then joins

  std::string_view name() const override { return "thread"; }
  int workers() const override { return static_cast<int>(threads_.size()); }
  void submit(std::shared_ptr<Runnable> job) override;

  // Called on one of this pool's own threads while its job waits for something
  // another process does (a remote call's reply): runs one other job that is
  // ready (this thread's next link first, then the oldest queued) and returns
  // true, or returns false at once when there is none or the caller is not one
  // of this pool's threads. The caller must hold nothing such a job could wait
  // for (a lock, a concurrency slot): the job runs on top of its stack.
  bool run_one_ready();

  // Waits until `done` is set. Meanwhile, when `may_help`, runs other ready jobs
  // on top of this thread (run_one_ready), at most kMaxHelpDepth deep, so many
  // remote calls are in flight without a thread (and a wake-up) each; the cost
  // is that this job's end waits for the jobs stacked on it. `each_wait` runs
  // after every idle wait of up to 50 ms (to notice a stop); it may throw.
  void wait_running_others(Completion& done, bool may_help, const std::function<void()>& each_wait = {});
  static constexpr int kMaxHelpDepth = 64;

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};

  // One shard of the pool's queue, on a cache line of its own. Every job carries
  // a ticket from one counter; `front` mirrors the ticket at the head (kEmpty
  // when none), so a worker finds the oldest job without taking any lock and
  // runs start in submission order, as with one queue.
  struct alignas(64) Queue {
    std::mutex mu;
    std::deque<std::pair<std::uint64_t, std::shared_ptr<Runnable>>> jobs;  // tickets ascending
    std::atomic<std::uint64_t> front{kEmpty};
  };

  void work(std::size_t self);
  void push(Queue& q, std::shared_ptr<Runnable> job);
  // The oldest queued job, or null when every queue is empty.
  std::shared_ptr<Runnable> find();
  // True if some queue holds a job (taking each lock: the last look before sleeping).
  bool any_queued();
  void wake_one();

  std::vector<Queue> queues_;
  std::atomic<std::uint64_t> tickets_{0};
  std::atomic<std::uint32_t> epoch_{0};  // the futex word sleepers wait on; bumped to wake them
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stopping_{false};

  std::vector<std::jthread> threads_;  // last: started after the queues exist
};

// Runs jobs in the submitting thread. Jobs submitted while one runs (a chain) are
// queued and run after it, in order, so chains do not grow the stack.
class ImmediateRunner final : public TaskRunner {
 public:
  std::string_view name() const override { return "immediate"; }
  int workers() const override { return 1; }
  void submit(std::shared_ptr<Runnable> job) override;
};

}  // namespace baton::runners

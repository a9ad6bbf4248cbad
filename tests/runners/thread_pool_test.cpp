// The thread pool's contract, directly: every submitted job runs exactly once
// whoever submits it (other threads, its own workers), queued work is finished
// before the pool is destroyed, a pool whose workers all sleep wakes for a late
// job, and jobs start in submission order.
#include "runners/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace baton {
namespace {

using namespace std::chrono_literals;

class Job final : public Runnable {
 public:
  explicit Job(std::function<void()> fn) : fn_(std::move(fn)) {}
  void run() noexcept override { fn_(); }

 private:
  std::function<void()> fn_;
};

std::shared_ptr<Runnable> job(std::function<void()> fn) { return std::make_shared<Job>(std::move(fn)); }

TEST(ThreadPool, EveryJobFromManySubmittersAndFromItsWorkersRunsOnceBeforeThePoolIsGone) {
  constexpr int kSubmitters = 4, kEach = 5000;
  std::atomic<int> ran{0}, children{0};
  {
    runners::ThreadPool pool(2);
    std::vector<std::jthread> submitters;
    for (int s = 0; s < kSubmitters; ++s) {
      submitters.emplace_back([&] {
        for (int i = 0; i < kEach; ++i) {
          pool.submit(job([&, i] {
            ++ran;
            // Every tenth job submits two more from the worker (its slot, then its shard).
            if (i % 10 == 0) {
              for (int k = 0; k < 2; ++k) pool.submit(job([&] { ++children; }));
            }
          }));
        }
      });
    }
  }  // submitters joined first (declared last), then the pool finishes its queues and joins
  EXPECT_EQ(ran.load(), kSubmitters * kEach);
  EXPECT_EQ(children.load(), kSubmitters * (kEach / 10) * 2);
}

TEST(ThreadPool, WorkersAsleepWakeForAJobSubmittedLater) {
  runners::ThreadPool pool(3);
  for (int round = 0; round < 20; ++round) {
    std::this_thread::sleep_for(2ms);  // long enough for every worker to go to sleep
    std::promise<void> done;
    auto f = done.get_future();
    pool.submit(job([&] { done.set_value(); }));
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready) << "round " << round;
  }
}

TEST(ThreadPool, JobsStartInSubmissionOrder) {
  // One worker held by a gate: everything submitted meanwhile runs after it, in order.
  runners::ThreadPool pool(1);
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::mutex mu;
  std::vector<int> order;
  pool.submit(job([open] { open.wait(); }));
  constexpr int kJobs = 200;
  std::atomic<int> finished{0};
  for (int i = 0; i < kJobs; ++i) {
    pool.submit(job([&, i] {
      std::lock_guard lock(mu);
      order.push_back(i);
      ++finished;
    }));
  }
  gate.set_value();
  while (finished.load() < kJobs) std::this_thread::sleep_for(1ms);
  std::lock_guard lock(mu);
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kJobs));
  for (int i = 0; i < kJobs; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST(ThreadPool, QueuedJobsStartBeforeLaterOnesAcrossWorkers) {
  // Two workers held by gates while 100 jobs queue up, spread over both shards:
  // the first job to start once the gates open is the first submitted.
  runners::ThreadPool pool(2);
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<int> held{0};
  for (int w = 0; w < 2; ++w) pool.submit(job([open, &held] { ++held; open.wait(); }));
  while (held.load() < 2) std::this_thread::sleep_for(1ms);
  std::atomic<int> first{-1}, finished{0};
  constexpr int kJobs = 100;
  for (int i = 0; i < kJobs; ++i) {
    pool.submit(job([&, i] {
      int none = -1;
      first.compare_exchange_strong(none, i);
      ++finished;
    }));
  }
  gate.set_value();
  while (finished.load() < kJobs) std::this_thread::sleep_for(1ms);
  // Either of the two oldest: both workers may take one at the same moment.
  EXPECT_LE(first.load(), 1);
}

}  // namespace
}  // namespace baton

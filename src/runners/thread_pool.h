#pragma once
// A fixed pool of worker threads with one shared queue. A run that becomes ready
// on a worker (the next link of a chain) goes to that worker's private slot and
// runs next on the same thread, skipping the queue and a wake-up.
#include <baton/task_runner.h>

#include <condition_variable>
#include <deque>
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

 private:
  void work(std::stop_token stop);

  std::mutex mu_;  // guards queue_ and idle_
  std::condition_variable_any cv_;
  std::deque<std::shared_ptr<Runnable>> queue_;
  int idle_ = 0;

  std::vector<std::jthread> threads_;  // last: started after the queue exists
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

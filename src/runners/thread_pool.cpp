#include "runners/thread_pool.h"

#include "engine/settings.h"
#include "runners/shared_pool.h"

namespace baton::runners {

namespace {

// The worker's next job: set when a run finished on this worker makes another ready.
struct WorkerSlot {
  const ThreadPool* pool = nullptr;
  std::shared_ptr<Runnable> next;
};
thread_local WorkerSlot t_slot;

}  // namespace

ThreadPool::ThreadPool(int workers) {
  threads_.reserve(static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this](std::stop_token st) { work(st); });
}

ThreadPool::~ThreadPool() {
  for (auto& t : threads_) t.request_stop();
  cv_.notify_all();
  threads_.clear();  // joins
}

void ThreadPool::submit(std::shared_ptr<Runnable> job) {
  if (t_slot.pool == this && !t_slot.next) {
    t_slot.next = std::move(job);
    return;
  }
  bool wake;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(job));
    wake = idle_ > 0;
  }
  if (wake) cv_.notify_one();
}

void ThreadPool::work(std::stop_token stop) {
  t_slot.pool = this;
  std::unique_lock lock(mu_);
  while (true) {
    if (queue_.empty()) {
      if (stop.stop_requested()) break;
      ++idle_;
      cv_.wait(lock, stop, [&] { return !queue_.empty(); });
      --idle_;
      continue;
    }
    std::shared_ptr<Runnable> job = std::move(queue_.front());
    queue_.pop_front();
    // More work queued and another worker asleep: pass the wake-up along.
    bool wake = !queue_.empty() && idle_ > 0;
    lock.unlock();
    if (wake) cv_.notify_one();
    while (job) {
      job->run();
      job = std::move(t_slot.next);
    }
    lock.lock();
  }
  t_slot.pool = nullptr;
}

void ImmediateRunner::submit(std::shared_ptr<Runnable> job) {
  thread_local std::deque<std::shared_ptr<Runnable>>* draining = nullptr;
  if (draining != nullptr) {
    draining->push_back(std::move(job));
    return;
  }
  std::deque<std::shared_ptr<Runnable>> queue;
  draining = &queue;
  job->run();
  while (!queue.empty()) {
    auto next = std::move(queue.front());
    queue.pop_front();
    next->run();
  }
  draining = nullptr;
}

}  // namespace baton::runners

namespace baton {

std::shared_ptr<TaskRunner> thread_pool(int workers) {
  return runners::shared_pool<runners::ThreadPool>(workers > 0 ? workers : settings::workers());
}

std::shared_ptr<TaskRunner> immediate() {
  static auto* runner = new std::shared_ptr<TaskRunner>(std::make_shared<runners::ImmediateRunner>());
  return *runner;
}

}  // namespace baton

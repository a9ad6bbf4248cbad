#include "runners/thread_pool.h"

#include "engine/settings.h"
#include "runners/shared_pool.h"

namespace baton::runners {

namespace {

// The calling thread's place in a pool, if it is one of its workers, and its
// next job: set when a run finished on this worker makes another ready.
struct WorkerSlot {
  const ThreadPool* pool = nullptr;
  std::size_t index = 0;
  std::shared_ptr<Runnable> next;
};
thread_local WorkerSlot t_slot;
// Where this (non-worker) thread submits next: its own rotation, so submitters
// share no counter.
thread_local std::size_t t_next_queue = 0;

// Checks for work this many times, yielding the core in between, before sleeping:
// on a busy pool the next task usually arrives within a few microseconds, and a
// futex sleep plus wake-up costs more than that.
constexpr int kSpinsBeforeSleep = 16;

}  // namespace

ThreadPool::ThreadPool(int workers) : queues_(static_cast<std::size_t>(workers > 0 ? workers : 1)) {
  threads_.reserve(queues_.size());
  for (std::size_t i = 0; i < queues_.size(); ++i) threads_.emplace_back([this, i] { work(i); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true, std::memory_order_seq_cst);
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  epoch_.notify_all();
  threads_.clear();  // joins
}

void ThreadPool::push(Queue& q, std::shared_ptr<Runnable> job) {
  {
    std::lock_guard lock(q.mu);
    // Taken under the shard's lock so each shard's tickets ascend.
    const std::uint64_t ticket = tickets_.fetch_add(1, std::memory_order_relaxed);
    q.jobs.emplace_back(ticket, std::move(job));
    if (q.jobs.size() == 1) q.front.store(ticket, std::memory_order_release);
  }
  // Pairs with the sleeper's increment of sleepers_ before its last look at the
  // queues (under their locks): either that look sees this job, or this load
  // sees the sleeper.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) wake_one();
}

void ThreadPool::wake_one() {
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  epoch_.notify_one();
}

void ThreadPool::submit(std::shared_ptr<Runnable> job) {
  if (t_slot.pool == this) {
    if (!t_slot.next) {
      t_slot.next = std::move(job);
      return;
    }
    push(queues_[t_slot.index], std::move(job));
    return;
  }
  const std::size_t i = t_next_queue++ % queues_.size();
  push(queues_[i], std::move(job));
}

std::shared_ptr<Runnable> ThreadPool::find() {
  while (true) {
    std::size_t best = queues_.size();
    std::uint64_t best_ticket = kEmpty;
    for (std::size_t i = 0; i < queues_.size(); ++i) {
      const std::uint64_t t = queues_[i].front.load(std::memory_order_acquire);
      if (t < best_ticket) best_ticket = t, best = i;
    }
    if (best == queues_.size()) return nullptr;
    Queue& q = queues_[best];
    std::lock_guard lock(q.mu);
    // Taken meanwhile (the shard now starts with a younger job, or is empty):
    // look again, or a worker that read a stale front would start a later run
    // before an older one still queued in another shard.
    if (q.jobs.empty() || q.jobs.front().first != best_ticket) continue;
    std::shared_ptr<Runnable> job = std::move(q.jobs.front().second);
    q.jobs.pop_front();
    q.front.store(q.jobs.empty() ? kEmpty : q.jobs.front().first, std::memory_order_release);
    return job;
  }
}

bool ThreadPool::run_one_ready() {
  if (t_slot.pool != this) return false;
  std::shared_ptr<Runnable> job = std::move(t_slot.next);
  if (!job) job = find();
  if (!job) return false;
  job->run();
  return true;
}

void ThreadPool::wait_running_others(Completion& done, bool may_help, const std::function<void()>& each_wait) {
  thread_local int depth = 0;
  while (!done.is_set()) {
    if (may_help && depth < kMaxHelpDepth) {
      ++depth;
      const bool ran = run_one_ready();
      --depth;
      if (ran) continue;
    }
    if (!done.wait_for(std::chrono::milliseconds(50)) && each_wait) each_wait();
  }
}

bool ThreadPool::any_queued() {
  for (Queue& q : queues_) {
    std::lock_guard lock(q.mu);
    if (!q.jobs.empty()) return true;
  }
  return false;
}

void ThreadPool::work(std::size_t self) {
  t_slot.pool = this;
  t_slot.index = self;
  while (true) {
    std::shared_ptr<Runnable> job = find();
    for (int spin = 0; !job && spin < kSpinsBeforeSleep; ++spin) {
      std::this_thread::yield();
      job = find();
    }
    if (!job) {
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      const std::uint32_t seen = epoch_.load(std::memory_order_seq_cst);
      if (!any_queued()) {
        // Stopping ends a worker only once every queue is empty: queued work is
        // finished first (another worker may still add to the queues meanwhile;
        // that worker then runs it itself).
        if (stopping_.load(std::memory_order_seq_cst)) {
          sleepers_.fetch_sub(1, std::memory_order_seq_cst);
          break;
        }
        epoch_.wait(seen, std::memory_order_seq_cst);
      }
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      continue;
    }
    while (job) {
      job->run();
      job = std::move(t_slot.next);
    }
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

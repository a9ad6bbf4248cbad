#pragma once
// A small fixed set of threads that runs the S3 client's part uploads and ranged
// downloads, so several requests are in flight without depending on the engine's
// task runners (the results layer sits beside the engine, not above its pool).
//
// Tasks must not block waiting for other tasks of the same pool (they would
// deadlock it); callers bound their own in-flight work and wait outside.
// Thread-safe. The destructor finishes queued tasks, then joins.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace baton::aws {

class WorkPool {
 public:
  explicit WorkPool(int threads);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void submit(std::function<void()> task);
  int size() const { return static_cast<int>(threads_.size()); }

 private:
  void loop(std::stop_token stop);

  std::mutex mutex_;
  // Guarded by mutex_.
  std::deque<std::function<void()>> queue_;
  std::condition_variable_any wake_;

  std::vector<std::jthread> threads_;  // last: started after the members above exist
};

}  // namespace baton::aws

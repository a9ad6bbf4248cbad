#pragma once
// Pools are shared per size within the process and never destroyed: their
// threads may still run while static destructors run at exit, and a run may drop
// the last reference to its pool on one of the pool's own threads (a thread
// cannot join itself).
#include <baton/task_runner.h>

#include <map>
#include <memory>
#include <mutex>

namespace baton::runners {

template <class Pool>
std::shared_ptr<TaskRunner> shared_pool(int workers) {
  static std::mutex mu;
  static auto* pools = new std::map<int, std::shared_ptr<TaskRunner>>();
  std::lock_guard lock(mu);
  auto& pool = (*pools)[workers];
  if (!pool) pool = std::make_shared<Pool>(workers);
  return pool;
}

}  // namespace baton::runners

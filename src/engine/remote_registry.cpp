// The registry of task definitions that worker processes look tasks up in.
#include <baton/detail/remote_task.h>

#include <pthread.h>

#include <deque>
#include <mutex>
#include <unordered_map>

namespace baton::detail {

namespace {

struct Registry {
  std::mutex mu;                  // guards both members
  std::deque<RemoteTask> tasks;   // a deque: entries never move
  std::unordered_map<std::string, const RemoteTask*> latest;
};

Registry& registry() {
  static Registry* r = [] {
    auto* made = new Registry();  // leaked: tasks may be defined during static destruction
    // A forked worker looks tasks up: it must not inherit the lock held.
    pthread_atfork([] { registry().mu.lock(); }, [] { registry().mu.unlock(); }, [] { registry().mu.unlock(); });
    return made;
  }();
  return *r;
}

}  // namespace

const RemoteTask* register_remote_task(RemoteTask task) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  task.serial = r.tasks.size();
  const RemoteTask* entry = &r.tasks.emplace_back(std::move(task));
  r.latest[entry->key] = entry;
  return entry;
}

const RemoteTask* find_remote_task(std::string_view key, std::size_t serial) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  if (serial < r.tasks.size() && r.tasks[serial].key == key) return &r.tasks[serial];
  auto it = r.latest.find(std::string(key));
  return it == r.latest.end() ? nullptr : it->second;
}

std::size_t remote_task_count() {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  return r.tasks.size();
}

}  // namespace baton::detail

// The engine's side of tag concurrency limits: the wait loop around the
// installed implementation (the server's, see src/client/concurrency_slots.cpp).
#include "engine/concurrency_slots.h"

#include <mutex>

namespace baton::engine {
namespace {

std::mutex g_mutex;
std::shared_ptr<ConcurrencySlots>& installed() {
  static std::shared_ptr<ConcurrencySlots> s;
  return s;
}

}  // namespace

void set_concurrency_slots(std::shared_ptr<ConcurrencySlots> slots) {
  std::lock_guard lock(g_mutex);
  installed() = std::move(slots);
}

bool acquire_slots(const RunId& holder, const std::vector<std::string>& tags, const std::stop_token& stop,
                   const std::function<void(const std::string&)>& on_wait,
                   const std::function<void(const std::string&)>& on_warning, SlotHold& out) {
  if (tags.empty()) return true;
  std::shared_ptr<ConcurrencySlots> slots;
  {
    std::lock_guard lock(g_mutex);
    slots = installed();
  }
  if (!slots) return true;
  bool waiting = false;
  // First a try without waiting, so a run that has to wait says so before it
  // does; then long polls of 1 s, so a cancelled flow stops waiting promptly.
  while (!stop.stop_requested()) {
    auto g = slots->acquire(tags, holder.str(), std::chrono::milliseconds(waiting ? 1000 : 0));
    if (g.granted) {
      out = SlotHold(slots, g.lease_id);
      return true;
    }
    if (g.unavailable) {
      // A limit that cannot be checked is not a reason to stop the pipeline.
      on_warning("running without concurrency slots: " + g.error);
      return true;
    }
    if (!waiting) {
      waiting = true;
      on_wait(g.blocked_by);
    }
  }
  return false;
}

}  // namespace baton::engine

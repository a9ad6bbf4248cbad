#pragma once
// Tag concurrency limits: before its first attempt, a task run with tags takes
// one slot of every tag that has a limit on the server (all or none), waiting
// in AwaitingConcurrencySlot while none is free; it holds them (renewed in the
// background) until it ends, whatever the end. The wiring installs the server's
// implementation when BATON_API_URL is set; with no server, tags have no limits.
#include <baton/run_id.h>

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

namespace baton::engine {

class ConcurrencySlots {
 public:
  struct Grant {
    bool granted = false;
    bool unavailable = false;  // the server could not be asked (then the run goes on without slots)
    std::string lease_id;      // "" when granted because no tag has a limit
    std::string blocked_by;    // a full tag, when not granted
    std::string error;         // why unavailable
  };
  virtual ~ConcurrencySlots() = default;
  // One long poll: waits up to `wait` for the slots. Thread-safe.
  virtual Grant acquire(const std::vector<std::string>& tags, const std::string& holder, std::chrono::milliseconds wait) = 0;
  // Renewed in the background until released. Thread-safe.
  virtual void release(const std::string& lease_id) = 0;
};

void set_concurrency_slots(std::shared_ptr<ConcurrencySlots> slots);

// The slots of one task run, released on destruction.
class SlotHold {
 public:
  SlotHold() = default;
  SlotHold(std::shared_ptr<ConcurrencySlots> slots, std::string lease_id)
      : slots_(std::move(slots)), lease_id_(std::move(lease_id)) {}
  ~SlotHold() { reset(); }
  SlotHold(SlotHold&& o) noexcept : slots_(std::move(o.slots_)), lease_id_(std::move(o.lease_id_)) { o.lease_id_.clear(); }
  SlotHold& operator=(SlotHold&& o) noexcept {
    if (this != &o) {
      reset();
      slots_ = std::move(o.slots_);
      lease_id_ = std::move(o.lease_id_);
      o.lease_id_.clear();
    }
    return *this;
  }
  void reset() {
    if (slots_ && !lease_id_.empty()) slots_->release(lease_id_);
    lease_id_.clear();
  }

 private:
  std::shared_ptr<ConcurrencySlots> slots_;
  std::string lease_id_;
};

// Takes the slots of `tags` for task run `holder`: returns at once when there are
// no tags or no server; otherwise calls `on_wait(blocked_by)` once if it has to
// wait, and waits until granted or `stop` is requested (then returns false).
bool acquire_slots(const RunId& holder, const std::vector<std::string>& tags, const std::stop_token& stop,
                   const std::function<void(const std::string& blocked_by)>& on_wait,
                   const std::function<void(const std::string& warning)>& on_warning, SlotHold& out);

}  // namespace baton::engine

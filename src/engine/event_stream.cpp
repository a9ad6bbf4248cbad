#include "engine/event_stream.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iterator>
#include <type_traits>

namespace baton::engine {

// One thread's task states not yet moved on. Shared by the stream (which sweeps
// it) and the thread (whose exit releases it for another thread to take); lock
// order: the stream's mu_ before a buffer's mu.
struct StateBuffer {
  std::mutex mu;
  std::vector<StateChanged> states;  // guarded by mu
  // A live thread owns it. Atomic, not under mu, so that releasing takes no lock:
  // a forked child's copy of its thread's buffer may have been locked at the fork.
  std::atomic<bool> in_use{true};
  bool closed = false;               // guarded by mu: the stream closed, later pushes are dropped
};

namespace {

std::atomic<std::uint64_t> g_stream_serial{0};

// The calling thread's buffer: of one stream at a time, told apart by serial (a
// stream may be gone; only the buffer, shared, is touched then).
struct LocalBuffer {
  std::uint64_t stream = 0;
  std::shared_ptr<StateBuffer> buffer;

  void release() {
    if (buffer) buffer->in_use.store(false, std::memory_order_release);  // its states stay for the writer to sweep
    buffer.reset();
    stream = 0;
  }
  ~LocalBuffer() { release(); }
};
thread_local LocalBuffer t_local;

}  // namespace

EventStream::EventStream(std::unique_ptr<RunStoreSink> sink, std::chrono::milliseconds heartbeat, Hooks hooks)
    : sink_(std::move(sink)), heartbeat_(heartbeat), hooks_(std::move(hooks)),
      serial_(g_stream_serial.fetch_add(1, std::memory_order_relaxed) + 1) {
  pending_.reserve(kWakeAt);
  writer_ = std::jthread([this](std::stop_token st) { writer_loop(st); });
}

EventStream::~EventStream() { close(); }

void EventStream::close() {
  flush();
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    for (const auto& b : buffers_) {
      std::lock_guard buffer_lock(b->mu);
      b->closed = true;
    }
  }
  writer_.request_stop();
  wake_writer_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void EventStream::close_store() {
  close();
  std::lock_guard lock(mu_);  // the writer is gone; the lock orders this after close() on any thread
  sink_.reset();
}

void EventStream::push(Event&& event) {
  std::unique_lock lock(mu_);
  if (closed_) return;
  if (pending_.size() >= kCapacity) {
    wake_writer_.notify_all();
    space_.wait(lock, [&] { return pending_.size() < kCapacity; });
  }
  if (std::holds_alternative<StateChanged>(event)) {
    // The task states pushed before a flow run's change, or before a task state
    // pushed here from another thread (a watchdog's TimedOut), come first.
    move_all_to_pending();
  } else if (t_local.stream == serial_) {
    move_to_pending(*t_local.buffer);  // this thread's earlier events come first
  }
  pending_.push_back(std::move(event));
  ++pushed_;
  if (pending_.size() == kWakeAt) wake_writer_.notify_all();
}

void EventStream::push_task_state(StateChanged&& state) {
  StateBuffer& b = local_buffer();
  {
    std::lock_guard lock(b.mu);
    if (b.closed) return;
    b.states.push_back(std::move(state));
    if (b.states.size() < kBlock) return;
  }
  // A full buffer goes to the shared queue in one block: bounds the memory, lets
  // the backpressure apply, and wakes the writer.
  std::unique_lock lock(mu_);
  if (closed_) return;
  if (pending_.size() >= kCapacity) {
    wake_writer_.notify_all();
    space_.wait(lock, [&] { return pending_.size() < kCapacity; });
  }
  move_to_pending(b);
}

StateBuffer& EventStream::local_buffer() {
  if (t_local.stream == serial_) return *t_local.buffer;
  t_local.release();
  std::lock_guard lock(mu_);
  // A buffer released by a thread that ended (or pushed to another stream since)
  // may hold states; they go ahead of whatever the taker pushes next.
  std::shared_ptr<StateBuffer> free;
  for (const auto& b : buffers_) {
    std::lock_guard buffer_lock(b->mu);
    if (b->in_use.load(std::memory_order_acquire)) continue;
    for (StateChanged& s : b->states) pending_.emplace_back(std::move(s));
    pushed_ += b->states.size();
    b->states.clear();
    if (!free) {
      free = b;
      free->in_use.store(true, std::memory_order_relaxed);
    }
  }
  if (!free) {
    free = std::make_shared<StateBuffer>();
    free->closed = closed_;
    free->states.reserve(kBlock);
    buffers_.push_back(free);
  }
  t_local.stream = serial_;
  t_local.buffer = std::move(free);
  return *t_local.buffer;
}

void EventStream::move_to_pending(StateBuffer& b) {
  std::lock_guard lock(b.mu);
  if (b.states.empty()) return;
  const bool below = pending_.size() < kWakeAt;
  for (StateChanged& s : b.states) pending_.emplace_back(std::move(s));
  pushed_ += b.states.size();
  b.states.clear();
  if (below && pending_.size() >= kWakeAt) wake_writer_.notify_all();
}

void EventStream::move_all_to_pending() {
  for (const auto& b : buffers_) move_to_pending(*b);
}

void EventStream::flush() {
  std::unique_lock lock(mu_);
  if (closed_) return;
  move_all_to_pending();
  std::uint64_t target = pushed_;
  if (written_ >= target) return;
  flush_wanted_ = std::max(flush_wanted_, target);
  wake_writer_.notify_all();
  written_cv_.wait(lock, [&] { return written_ >= target; });
}

namespace {

constexpr auto kFirstRetry = std::chrono::milliseconds(100);
constexpr auto kLongestRetry = std::chrono::milliseconds(5000);

std::int64_t thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The flow run an event belongs to (empty for a task run outside any flow).
RunId flow_run_of(const Event& event) {
  return std::visit(
      [](const auto& e) -> RunId {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, FlowRunCreated>) return e.id;
        else if constexpr (std::is_same_v<E, StateChanged>) return e.kind == RunKind::Flow ? e.run : RunId{};
        else return e.flow_run;
      },
      event);
}

}  // namespace

bool EventStream::write_batch(std::vector<Event>& batch) {
  if (batch.empty() && unwritten_.empty()) return true;
  const auto now = std::chrono::steady_clock::now();
  if (!unwritten_.empty() && now < retry_at_) {
    // Still backing off: keep the new events behind the old ones.
    std::move(batch.begin(), batch.end(), std::back_inserter(unwritten_));
    batch.clear();
    while (unwritten_.size() > kCapacity) drop_oldest_unwritten();
    return false;
  }
  if (!unwritten_.empty()) {
    std::move(batch.begin(), batch.end(), std::back_inserter(unwritten_));
    batch.swap(unwritten_);
    unwritten_.clear();
  }
  try {
    sink_->write(batch);
  } catch (const std::exception& e) {
    if (retry_delay_.count() == 0) {
      std::fprintf(stderr,
                   "baton: warning: the run history cannot be written (%s); keeping the events and retrying\n",
                   e.what());
    }
    retry_delay_ = retry_delay_.count() == 0 ? kFirstRetry : std::min(retry_delay_ * 2, kLongestRetry);
    retry_at_ = now + retry_delay_;
    unwritten_.swap(batch);
    batch.clear();
    while (unwritten_.size() > kCapacity) drop_oldest_unwritten();
    return false;
  }
  if (retry_delay_.count() != 0) {
    std::fprintf(stderr, "baton: the run history is written again (%zu events caught up)\n", batch.size());
    retry_delay_ = {};
  }
  return true;
}

void EventStream::drop_oldest_unwritten() {
  RunId flow_run = flow_run_of(unwritten_.front());
  if (!flow_run.empty() &&
      std::find(incomplete_flow_runs_.begin(), incomplete_flow_runs_.end(), flow_run) == incomplete_flow_runs_.end()) {
    incomplete_flow_runs_.push_back(flow_run);
  }
  unwritten_.erase(unwritten_.begin());
}

void EventStream::report_unwritten_at_close() {
  for (const Event& e : unwritten_) {
    RunId flow_run = flow_run_of(e);
    if (!flow_run.empty() &&
        std::find(incomplete_flow_runs_.begin(), incomplete_flow_runs_.end(), flow_run) == incomplete_flow_runs_.end()) {
      incomplete_flow_runs_.push_back(flow_run);
    }
  }
  if (incomplete_flow_runs_.empty() && unwritten_.empty()) return;
  std::string ids;
  for (const RunId& id : incomplete_flow_runs_) ids += (ids.empty() ? "" : ", ") + id.str();
  std::fprintf(stderr,
               "baton: error: %zu events could not be written to the run history; its record of these flow runs is "
               "incomplete: %s\n",
               unwritten_.size(), ids.empty() ? "(task runs outside any flow)" : ids.c_str());
}

void EventStream::writer_loop(std::stop_token stop) {
  std::vector<Event> batch;
  batch.reserve(kWakeAt);
  auto next_heartbeat = std::chrono::steady_clock::now();
  const auto beat = std::min<std::chrono::milliseconds>(heartbeat_, std::chrono::seconds(1));
  std::unique_lock lock(mu_);
  while (true) {
    wake_writer_.wait_until(lock, stop, next_heartbeat, [&] {
      return pending_.size() >= kWakeAt || flush_wanted_ > written_;
    });
    // A short pause batches bursts without delaying a flush.
    if (flush_wanted_ <= written_ && !stop.stop_requested() && pending_.size() < kWakeAt) {
      wake_writer_.wait_for(lock, stop, std::chrono::milliseconds(20), [&] { return flush_wanted_ > written_; });
    }
    batch.swap(pending_);
    std::uint64_t upto = pushed_;
    // Swept while mu_ is held: the creation of every run whose state is in a
    // buffer was pushed before, so it is in this batch or an earlier one.
    swept_.resize(buffers_.size());
    for (std::size_t i = 0; i < buffers_.size(); ++i) {
      std::lock_guard buffer_lock(buffers_[i]->mu);
      swept_[i].swap(buffers_[i]->states);
    }
    lock.unlock();
    space_.notify_all();
    for (std::vector<StateChanged>& states : swept_) {
      for (StateChanged& s : states) batch.emplace_back(std::move(s));
      states.clear();  // keeps its capacity for the buffer it is swapped with next
    }
    bool stored = write_batch(batch);
    if (!stored && stop.stop_requested()) {
      // At exit: a last few tries over about two seconds, then say what is missing.
      for (int attempt = 0; attempt < 4 && !stored; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        retry_at_ = {};
        stored = write_batch(batch);
      }
      if (!stored) report_unwritten_at_close();
      unwritten_.clear();
    }
    batch.clear();
    if (std::chrono::steady_clock::now() >= next_heartbeat || stop.stop_requested()) {
      next_heartbeat = std::chrono::steady_clock::now() + beat;
      if (unwritten_.empty() && hooks_.active_flow_runs) {
        try {
          for (const RunId& id : sink_->heartbeat(hooks_.active_flow_runs())) hooks_.cancel_requested(id);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "baton: run store heartbeat failed: %s\n", e.what());
        }
      }
    }
    writer_cpu_us_.store(thread_cpu_us(), std::memory_order_relaxed);
    lock.lock();
    // Events kept for a retry count as handled for flush(): a flush must not wait
    // for a disk that stays full while the runs go on.
    written_ = upto;
    written_cv_.notify_all();
    if (stop.stop_requested() && pending_.empty()) break;
  }
  lock.unlock();
  try {
    sink_->finish();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "baton: run store close failed: %s\n", e.what());
  }
}

}  // namespace baton::engine

#include "engine/event_stream.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iterator>
#include <type_traits>

namespace baton::engine {

EventStream::EventStream(std::unique_ptr<RunStoreSink> sink, std::chrono::milliseconds heartbeat, Hooks hooks)
    : sink_(std::move(sink)), heartbeat_(heartbeat), hooks_(std::move(hooks)) {
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
  pending_.push_back(std::move(event));
  ++pushed_;
  if (pending_.size() == kWakeAt) wake_writer_.notify_all();
}

void EventStream::flush() {
  std::unique_lock lock(mu_);
  if (closed_) return;
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
    lock.unlock();
    space_.notify_all();
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

#include "engine/event_stream.h"

#include <cstdio>
#include <exception>

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

void EventStream::push(Event event) {
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

void EventStream::write_batch(std::vector<Event>& batch) {
  if (batch.empty() || broken_) return;
  try {
    sink_->write(batch);
  } catch (const std::exception& e) {
    broken_ = true;
    std::fprintf(stderr, "baton: the run store cannot be written, run history is off from now on: %s\n", e.what());
  }
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
    write_batch(batch);
    batch.clear();
    if (std::chrono::steady_clock::now() >= next_heartbeat || stop.stop_requested()) {
      next_heartbeat = std::chrono::steady_clock::now() + beat;
      if (!broken_ && hooks_.active_flow_runs) {
        try {
          for (const RunId& id : sink_->heartbeat(hooks_.active_flow_runs())) hooks_.cancel_requested(id);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "baton: run store heartbeat failed: %s\n", e.what());
        }
      }
    }
    lock.lock();
    written_ = upto;
    written_cv_.notify_all();
    if (stop.stop_requested() && pending_.empty()) break;
  }
}

}  // namespace baton::engine

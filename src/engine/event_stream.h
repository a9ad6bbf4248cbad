#pragma once
// The in-process event stream: the engine pushes events on its hot path (a lock and
// a vector append); one writer thread hands them to the run store in batches and
// keeps the heartbeat of this process's flow runs. Bounded: a producer waits when
// the store falls too far behind (backpressure), so memory stays flat.
#include "engine/events.h"
#include "engine/run_store_sink.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace baton::engine {

class EventStream {
 public:
  struct Hooks {
    std::function<std::vector<RunId>()> active_flow_runs;  // for heartbeats
    std::function<void(const RunId&)> cancel_requested;    // a person asked to cancel it
  };

  EventStream(std::unique_ptr<RunStoreSink> sink, std::chrono::milliseconds heartbeat, Hooks hooks);
  // Writes everything pushed so far, then stops the writer.
  ~EventStream();

  void push(Event event);
  // Blocks until every event pushed before the call is written.
  void flush();
  // Writes everything pushed so far and stops the writer thread; later pushes are
  // dropped. Called at exit, so nothing is written during static destruction.
  void close();

 private:
  void writer_loop(std::stop_token stop);
  void write_batch(std::vector<Event>& batch);

  static constexpr std::size_t kWakeAt = 4096;       // wake the writer early at this backlog
  static constexpr std::size_t kCapacity = 1 << 18;  // producers wait beyond this backlog

  std::unique_ptr<RunStoreSink> sink_;  // used by the writer thread only
  std::chrono::milliseconds heartbeat_;
  Hooks hooks_;
  bool broken_ = false;                 // writer thread only: the store failed for good

  std::mutex mu_;  // guards the members below
  std::condition_variable_any wake_writer_;
  std::condition_variable space_;
  std::condition_variable written_cv_;
  std::vector<Event> pending_;
  std::uint64_t pushed_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t flush_wanted_ = 0;
  bool closed_ = false;

  std::jthread writer_;  // last: starts after the members it uses exist
};

}  // namespace baton::engine

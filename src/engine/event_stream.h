#pragma once
// The in-process event stream: the engine pushes events on its hot path (a lock and
// a vector append); one writer thread hands them to the run store in batches and
// keeps the heartbeat of this process's flow runs.
//
// A task run's state changes, three or more per task on the hottest path, go to
// a buffer of the pushing thread instead (push_task_state: a lock no other
// producer takes, and a 64-byte record instead of the whole Event), which the
// writer sweeps with every batch; a full buffer moves to the shared queue in one
// block. The order a run's history needs is kept: a run's creation (pushed to
// the shared queue before its task can start) always reaches the store before
// its state changes; one thread's events keep their order (a thread's shared
// push first moves its buffer); a state change pushed to the shared queue (a
// flow run's, or a task run's from a thread that did not run it, as the
// watchdog's TimedOut) follows every task state pushed before it; and flush()
// covers the buffers. So a run's states must all go through one thread's
// buffer, or the later ones through push().
//
// Bounded: a producer waits when the store falls too far behind (backpressure),
// so memory stays flat.
//
// A failed write loses nothing while it can be helped: the writer keeps the batch
// (in order, ahead of newer events), warns once, and retries with backoff while
// the runs go on. Only beyond kCapacity unwritten events does it drop the oldest,
// and then it remembers which flow runs lost events; close() names them, so the
// history is never silently shown in a state a run did not have.
#include "engine/events.h"
#include "engine/run_store_sink.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace baton::engine {

struct StateBuffer;  // one thread's buffered task states (event_stream.cpp)

class EventStream {
 public:
  struct Hooks {
    std::function<std::vector<RunId>()> active_flow_runs;  // for heartbeats
    std::function<void(const RunId&)> cancel_requested;    // a person asked to cancel it
  };

  EventStream(std::unique_ptr<RunStoreSink> sink, std::chrono::milliseconds heartbeat, Hooks hooks);
  // Writes everything pushed so far, then stops the writer.
  ~EventStream();

  // Takes the event by rvalue: it is moved once, into the queue (an Event is a
  // few hundred bytes, and every task run pushes three).
  void push(Event&& event);
  // A task run's state change (`state.kind` is RunKind::Task), through the
  // calling thread's buffer: see above. Written in the order the thread pushed
  // its events, after the creation of the run.
  void push_task_state(StateChanged&& state);
  // Blocks until every event pushed before the call is written.
  void flush();
  // Writes everything pushed so far and stops the writer thread; later pushes are
  // dropped. Called at exit, so nothing is written during static destruction.
  void close();
  // close(), then ends the store itself (its destructor runs now). At exit: the
  // runtime lives until then and is never destroyed, so without this the SQLite
  // connection would never close; the last connection to close checkpoints the
  // WAL into baton.db, so a copy of that one file holds the whole history.
  void close_store();
  // CPU time the writer thread has used so far (its own clock, read by the writer
  // after each batch): what the history costs apart from the engine's threads.
  std::chrono::microseconds writer_cpu() const {
    return std::chrono::microseconds(writer_cpu_us_.load(std::memory_order_relaxed));
  }

 private:
  void writer_loop(std::stop_token stop);
  // Writes the unwritten backlog followed by `batch`; on failure keeps both.
  // Returns false when the store refused the write.
  bool write_batch(std::vector<Event>& batch);
  void drop_oldest_unwritten();
  // The calling thread's buffer in this stream, taken on its first push.
  StateBuffer& local_buffer();
  // With mu_ held: moves `b`'s states to the end of pending_.
  void move_to_pending(StateBuffer& b);
  // With mu_ held: moves every thread's buffered states to pending_.
  void move_all_to_pending();
  void report_unwritten_at_close();

  static constexpr std::size_t kWakeAt = 4096;       // wake the writer early at this backlog
  static constexpr std::size_t kCapacity = 1 << 18;  // producers wait beyond this backlog
  // A thread's buffer moves to pending_ at this size: small enough that the
  // writer, woken by pending_'s size, keeps pace with the runs instead of
  // doing its work after them (which a chain of tasks then waits for at its end).
  static constexpr std::size_t kBlock = 256;

  std::unique_ptr<RunStoreSink> sink_;  // used by the writer thread only; close_store() ends it after the writer
  std::chrono::milliseconds heartbeat_;
  Hooks hooks_;
  // Writer thread only: events the store refused, oldest first, and the outage.
  std::vector<Event> unwritten_;
  std::vector<RunId> incomplete_flow_runs_;  // flow runs whose events were dropped
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds retry_delay_{0};

  std::mutex mu_;  // guards the members below
  std::condition_variable_any wake_writer_;
  std::condition_variable space_;
  std::condition_variable written_cv_;
  std::vector<Event> pending_;
  std::vector<std::shared_ptr<StateBuffer>> buffers_;  // every thread's that pushed task states
  std::vector<std::vector<StateChanged>> swept_;  // writer thread only: the buffers' contents, one per buffer
  std::uint64_t pushed_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t flush_wanted_ = 0;
  bool closed_ = false;
  std::atomic<std::int64_t> writer_cpu_us_{0};
  const std::uint64_t serial_;  // unique for the process: tells a thread's buffer of this stream apart

  std::jthread writer_;  // last: starts after the members it uses exist
};

}  // namespace baton::engine

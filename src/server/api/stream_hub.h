#pragma once
// Live updates for /api/stream: the ingest path publishes what each batch
// changed; every open stream has its own bounded queue of server-sent events.
//
// Thread safety: all members may be called from any thread.
#include "server/db/server_database.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace baton::server::api {

class StreamSubscriber {
 public:
  explicit StreamSubscriber(std::optional<RunId> flow_run) : flow_run_(flow_run) {}
  // Waits up to `timeout` for events; returns them as SSE text ("" on timeout).
  // nullopt once the hub is closed.
  std::optional<std::string> wait(std::chrono::milliseconds timeout);
  const std::optional<RunId>& flow_run() const { return flow_run_; }

 private:
  friend class StreamHub;
  void push(std::string message);
  void close();

  const std::optional<RunId> flow_run_;
  std::mutex mu_;  // guards queue_, closed_, dropped_
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool closed_ = false;
  std::size_t dropped_ = 0;
};

class StreamHub {
 public:
  std::shared_ptr<StreamSubscriber> subscribe(std::optional<RunId> flow_run);
  void unsubscribe(const std::shared_ptr<StreamSubscriber>& s);
  // Someone follows a flow run: ingest should collect task runs and logs.
  bool wants_details() const;
  // Sends what a batch changed to the streams that follow it. Reads the touched
  // flow runs back (a few rows) only when someone listens.
  void publish(const db::IngestOutcome& outcome, db::ServerDatabase& db);
  // A flow run changed outside ingest (cancel, crash marking).
  void publish_flow_runs(const std::vector<RunId>& ids, db::ServerDatabase& db);
  // Ends every stream (server shutdown).
  void close();
  std::size_t subscribers() const;

 private:
  mutable std::mutex mu_;  // guards subs_, closed_
  std::vector<std::shared_ptr<StreamSubscriber>> subs_;
  bool closed_ = false;
};

}  // namespace baton::server::api

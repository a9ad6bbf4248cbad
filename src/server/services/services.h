#pragma once
// The server's periodic services: crash detection (flow runs whose engine went
// silent for 3 heartbeat intervals become Crashed) and retention (old runs and
// their logs deleted in bounded batches). One thread; stop() returns promptly.
#include "server/db/server_database.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace baton::server::services {

struct ServiceOptions {
  std::chrono::milliseconds crash_check_every{5000};
  std::chrono::milliseconds default_heartbeat{10000};
  std::optional<std::chrono::seconds> retention;
  std::chrono::milliseconds retention_every{std::chrono::hours(1)};
  // Told which flow runs were marked Crashed (the live stream).
  std::function<void(const std::vector<RunId>&)> on_crashed;
};

class Services {
 public:
  Services(db::ServerDatabase& db, ServiceOptions options);
  ~Services();  // stops
  void stop();

 private:
  void loop();
  db::ServerDatabase& db_;
  ServiceOptions options_;
  std::mutex mu_;  // guards stopping_
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace baton::server::services

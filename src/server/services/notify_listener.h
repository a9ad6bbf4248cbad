#pragma once
// PostgreSQL LISTEN for the wake-ups of other servers on the same database:
// a NOTIFY on baton_runs (runs created, released, retried) or baton_slots
// (concurrency slots freed) wakes this server's long polls. On SQLite (one
// server per file) it does nothing. A lost connection is reopened; meanwhile
// the long polls fall back to polling (they wake at least once a second).
#include "server/services/work_model.h"

#include <atomic>
#include <thread>

namespace baton::server::services {

class NotifyListener {
 public:
  explicit NotifyListener(WorkModel& model);
  ~NotifyListener();  // stops
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;

 private:
  void loop();
  WorkModel& model_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace baton::server::services

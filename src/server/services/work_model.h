#pragma once
// The issue-16 model of one server: the stores over its database and the two
// wake-ups its long polls sleep on (runs ready to claim, concurrency slots
// freed). Stores notify the wake-ups of this process directly; other servers on
// the same PostgreSQL are reached by NOTIFY (services/notify_listener.h).
#include "server/db/artifact_store.h"
#include "server/db/concurrency_store.h"
#include "server/db/deployment_store.h"
#include "server/db/work_queue.h"

#include <atomic>

namespace baton::server::services {

struct WorkModel {
  explicit WorkModel(db::ServerDatabase& database)
      : db(database),
        deployments(database, [this](const std::string&) { runs_ready.notify(); }),
        queue(database, [this](const std::string&) { runs_ready.notify(); }),
        limits(database),
        artifacts(database) {}
  // Ends the long polls waiting on the wake-ups (server shutdown).
  void shutdown() {
    stopping_ = true;
    runs_ready.notify();
    slots_freed.notify();
  }
  bool stopping() const { return stopping_; }

  WorkModel(const WorkModel&) = delete;
  WorkModel& operator=(const WorkModel&) = delete;

  db::ServerDatabase& db;
  db::WakeUp runs_ready;
  db::WakeUp slots_freed;
  db::DeploymentStore deployments;
  db::WorkQueue queue;
  db::ConcurrencyStore limits;
  db::ArtifactStore artifacts;

 private:
  std::atomic<bool> stopping_{false};
};

}  // namespace baton::server::services

#include "server/services/notify_listener.h"

#include "server/db/store_util.h"

#include <cstdio>

namespace baton::server::services {

NotifyListener::NotifyListener(WorkModel& model) : model_(model) {
  if (model_.db.dialect() == db::Dialect::Postgres) thread_ = std::thread([this] { loop(); });
}

NotifyListener::~NotifyListener() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void NotifyListener::loop() {
  bool error_reported = false;
  while (!stopping_) {
    try {
      auto c = model_.db.connect_new();
      c->exec_script("LISTEN baton_runs; LISTEN baton_slots");
      error_reported = false;
      while (!stopping_) {
        // Short waits so stop() returns promptly.
        for (const auto& channel : c->wait_notifications(std::chrono::milliseconds(200))) {
          if (channel == db::util::kSlotsChannel) {
            model_.slots_freed.notify();
          } else {
            model_.runs_ready.notify();
          }
        }
      }
    } catch (const std::exception& e) {
      if (!error_reported) std::fprintf(stderr, "baton server: LISTEN for other servers' work: %s\n", e.what());
      error_reported = true;
      for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace baton::server::services

#include "server/services/services.h"

#include <fmt/format.h>

#include <cstdio>

namespace baton::server::services {

Services::Services(db::ServerDatabase& db, ServiceOptions options) : db_(db), options_(std::move(options)) {
  thread_ = std::thread([this] { loop(); });
}

Services::~Services() { stop(); }

void Services::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Services::loop() {
  using clock = std::chrono::steady_clock;
  auto next_crash_check = clock::now() + options_.crash_check_every;
  auto next_retention = clock::now();  // once at start, then every retention_every
  bool db_error_reported = false;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      auto wake = options_.retention ? std::min(next_crash_check, next_retention) : next_crash_check;
      if (cv_.wait_until(lock, wake, [&] { return stopping_; })) return;
    }
    try {
      const auto now = clock::now();
      if (now >= next_crash_check) {
        next_crash_check = now + options_.crash_check_every;
        const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        auto crashed = db_.mark_crashed(now_us, options_.default_heartbeat);
        if (!crashed.empty() && options_.on_crashed) options_.on_crashed(crashed);
      }
      if (options_.retention && now >= next_retention) {
        next_retention = now + options_.retention_every;
        const auto cutoff = std::chrono::system_clock::now() - *options_.retention;
        auto removed = db_.delete_older_than(
            std::chrono::duration_cast<std::chrono::microseconds>(cutoff.time_since_epoch()).count());
        if (removed.flow_runs > 0 || removed.logs > 0) {
          std::fprintf(stderr, "baton server: retention deleted %lld flow runs, %lld task runs, %lld log lines\n",
                       static_cast<long long>(removed.flow_runs), static_cast<long long>(removed.task_runs),
                       static_cast<long long>(removed.logs));
        }
      }
      db_error_reported = false;
    } catch (const std::exception& e) {
      // The database may be away for a while (a PostgreSQL restart): say so once
      // and keep trying on schedule.
      if (!db_error_reported) std::fprintf(stderr, "baton server: periodic service: %s\n", e.what());
      db_error_reported = true;
    }
  }
}

}  // namespace baton::server::services

#include "server/services/scheduler.h"

#include "server/db/store_util.h"

#include <cstdio>

namespace baton::server::services {

Scheduler::Scheduler(WorkModel& model, SchedulerOptions options) : model_(model), options_(std::move(options)) {
  if (!options_.now_us) options_.now_us = [] { return db::util::now_us(); };
}

Scheduler::~Scheduler() { stop(); }

std::int64_t Scheduler::create_runs() { return model_.deployments.schedule_runs(options_.now_us()).created; }

TickOutcome Scheduler::check() {
  TickOutcome out;
  const std::int64_t now = options_.now_us();
  out.late = model_.deployments.mark_late(now);
  out.expired = model_.queue.expire_leases(now);
  if (options_.on_changed) {
    std::vector<RunId> changed = out.expired.crashed;
    changed.insert(changed.end(), out.expired.retried.begin(), out.expired.retried.end());
    if (!changed.empty()) options_.on_changed(changed);
  }
  return out;
}

TickOutcome Scheduler::tick() {
  const std::int64_t created = create_runs();
  TickOutcome out = check();
  out.created = created;
  return out;
}

void Scheduler::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::loop() {
  using clock = std::chrono::steady_clock;
  auto next_schedule = clock::now();
  auto next_check = clock::now();
  bool error_reported = false;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_until(lock, std::min(next_schedule, next_check), [&] { return stopping_; })) return;
    }
    try {
      const auto now = clock::now();
      if (now >= next_schedule) {
        next_schedule = now + options_.schedule_every;
        create_runs();
      }
      if (now >= next_check) {
        next_check = now + options_.check_every;
        check();
      }
      error_reported = false;
    } catch (const std::exception& e) {
      // The database may be away for a while: say so once, keep trying.
      if (!error_reported) std::fprintf(stderr, "baton server: scheduler: %s\n", e.what());
      error_reported = true;
    }
  }
}

}  // namespace baton::server::services

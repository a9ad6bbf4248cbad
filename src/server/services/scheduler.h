#pragma once
// The scheduler: a loop that, on a clock it is given (tests pass a fake one),
//  - creates the runs ahead for every active schedule of every unpaused
//    deployment (db::kHorizon / db::kMaxAhead; idempotent, see
//    deployment_store.h), every `schedule_every`;
//  - marks Scheduled runs db::kLateAfter past their time Late, and
//  - expires worker leases (runs Crashed naming the worker, retried when
//    allowed), every `check_every`.
// tick() does one pass of everything and is what the tests call.
#include "server/services/work_model.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace baton::server::services {

struct SchedulerOptions {
  // Microseconds since the Unix epoch; default the system clock.
  std::function<std::int64_t()> now_us;
  std::chrono::milliseconds schedule_every{std::chrono::seconds(10)};
  std::chrono::milliseconds check_every{std::chrono::seconds(1)};
  // Told which flow runs changed (the live stream).
  std::function<void(const std::vector<RunId>&)> on_changed;
};

struct TickOutcome {
  std::int64_t created = 0;
  std::int64_t late = 0;
  db::ExpiredLeases expired;
};

class Scheduler {
 public:
  Scheduler(WorkModel& model, SchedulerOptions options);
  ~Scheduler();  // stops
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // One pass at the clock's now. Throws DbError.
  TickOutcome tick();
  // Runs creation only / the checks only (the loop's two cadences).
  std::int64_t create_runs();
  TickOutcome check();
  // The loop on its own thread, until stop().
  void start();
  void stop();

 private:
  void loop();
  WorkModel& model_;
  SchedulerOptions options_;
  std::mutex mu_;  // guards stopping_
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace baton::server::services

// Next-occurrence computations per second, as a scheduler loop makes them: for
// 1,000 cron and 1,000 rrule schedules (varied, in several time zones), each
// asked for its next occurrence after a moving "now", minute by minute over a
// simulated day. Prefect's scheduler needed 49.5 s a loop with ~40 RRule
// deployments (PrefectHQ/prefect#18861); this shows what one computation costs
// here. Peer in the same run: interval schedules (pure arithmetic).
#include "schedule/schedule.h"

#include "bench_support.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using baton::schedule::ScheduleKind;
using baton::schedule::ScheduleSpec;
using baton::schedule::TimePoint;
using Steady = std::chrono::steady_clock;

const char* kZones[] = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"};

std::vector<std::unique_ptr<baton::schedule::Schedule>> make(ScheduleKind kind, int n, TimePoint anchor) {
  std::vector<std::unique_ptr<baton::schedule::Schedule>> out;
  for (int i = 0; i < n; ++i) {
    std::string e;
    switch (kind) {
      case ScheduleKind::cron:
        switch (i % 5) {
          case 0: e = std::to_string(i % 60) + " " + std::to_string(i % 24) + " * * *"; break;
          case 1: e = "*/" + std::to_string(1 + i % 30) + " * * * *"; break;
          case 2: e = std::to_string(i % 60) + " 9-17 * * MON-FRI"; break;
          case 3: e = "0 " + std::to_string(i % 24) + " 1,15 * *"; break;
          default: e = "30 2 L * *"; break;
        }
        break;
      case ScheduleKind::rrule:
        switch (i % 5) {
          case 0: e = "FREQ=DAILY;BYHOUR=" + std::to_string(i % 24) + ";BYMINUTE=" + std::to_string(i % 60); break;
          case 1: e = "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=9;BYMINUTE=0"; break;
          case 2: e = "FREQ=HOURLY;INTERVAL=" + std::to_string(1 + i % 6); break;
          case 3: e = "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=18"; break;
          default: e = "FREQ=MINUTELY;INTERVAL=" + std::to_string(5 + i % 25); break;
        }
        break;
      case ScheduleKind::interval: e = std::to_string(1 + i % 90) + "m"; break;
    }
    auto s = baton::schedule::parse_schedule(ScheduleSpec{kind, e, kZones[i % 5], anchor});
    if (!s) {
      std::fprintf(stderr, "bench: %s\n", s.status().message().c_str());
      std::exit(1);
    }
    out.push_back(std::move(s).value());
  }
  return out;
}

// Calls next_after on every schedule at every simulated minute of `minutes`.
double per_second(const std::vector<std::unique_ptr<baton::schedule::Schedule>>& schedules, TimePoint start,
                  int minutes) {
  std::size_t calls = 0;
  std::int64_t sink = 0;
  const auto t0 = Steady::now();
  for (int m = 0; m < minutes; ++m) {
    const TimePoint now = start + std::chrono::minutes(m) + std::chrono::seconds(7);
    for (const auto& s : schedules) {
      if (auto next = s->next_after(now)) sink += next->time_since_epoch().count() & 1;
      ++calls;
    }
  }
  const double secs = std::chrono::duration<double>(Steady::now() - t0).count();
  if (sink < 0) std::puts("");
  return static_cast<double>(calls) / secs;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = baton::bench::int_arg(argc, argv, "schedules", 1000);
  const int minutes = baton::bench::int_arg(argc, argv, "minutes", 60);
  const TimePoint anchor = *baton::schedule::parse_utc("2026-01-01T00:00:00Z");
  // Around the 2026-03-29 European spring-forward, so transitions are in the mix.
  const TimePoint start = *baton::schedule::parse_utc("2026-03-28T23:30:00Z");
  const auto crons = make(ScheduleKind::cron, n, anchor);
  const auto rrules = make(ScheduleKind::rrule, n, anchor);
  const auto intervals = make(ScheduleKind::interval, n, anchor);
  const double cron_rate = per_second(crons, start, minutes);
  const double rrule_rate = per_second(rrules, start, minutes);
  const double interval_rate = per_second(intervals, start, minutes);
  std::printf("bench schedule_next_cron %.0f next/s\n", cron_rate);
  std::printf("bench schedule_next_rrule %.0f next/s\n", rrule_rate);
  std::printf("bench schedule_next_interval %.0f next/s\n", interval_rate);
  // What one pass over all schedules costs: Prefect's reported loop was 49.5 s for ~40.
  std::printf("bench schedule_loop_1000_rrule %.2f ms\n", 1000.0 * n / rrule_rate);
  std::printf("bench schedule_loop_1000_cron %.2f ms\n", 1000.0 * n / cron_rate);
  return 0;
}

#pragma once
// Five-field cron expressions: minute hour day-of-month month day-of-week.
//
// Syntax of each field: a comma-separated list of `*`, `N`, `A-B`, `*/S`,
// `A-B/S` and `A/S` (A to the field's maximum in steps of S). Months may be
// named JAN-DEC and weekdays SUN-SAT (any case); day-of-week 0 and 7 are both
// Sunday. `?` means `*` in the two day fields. Day-of-month also takes `L`,
// the last day of the month. The macros @yearly (@annually), @monthly, @weekly,
// @daily (@midnight) and @hourly stand for their usual expressions.
//
// Days (Vixie cron): when both day-of-month and day-of-week are restricted
// (anything but `*` or `?`), a day matches when EITHER matches; "0 0 13 * FRI"
// fires on every 13th and on every Friday. A day-of-month that a month lacks
// (31 in April, 30 in February) simply does not fire that month: there is no
// clamping to the month's end; write `L` for "the last day". An expression no
// date can ever satisfy ("0 0 30 2 *") is a parse error, not a schedule that
// silently never fires.
//
// Time zones and daylight saving. Fields are read as wall-clock time in the
// schedule's zone, with two rules (those of Vixie cron):
//  - Fixed-hour schedules (the hour field is not `*`), e.g. a daily 02:30:
//    a wall-clock time skipped by a spring-forward transition runs once at the
//    first valid instant after the gap (02:30 in Europe/Berlin on the last
//    Sunday of March runs at 03:00 CEST; several skipped times collapse into
//    that one run), and a wall-clock time repeated by a fall-back transition
//    runs once, at its first occurrence (02:30 CEST, not again at 02:30 CET).
//  - Schedules with `*` hours (every N minutes, every hour at :30) follow
//    elapsed time instead: minutes a gap skips do not exist, and minutes a fold
//    repeats run in both occurrences, so "*/15 * * * *" stays 15 real minutes
//    apart across both transitions.
#include "schedule/schedule.h"
#include "schedule/time_zone.h"

#include <baton/status.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace baton::schedule {

// The parsed fields, zone-free.
struct CronFields {
  std::uint64_t minute_bits = 0;  // bit m for minute m, 0-59
  std::uint32_t hour_bits = 0;    // bit h, 0-23
  std::uint32_t day_bits = 0;     // bit d, 1-31
  bool last_day = false;      // `L` in day-of-month
  std::uint16_t month_bits = 0;   // bit m, 1-12
  std::uint8_t weekday_bits = 0;  // bit w, 0 (Sunday) - 6
  bool days_restricted = false;
  bool weekdays_restricted = false;
  bool hours_wildcard = false;  // the hour field is `*`: the elapsed-time DST rule

  // Errors name the field and the fault: "cron field 'hour': 25 is out of range 0-23".
  static Result<CronFields> parse(std::string_view expression);

  bool day_matches(int year, unsigned month, unsigned day) const;

  // The smallest whole-minute wall-clock time >= `from` the fields match, within
  // ten years of `from` (nullopt beyond).
  std::optional<LocalSeconds> next_match(LocalSeconds from) const;
};

class CronSchedule final : public Schedule {
 public:
  CronSchedule(std::string expression, CronFields fields, TimeZone zone)
      : expression_(std::move(expression)), fields_(fields), zone_(std::move(zone)) {}

  std::optional<TimePoint> next_after(TimePoint t) const override;
  std::string describe() const override;

 private:
  std::string expression_;
  CronFields fields_;
  TimeZone zone_;
};

}  // namespace baton::schedule

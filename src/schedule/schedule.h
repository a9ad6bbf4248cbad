#pragma once
// Schedules: when a deployment's runs are due. Three kinds, one interface:
//
//  - cron: five fields (minute hour day-of-month month day-of-week) read in a
//    time zone. See cron.h for the syntax and the daylight-saving rules.
//  - interval: a fixed elapsed duration from an anchor ("15m", "1h30m", "90s");
//    occurrences are anchor + k * interval for every integer k, so the time
//    zone does not move them (use cron for "09:00 local every day").
//  - rrule: an RFC 5545 recurrence rule (libical) expanded in local time from
//    DTSTART (the anchor, or a DTSTART line in the text). See rrule.h.
//
// Schedules are immutable values once parsed; every member is const and safe to
// call from several threads at once.
#include <baton/status.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::schedule {

using TimePoint = std::chrono::system_clock::time_point;

enum class ScheduleKind { cron, interval, rrule };

// What a user writes, as stored with a deployment.
struct ScheduleSpec {
  ScheduleKind kind = ScheduleKind::cron;
  std::string expression;          // "0 3 * * *", "15m", "FREQ=DAILY;BYHOUR=3"
  std::string timezone = "UTC";    // an IANA zone name from the system tzdata
  // interval: the instant occurrences are counted from (default: the Unix epoch,
  //   so "15m" falls on :00, :15, :30 and :45 UTC).
  // rrule: DTSTART, read as wall-clock time in `timezone` (required unless the
  //   expression carries a DTSTART line).
  // cron: not used.
  std::optional<TimePoint> anchor;
};

class Schedule {
 public:
  virtual ~Schedule() = default;

  // The first occurrence strictly after `t`, or nullopt when there is none (an
  // rrule past its COUNT or UNTIL). Occurrences are whole seconds.
  virtual std::optional<TimePoint> next_after(TimePoint t) const = 0;

  // Occurrences in [from, to), in order, at most `max` of them.
  std::vector<TimePoint> occurrences(TimePoint from, TimePoint to, std::size_t max) const;

  // A one-line description for `deployment inspect`, e.g. "cron '0 3 * * *' in Europe/Berlin".
  virtual std::string describe() const = 0;
};

// Parses and checks a spec. Errors name what is wrong: the cron field, the
// interval unit, the rrule part, the unknown time zone.
Result<std::unique_ptr<Schedule>> parse_schedule(const ScheduleSpec& spec);

// "cron" / "interval" / "rrule", and back (nullopt for anything else).
const char* to_string(ScheduleKind kind);
std::optional<ScheduleKind> schedule_kind_from_string(std::string_view s);

// "2026-03-29T01:00:00Z", whole seconds (rounded down).
std::string format_utc(TimePoint t);

// ISO 8601 date-time with an offset: "2026-03-29T01:00:00Z",
// "2026-03-29T03:00+02:00", "2026-03-29 01:00:00Z". Errors name the text.
Result<TimePoint> parse_utc(std::string_view text);

}  // namespace baton::schedule

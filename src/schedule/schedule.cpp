#include "schedule/schedule.h"

#include "schedule/cron.h"
#include "schedule/interval.h"
#include "schedule/rrule.h"
#include "schedule/time_zone.h"

#include <date/date.h>

#include <cctype>
#include <cstdio>

namespace baton::schedule {

std::vector<TimePoint> Schedule::occurrences(TimePoint from, TimePoint to, std::size_t max) const {
  std::vector<TimePoint> out;
  if (max == 0 || to <= from) return out;
  std::optional<TimePoint> t = next_after(from - TimePoint::duration(1));
  while (t && *t < to && out.size() < max) {
    out.push_back(*t);
    t = next_after(*t);
  }
  return out;
}

Result<std::unique_ptr<Schedule>> parse_schedule(const ScheduleSpec& spec) {
  const std::string zone_name = spec.timezone.empty() ? "UTC" : spec.timezone;
  switch (spec.kind) {
    case ScheduleKind::cron: {
      auto zone = TimeZone::find(zone_name);
      if (!zone) return zone.status();
      auto fields = CronFields::parse(spec.expression);
      if (!fields) return fields.status();
      return std::unique_ptr<Schedule>(new CronSchedule(spec.expression, *fields, std::move(*zone)));
    }
    case ScheduleKind::interval: {
      auto zone = TimeZone::find(zone_name);
      if (!zone) return zone.status();
      auto interval = parse_interval(spec.expression);
      if (!interval) return interval.status();
      return std::unique_ptr<Schedule>(new IntervalSchedule(*interval, spec.anchor.value_or(TimePoint{}), zone_name));
    }
    case ScheduleKind::rrule:
      // An empty zone lets a DTSTART;TZID= line choose it.
      return parse_rrule_schedule(spec.expression, spec.timezone, spec.anchor);
  }
  return Status::error("schedule: unknown kind");
}

const char* to_string(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::cron: return "cron";
    case ScheduleKind::interval: return "interval";
    case ScheduleKind::rrule: return "rrule";
  }
  return "?";
}

std::optional<ScheduleKind> schedule_kind_from_string(std::string_view s) {
  if (s == "cron") return ScheduleKind::cron;
  if (s == "interval") return ScheduleKind::interval;
  if (s == "rrule") return ScheduleKind::rrule;
  return std::nullopt;
}

std::string format_utc(TimePoint t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto day = std::chrono::floor<std::chrono::days>(secs);
  const date::year_month_day ymd{date::sys_days{day.time_since_epoch()}};
  const date::hh_mm_ss<std::chrono::seconds> tod{secs - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()));
  return buf;
}

Result<TimePoint> parse_utc(std::string_view text) {
  const auto bad = [&](const char* what) {
    return Status::error("time '" + std::string(text) + "': " + what +
                         " (write e.g. 2026-03-29T01:00:00Z or 2026-03-29T03:00:00+02:00)");
  };
  std::size_t i = 0;
  const auto digits = [&](std::size_t n) -> int {
    if (i + n > text.size()) return -1;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const char c = text[i + k];
      if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
      v = v * 10 + (c - '0');
    }
    i += n;
    return v;
  };
  const auto expect = [&](char c) {
    if (i < text.size() && text[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  const int y = digits(4);
  if (y < 0 || !expect('-')) return bad("expected YYYY-");
  const int mo = digits(2);
  if (mo < 0 || !expect('-')) return bad("expected MM-");
  const int d = digits(2);
  if (d < 0) return bad("expected DD");
  if (!(expect('T') || expect('t') || expect(' '))) return bad("expected T between date and time");
  const int h = digits(2);
  if (h < 0 || !expect(':')) return bad("expected HH:");
  const int mi = digits(2);
  if (mi < 0) return bad("expected MM");
  int s = 0;
  if (expect(':')) {
    s = digits(2);
    if (s < 0) return bad("expected SS");
    if (expect('.')) {
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;  // fraction dropped
    }
  }
  int offset_minutes = 0;
  if (expect('Z') || expect('z')) {
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    const int sign = text[i] == '-' ? -1 : 1;
    ++i;
    const int oh = digits(2);
    if (oh < 0) return bad("expected an offset +HH:MM");
    expect(':');
    const int om = digits(2);
    if (om < 0) return bad("expected an offset +HH:MM");
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return bad("no offset (end with Z or +HH:MM)");
  }
  if (i != text.size()) return bad("unexpected text after the time");
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)}, date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return bad("no such date or time");
  const auto tp = date::sys_days{ymd} + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s) -
                  std::chrono::minutes(offset_minutes);
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(tp.time_since_epoch()));
}

}  // namespace baton::schedule

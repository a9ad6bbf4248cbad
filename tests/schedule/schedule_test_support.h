#pragma once
// Helpers for the schedule tests: instants from ISO text, schedules from text.
#include "schedule/schedule.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace baton::schedule::testing {

inline TimePoint at(const std::string& iso) {
  auto t = parse_utc(iso);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? *t : TimePoint{};
}

inline std::unique_ptr<Schedule> make(ScheduleKind kind, const std::string& expression, const std::string& zone = "UTC",
                                      std::optional<TimePoint> anchor = std::nullopt) {
  auto s = parse_schedule(ScheduleSpec{kind, expression, zone, anchor});
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(*s) : nullptr;
}

inline std::unique_ptr<Schedule> cron(const std::string& expression, const std::string& zone = "UTC") {
  return make(ScheduleKind::cron, expression, zone);
}

// The error message parse_schedule gives, or "" if it parses.
inline std::string parse_error(ScheduleKind kind, const std::string& expression, const std::string& zone = "UTC",
                               std::optional<TimePoint> anchor = std::nullopt) {
  auto s = parse_schedule(ScheduleSpec{kind, expression, zone, anchor});
  return s.ok() ? std::string() : s.status().message();
}

// Occurrences in [from, to) as ISO text, for readable failures.
inline std::vector<std::string> between(const Schedule& s, const std::string& from, const std::string& to,
                                        std::size_t max = 1000) {
  std::vector<std::string> out;
  for (TimePoint t : s.occurrences(at(from), at(to), max)) out.push_back(format_utc(t));
  return out;
}

// The next `n` occurrences after `from`, as ISO text.
inline std::vector<std::string> next_n(const Schedule& s, const std::string& from, int n) {
  std::vector<std::string> out;
  std::optional<TimePoint> t = at(from);
  for (int i = 0; i < n; ++i) {
    t = s.next_after(*t);
    if (!t) break;
    out.push_back(format_utc(*t));
  }
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace baton::schedule::testing

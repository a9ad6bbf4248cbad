#pragma once
// Interval schedules: anchor + k * interval for every integer k (also k < 0, so
// an anchor in the future still yields occurrences before it). Elapsed time:
// daylight saving does not move them.
#include "schedule/schedule.h"

#include <baton/status.h>

#include <chrono>
#include <string>
#include <string_view>

namespace baton::schedule {

// "90s", "15m", "1h30m", "1d", "2w": one or more <number><unit> parts with units
// w, d, h, m, s. The total must be at least one second; errors name the part.
Result<std::chrono::seconds> parse_interval(std::string_view text);

// "1h30m" for 5400 s: the form parse_interval reads back.
std::string format_interval(std::chrono::seconds interval);

class IntervalSchedule final : public Schedule {
 public:
  IntervalSchedule(std::chrono::seconds interval, TimePoint anchor, std::string zone_name)
      : interval_(interval), anchor_(anchor), timezone_(std::move(zone_name)) {}

  std::optional<TimePoint> next_after(TimePoint t) const override;
  std::string describe() const override;

 private:
  std::chrono::seconds interval_;
  TimePoint anchor_;
  std::string timezone_;  // checked at parse, shown by describe()
};

}  // namespace baton::schedule

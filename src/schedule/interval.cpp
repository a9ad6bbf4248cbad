#include "schedule/interval.h"

#include <cctype>
#include <charconv>
#include <limits>

namespace baton::schedule {

Result<std::chrono::seconds> parse_interval(std::string_view text) {
  const std::string quoted = "interval '" + std::string(text) + "'";
  if (text.empty()) return Status::error("interval: empty (write e.g. 15m, 1h30m or 90s)");
  // Ten years: far past any useful schedule, and far from overflowing anything.
  constexpr std::int64_t kMax = std::int64_t{10} * 366 * 86400;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) {
      return Status::error(quoted + ": expected a number at '" + std::string(text.substr(start)) +
                           "' (write e.g. 15m, 1h30m or 90s)");
    }
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data() + start, text.data() + i, n);
    if (ec != std::errc() || n > kMax) return Status::error(quoted + ": " + std::string(text.substr(start, i - start)) + " is too large");
    (void)end;
    if (i == text.size()) {
      return Status::error(quoted + ": " + std::string(text.substr(start)) + " has no unit (use s, m, h, d or w)");
    }
    std::int64_t unit = 0;
    switch (text[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default:
        return Status::error(quoted + ": unknown unit '" + std::string(1, text[i]) + "' (use s, m, h, d or w)");
    }
    ++i;
    total += n * unit;
    if (total > kMax) return Status::error(quoted + ": longer than ten years");
  }
  if (total < 1) return Status::error(quoted + ": must be at least 1s");
  return std::chrono::seconds(total);
}

std::string format_interval(std::chrono::seconds interval) {
  std::int64_t s = interval.count();
  std::string out;
  for (const auto& [unit, suffix] : {std::pair<std::int64_t, char>{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}) {
    if (s >= unit) {
      out += std::to_string(s / unit) + suffix;
      s %= unit;
    }
  }
  return out.empty() ? "0s" : out;
}

std::optional<TimePoint> IntervalSchedule::next_after(TimePoint t) const {
  using std::chrono::duration_cast;
  using Dur = TimePoint::duration;
  const Dur step = duration_cast<Dur>(interval_);
  const Dur since = t - anchor_;
  // k = floor(since / step) + 1: the first multiple strictly after t.
  Dur::rep k = since.count() / step.count();
  if (since.count() % step.count() != 0 && since.count() < 0) --k;
  return anchor_ + step * (k + 1);
}

std::string IntervalSchedule::describe() const {
  return "every " + format_interval(interval_) + " from " + format_utc(anchor_) + " (" + timezone_ + ")";
}

}  // namespace baton::schedule

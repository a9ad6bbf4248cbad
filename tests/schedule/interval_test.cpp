// Interval schedules: anchor + k * interval, elapsed time.
#include "schedule/interval.h"
#include "schedule_test_support.h"

namespace baton::schedule {
namespace {

using testing::at;
using testing::between;
using testing::make;
using testing::next_n;
using testing::parse_error;
using testing::Strings;

TEST(Interval, DurationsParseFromUnitParts) {
  EXPECT_EQ(*parse_interval("90s"), std::chrono::seconds(90));
  EXPECT_EQ(*parse_interval("15m"), std::chrono::minutes(15));
  EXPECT_EQ(*parse_interval("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(*parse_interval("1d"), std::chrono::hours(24));
  EXPECT_EQ(*parse_interval("2w"), std::chrono::hours(24 * 14));
  EXPECT_EQ(format_interval(std::chrono::seconds(5400)), "1h30m");
  EXPECT_EQ(format_interval(std::chrono::seconds(90061)), "1d1h1m1s");
}

TEST(Interval, BadDurationsAreErrorsNamingThePart) {
  EXPECT_EQ(parse_error(ScheduleKind::interval, "15x"), "interval '15x': unknown unit 'x' (use s, m, h, d or w)");
  EXPECT_EQ(parse_error(ScheduleKind::interval, "15"), "interval '15': 15 has no unit (use s, m, h, d or w)");
  EXPECT_EQ(parse_error(ScheduleKind::interval, "m"),
            "interval 'm': expected a number at 'm' (write e.g. 15m, 1h30m or 90s)");
  EXPECT_EQ(parse_error(ScheduleKind::interval, "0m"), "interval '0m': must be at least 1s");
  EXPECT_EQ(parse_error(ScheduleKind::interval, ""), "interval: empty (write e.g. 15m, 1h30m or 90s)");
  EXPECT_EQ(parse_error(ScheduleKind::interval, "99999999999999999999s"),
            "interval '99999999999999999999s': 99999999999999999999 is too large");
  EXPECT_EQ(parse_error(ScheduleKind::interval, "15m", "Mars/Olympus"),
            "unknown time zone 'Mars/Olympus' (not in the system tzdata under /usr/share/zoneinfo)");
}

TEST(Interval, WithoutAnAnchorOccurrencesAlignToTheEpoch) {
  auto s = make(ScheduleKind::interval, "15m");
  EXPECT_EQ(next_n(*s, "2026-05-01T10:07:13Z", 3),
            (Strings{"2026-05-01T10:15:00Z", "2026-05-01T10:30:00Z", "2026-05-01T10:45:00Z"}));
}

TEST(Interval, OccurrencesAreTheAnchorPlusWholeIntervalsOnBothSidesOfIt) {
  auto s = make(ScheduleKind::interval, "1h30m", "UTC", at("2026-05-01T10:05:00Z"));
  EXPECT_EQ(next_n(*s, "2026-05-01T10:05:00Z", 2), (Strings{"2026-05-01T11:35:00Z", "2026-05-01T13:05:00Z"}));
  EXPECT_EQ(next_n(*s, "2026-05-01T08:00:00Z", 2), (Strings{"2026-05-01T08:35:00Z", "2026-05-01T10:05:00Z"}));
  EXPECT_EQ(*s->next_after(at("2026-05-01T10:04:59Z")), at("2026-05-01T10:05:00Z"));
}

TEST(Interval, DaylightSavingDoesNotMoveAnInterval) {
  auto s = make(ScheduleKind::interval, "1h", "Europe/Berlin", at("2026-03-28T00:00:00Z"));
  const auto runs = s->occurrences(at("2026-03-28T22:00:00Z"), at("2026-03-29T04:00:00Z"), 100);
  ASSERT_EQ(runs.size(), 6u);
  for (std::size_t i = 1; i < runs.size(); ++i) EXPECT_EQ(runs[i] - runs[i - 1], std::chrono::hours(1));
}

TEST(Interval, NinetySecondsFromAnOddAnchor) {
  auto s = make(ScheduleKind::interval, "90s", "UTC", at("2026-05-01T00:00:10Z"));
  EXPECT_EQ(between(*s, "2026-05-01T00:00:00Z", "2026-05-01T00:05:00Z"),
            (Strings{"2026-05-01T00:00:10Z", "2026-05-01T00:01:40Z", "2026-05-01T00:03:10Z",
                     "2026-05-01T00:04:40Z"}));
}

}  // namespace
}  // namespace baton::schedule

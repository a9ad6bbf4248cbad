// Cron across daylight-saving transitions. The 2026 transitions used:
//  Europe/Berlin     spring 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z); fall 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z)
//  America/New_York  spring 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z); fall 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z)
#include "schedule_test_support.h"

namespace baton::schedule {
namespace {

using testing::at;
using testing::between;
using testing::cron;
using testing::Strings;

TEST(CronDst, ADailyTimeSkippedBySpringForwardRunsOnceAtTheEndOfTheGap) {
  auto s = cron("30 2 * * *", "Europe/Berlin");
  EXPECT_EQ(between(*s, "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z"),
            (Strings{"2026-03-27T01:30:00Z",    // 02:30 CET
                     "2026-03-28T01:30:00Z",    // 02:30 CET
                     "2026-03-29T01:00:00Z",    // 02:30 does not exist: 03:00 CEST
                     "2026-03-30T00:30:00Z"}));  // 02:30 CEST
}

TEST(CronDst, ADailyTimeRepeatedByFallBackRunsOnceAtItsFirstOccurrence) {
  auto s = cron("30 2 * * *", "Europe/Berlin");
  EXPECT_EQ(between(*s, "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z"),
            (Strings{"2026-10-24T00:30:00Z",    // 02:30 CEST
                     "2026-10-25T00:30:00Z",    // 02:30 CEST, not again at 02:30 CET (01:30Z)
                     "2026-10-26T01:30:00Z"}));  // 02:30 CET
  // Asked from inside the repeated hour, it does not fire a second time that day.
  EXPECT_EQ(*s->next_after(at("2026-10-25T01:15:00Z")), at("2026-10-26T01:30:00Z"));
}

TEST(CronDst, SeveralSkippedTimesCollapseIntoOneRun) {
  auto s = cron("0,30 2 * * *", "Europe/Berlin");
  EXPECT_EQ(between(*s, "2026-03-28T22:00:00Z", "2026-03-29T22:00:00Z"), Strings{"2026-03-29T01:00:00Z"});
  // A time that exists right after the gap is the same run, not a second one.
  auto t = cron("30 2,3 * * *", "Europe/Berlin");
  EXPECT_EQ(between(*t, "2026-03-28T22:00:00Z", "2026-03-29T22:00:00Z"),
            (Strings{"2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"}));
  auto u = cron("0 2,3 * * *", "Europe/Berlin");
  EXPECT_EQ(between(*u, "2026-03-28T22:00:00Z", "2026-03-29T22:00:00Z"), Strings{"2026-03-29T01:00:00Z"});
}

TEST(CronDst, NewYorkSpringForwardAndFallBackFollowTheSameRules) {
  auto daily = cron("30 2 * * *", "America/New_York");
  EXPECT_EQ(between(*daily, "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z"),
            (Strings{"2026-03-08T07:00:00Z",    // 03:00 EDT
                     "2026-03-09T06:30:00Z"}));  // 02:30 EDT
  auto early = cron("30 1 * * *", "America/New_York");
  EXPECT_EQ(between(*early, "2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z"),
            (Strings{"2026-11-01T05:30:00Z",    // 01:30 EDT; 01:30 EST (06:30Z) does not run
                     "2026-11-02T06:30:00Z"}));  // 01:30 EST
}

TEST(CronDst, EveryFifteenMinutesStaysFifteenRealMinutesApartAcrossSpringForward) {
  auto s = cron("*/15 * * * *", "Europe/Berlin");
  EXPECT_EQ(between(*s, "2026-03-29T00:30:00Z", "2026-03-29T01:31:00Z"),
            (Strings{"2026-03-29T00:30:00Z", "2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z",
                     "2026-03-29T01:15:00Z", "2026-03-29T01:30:00Z"}));
}

TEST(CronDst, EveryFifteenMinutesRunsThroughBothCopiesOfTheRepeatedHour) {
  auto s = cron("*/15 * * * *", "Europe/Berlin");
  const auto runs = s->occurrences(at("2026-10-24T23:45:00Z"), at("2026-10-25T02:16:00Z"), 100);
  ASSERT_EQ(runs.size(), 11u);
  for (std::size_t i = 1; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i] - runs[i - 1], std::chrono::minutes(15)) << format_utc(runs[i]);
  }
}

TEST(CronDst, HourlyAtHalfPastRunsInBothCopiesOfTheRepeatedHourAndNotInTheGap) {
  auto s = cron("30 * * * *", "America/New_York");
  EXPECT_EQ(between(*s, "2026-11-01T04:00:00Z", "2026-11-01T08:00:00Z"),
            (Strings{"2026-11-01T04:30:00Z",    // 00:30 EDT
                     "2026-11-01T05:30:00Z",    // 01:30 EDT
                     "2026-11-01T06:30:00Z",    // 01:30 EST
                     "2026-11-01T07:30:00Z"}));  // 02:30 EST
  EXPECT_EQ(between(*s, "2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z"),
            (Strings{"2026-03-08T06:30:00Z",    // 01:30 EST; 02:30 does not exist
                     "2026-03-08T07:30:00Z"}));  // 03:30 EDT
}

TEST(CronDst, LocalMidnightMovesInUtcWithTheOffset) {
  auto s = cron("0 0 * * *", "Europe/Berlin");
  EXPECT_EQ(between(*s, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z"),
            (Strings{"2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"}));
}

}  // namespace
}  // namespace baton::schedule

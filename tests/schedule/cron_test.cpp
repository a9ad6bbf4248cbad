// Cron syntax, day rules and parse errors (UTC; daylight saving is in cron_dst_test.cpp).
#include "schedule/cron.h"
#include "schedule_test_support.h"

namespace baton::schedule {
namespace {

using testing::at;
using testing::cron;
using testing::next_n;
using testing::parse_error;
using testing::Strings;

std::string cron_error(const std::string& e) { return parse_error(ScheduleKind::cron, e); }

// The cases of croniter's README (base 2010-01-25 04:46, a Monday).
TEST(Cron, EveryFiveMinutesFollowsCroniter) {
  EXPECT_EQ(next_n(*cron("*/5 * * * *"), "2010-01-25T04:46:00Z", 3),
            (Strings{"2010-01-25T04:50:00Z", "2010-01-25T04:55:00Z", "2010-01-25T05:00:00Z"}));
}

TEST(Cron, NamedWeekdaysFireOnThoseWeekdaysOnly) {
  // croniter's README prints 01-26, 01-30, 02-02 here, which are a Tuesday, a
  // Saturday and a Tuesday; croniter itself returns Friday and Monday dates.
  EXPECT_EQ(next_n(*cron("2 4 * * mon,fri"), "2010-01-25T04:46:00Z", 3),
            (Strings{"2010-01-29T04:02:00Z", "2010-02-01T04:02:00Z", "2010-02-05T04:02:00Z"}));
}

TEST(Cron, RestrictedDayOfMonthAndDayOfWeekMatchEither) {
  EXPECT_EQ(next_n(*cron("2 4 1 * wed"), "2010-01-25T04:46:00Z", 3),
            (Strings{"2010-01-27T04:02:00Z", "2010-02-01T04:02:00Z", "2010-02-03T04:02:00Z"}));
  // Friday the 13th in cron means every 13th and every Friday.
  EXPECT_EQ(next_n(*cron("0 0 13 * FRI"), "2026-02-01T00:00:00Z", 4),
            (Strings{"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z", "2026-02-27T00:00:00Z"}));
}

TEST(Cron, AStarInOneDayFieldLeavesTheOtherInCharge) {
  EXPECT_EQ(next_n(*cron("0 12 * * 1"), "2026-01-01T00:00:00Z", 2),
            (Strings{"2026-01-05T12:00:00Z", "2026-01-12T12:00:00Z"}));
  EXPECT_EQ(next_n(*cron("0 12 15 * ?"), "2026-01-01T00:00:00Z", 2),
            (Strings{"2026-01-15T12:00:00Z", "2026-02-15T12:00:00Z"}));
}

TEST(Cron, NextAfterIsStrictlyAfterTheGivenInstant) {
  auto s = cron("0 3 * * *");
  EXPECT_EQ(*s->next_after(at("2026-05-01T03:00:00Z")), at("2026-05-02T03:00:00Z"));
  EXPECT_EQ(*s->next_after(at("2026-05-01T02:59:59Z")), at("2026-05-01T03:00:00Z"));
  // A fraction of a second before counts as before.
  EXPECT_EQ(*s->next_after(at("2026-05-01T03:00:00Z") - std::chrono::milliseconds(1)), at("2026-05-01T03:00:00Z"));
}

TEST(Cron, ListsRangesAndStepsExpandAsCronDoes) {
  CronFields f = *CronFields::parse("10-50/20 1,5-7 * * *");
  EXPECT_EQ(f.minute_bits, (1ull << 10) | (1ull << 30) | (1ull << 50));
  EXPECT_EQ(f.hour_bits, (1u << 1) | (1u << 5) | (1u << 6) | (1u << 7));
  // "5/20" reads as 5-59/20, as croniter does.
  EXPECT_EQ(CronFields::parse("5/20 * * * *")->minute_bits, (1ull << 5) | (1ull << 25) | (1ull << 45));
  EXPECT_EQ(CronFields::parse("*/20 */12 * * *")->hour_bits, (1u << 0) | (1u << 12));
}

TEST(Cron, MonthAndWeekdayNamesAreCaseInsensitiveAndSevenIsSunday) {
  EXPECT_EQ(CronFields::parse("0 0 * * MON-FRI")->weekday_bits, 0b0111110);
  EXPECT_EQ(CronFields::parse("0 0 * * 7")->weekday_bits, 0b0000001);
  EXPECT_EQ(CronFields::parse("0 0 * * sun,Sat")->weekday_bits, 0b1000001);
  EXPECT_EQ(CronFields::parse("0 0 * * 5-7")->weekday_bits, 0b1100001);
  EXPECT_EQ(CronFields::parse("0 0 1 jan-Mar,DEC *")->month_bits, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 12));
}

TEST(Cron, MacrosStandForTheirExpressions) {
  EXPECT_EQ(next_n(*cron("@daily"), "2026-05-01T10:00:00Z", 1), Strings{"2026-05-02T00:00:00Z"});
  EXPECT_EQ(next_n(*cron("@hourly"), "2026-05-01T10:00:00Z", 1), Strings{"2026-05-01T11:00:00Z"});
  EXPECT_EQ(next_n(*cron("@weekly"), "2026-05-01T10:00:00Z", 1), Strings{"2026-05-03T00:00:00Z"});
  EXPECT_EQ(next_n(*cron("@monthly"), "2026-05-01T10:00:00Z", 1), Strings{"2026-06-01T00:00:00Z"});
  EXPECT_EQ(next_n(*cron("@yearly"), "2026-05-01T10:00:00Z", 1), Strings{"2027-01-01T00:00:00Z"});
  EXPECT_NE(cron_error("@reboot").find("unknown macro"), std::string::npos);
}

TEST(Cron, LeapDayFiresOnlyInLeapYearsAndSkipsTheCenturyThatIsNot) {
  EXPECT_EQ(next_n(*cron("0 0 29 2 *"), "2025-03-01T00:00:00Z", 2),
            (Strings{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}));
  EXPECT_EQ(next_n(*cron("0 0 29 2 *"), "2096-03-01T00:00:00Z", 1), Strings{"2104-02-29T00:00:00Z"});
}

TEST(Cron, ADayOfMonthAMonthLacksIsSkippedNotClamped) {
  EXPECT_EQ(next_n(*cron("0 0 31 * *"), "2026-01-01T00:00:00Z", 4),
            (Strings{"2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z"}));
}

TEST(Cron, LIsTheLastDayOfEachMonthIncludingLeapFebruary) {
  EXPECT_EQ(next_n(*cron("0 18 L * *"), "2026-01-01T00:00:00Z", 4),
            (Strings{"2026-01-31T18:00:00Z", "2026-02-28T18:00:00Z", "2026-03-31T18:00:00Z", "2026-04-30T18:00:00Z"}));
  EXPECT_EQ(next_n(*cron("0 0 L 2 *"), "2027-03-01T00:00:00Z", 1), Strings{"2028-02-29T00:00:00Z"});
  EXPECT_EQ(next_n(*cron("0 0 15,L * *"), "2026-04-16T00:00:00Z", 2),
            (Strings{"2026-04-30T00:00:00Z", "2026-05-15T00:00:00Z"}));
}

TEST(Cron, FebruaryThirtiethIsRefusedAsNeverFiring) {
  EXPECT_NE(cron_error("0 0 30 2 *").find("never fires"), std::string::npos);
  EXPECT_NE(cron_error("0 0 31 4,6,9,11 *").find("never fires"), std::string::npos);
  // With a restricted weekday too, the weekday alone can fire: accepted.
  EXPECT_EQ(cron_error("0 0 30 2 MON"), "");
}

TEST(Cron, AnOutOfRangeValueNamesTheFieldAndTheRange) {
  EXPECT_EQ(cron_error("0 25 * * *"), "cron field 'hour': 25 is out of range 0-23");
  EXPECT_EQ(cron_error("60 * * * *"), "cron field 'minute': 60 is out of range 0-59");
  EXPECT_EQ(cron_error("0 0 0 * *"), "cron field 'day-of-month': 0 is out of range 1-31");
  EXPECT_EQ(cron_error("0 0 * 13 *"), "cron field 'month': 13 is out of range 1-12");
  EXPECT_EQ(cron_error("0 0 * * 8"), "cron field 'day-of-week': 8 is out of range 0-7");
}

TEST(Cron, MalformedFieldsAreErrorsNamingTheField) {
  EXPECT_EQ(cron_error("0 3 * *"),
            "cron '0 3 * *' has 4 fields; expected 5 (minute hour day-of-month month day-of-week)");
  EXPECT_EQ(cron_error("*/0 * * * *"), "cron field 'minute': step 0 must be at least 1");
  EXPECT_EQ(cron_error("0 17-9 * * *"), "cron field 'hour': range 17-9 runs backwards (write 9-17 or a list)");
  EXPECT_EQ(cron_error("0 0 * FOO *"), "cron field 'month': 'FOO' is not a number or a name (JAN-DEC)");
  EXPECT_EQ(cron_error("0 0 * * MOM"), "cron field 'day-of-week': 'MOM' is not a number or a name (SUN-SAT)");
  EXPECT_EQ(cron_error("a * * * *"), "cron field 'minute': 'a' is not a number");
  EXPECT_EQ(cron_error("1,,2 * * * *"), "cron field 'minute': empty list element in '1,,2'");
  EXPECT_EQ(cron_error("0 0 * JAN MON-"), "cron field 'day-of-week': a value is missing");
  EXPECT_NE(cron_error("0 0 * * 5#2").find("not supported"), std::string::npos);
  EXPECT_EQ(cron_error(""), "cron '' has 0 fields; expected 5 (minute hour day-of-month month day-of-week)");
}

TEST(Cron, AnUnknownTimeZoneIsAnErrorNamingIt) {
  EXPECT_EQ(parse_error(ScheduleKind::cron, "0 3 * * *", "Europe/Berln"),
            "unknown time zone 'Europe/Berln' (not in the system tzdata under /usr/share/zoneinfo)");
}

TEST(Cron, OccurrencesAreHalfOpenAndBounded) {
  auto s = cron("0 * * * *");
  EXPECT_EQ(testing::between(*s, "2026-05-01T10:00:00Z", "2026-05-01T13:00:00Z"),
            (Strings{"2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", "2026-05-01T12:00:00Z"}));
  EXPECT_EQ(s->occurrences(at("2026-05-01T10:00:00Z"), at("2026-05-02T10:00:00Z"), 5).size(), 5u);
  EXPECT_TRUE(s->occurrences(at("2026-05-01T10:00:00Z"), at("2026-05-01T10:00:00Z"), 5).empty());
}

TEST(Cron, DescribeNamesTheExpressionAndZone) {
  EXPECT_EQ(cron("0 3 * * *", "Europe/Berlin")->describe(), "cron '0 3 * * *' in Europe/Berlin");
}

}  // namespace
}  // namespace baton::schedule

// RFC 5545 recurrence rules through libical, in a time zone.
#include "schedule_test_support.h"

namespace baton::schedule {
namespace {

using testing::at;
using testing::between;
using testing::make;
using testing::next_n;
using testing::parse_error;
using testing::Strings;

std::unique_ptr<Schedule> rrule(const std::string& text, const std::string& zone, const std::string& dtstart_utc) {
  return make(ScheduleKind::rrule, text, zone, at(dtstart_utc));
}

std::string rrule_error(const std::string& text, const std::string& zone = "UTC") {
  return parse_error(ScheduleKind::rrule, text, zone, at("2026-01-01T00:00:00Z"));
}

TEST(RRule, DailyAtNineLocalKeepsNineAcrossDaylightSaving) {
  // DTSTART 2026-03-27 09:00 CET.
  auto s = rrule("FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0", "Europe/Berlin", "2026-03-27T08:00:00Z");
  EXPECT_EQ(between(*s, "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z"),
            (Strings{"2026-03-27T08:00:00Z", "2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"}));
}

TEST(RRule, CountEndsTheSeries) {
  // DTSTART Thursday 2026-01-01 09:30 UTC; DTSTART itself is no Monday or Friday.
  auto s = rrule("FREQ=WEEKLY;BYDAY=MO,FR;COUNT=3", "UTC", "2026-01-01T09:30:00Z");
  EXPECT_EQ(next_n(*s, "2025-12-01T00:00:00Z", 5),
            (Strings{"2026-01-02T09:30:00Z", "2026-01-05T09:30:00Z", "2026-01-09T09:30:00Z"}));
  EXPECT_FALSE(s->next_after(at("2026-01-09T09:30:00Z")).has_value());
}

TEST(RRule, UtcUntilIsAnInclusiveInstant) {
  auto s = rrule("RRULE:FREQ=DAILY;UNTIL=20260105T080000Z", "Europe/Berlin", "2026-01-01T08:00:00Z");
  EXPECT_EQ(between(*s, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z").size(), 5u);
  EXPECT_FALSE(s->next_after(at("2026-01-05T08:00:00Z")).has_value());
}

TEST(RRule, ADtstartLineWithTzidSetsStartAndZone) {
  auto s = parse_schedule(ScheduleSpec{ScheduleKind::rrule,
                                       "DTSTART;TZID=America/New_York:20260105T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO",
                                       "", std::nullopt});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(next_n(**s, "2026-01-01T00:00:00Z", 2), (Strings{"2026-01-05T14:00:00Z", "2026-01-12T14:00:00Z"}));
  EXPECT_EQ((*s)->describe(), "rrule 'FREQ=WEEKLY;BYDAY=MO' in America/New_York");
}

TEST(RRule, ASkippedLocalTimeIsReadWithTheOffsetBeforeTheGapAsRfc5545Says) {
  auto s = rrule("FREQ=DAILY;BYHOUR=2;BYMINUTE=30", "Europe/Berlin", "2026-03-27T01:30:00Z");
  EXPECT_EQ(between(*s, "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z"),
            (Strings{"2026-03-29T01:30:00Z",    // 02:30 CET does not exist: 03:30 CEST
                     "2026-03-30T00:30:00Z"}));
}

TEST(RRule, ARepeatedLocalTimeMeansItsFirstOccurrence) {
  auto s = rrule("FREQ=DAILY;BYHOUR=1;BYMINUTE=30", "America/New_York", "2026-10-30T05:30:00Z");
  EXPECT_EQ(between(*s, "2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z"),
            (Strings{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
}

TEST(RRule, LastDayOfMonthAndLastFridayUseNegativePositions) {
  auto last_day = rrule("FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=18;BYMINUTE=0;BYSECOND=0", "UTC", "2028-01-01T00:00:00Z");
  EXPECT_EQ(next_n(*last_day, "2028-01-01T00:00:00Z", 3),
            (Strings{"2028-01-31T18:00:00Z", "2028-02-29T18:00:00Z", "2028-03-31T18:00:00Z"}));
  auto last_friday = rrule("FREQ=MONTHLY;BYDAY=-1FR", "UTC", "2026-01-01T12:00:00Z");
  EXPECT_EQ(next_n(*last_friday, "2026-01-01T00:00:00Z", 2), (Strings{"2026-01-30T12:00:00Z", "2026-02-27T12:00:00Z"}));
}

// next_after starts libical near the asked instant when the rule has no COUNT,
// and iterates from DTSTART when it has one. Both must agree.
TEST(RRule, StartingNearTheInstantGivesTheSameSeriesAsIteratingFromDtstart) {
  const char* rules[] = {
      "FREQ=DAILY;INTERVAL=3",
      "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
      "FREQ=MONTHLY;BYDAY=-1FR",
      "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
      "FREQ=HOURLY;INTERVAL=5",
      "FREQ=HOURLY;INTERVAL=7;BYDAY=MO,TU",
      "FREQ=MINUTELY;INTERVAL=45;BYHOUR=3",
      "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1,15;BYHOUR=6",
      "FREQ=DAILY;BYHOUR=3,15;BYMINUTE=5",
      "FREQ=SECONDLY;INTERVAL=86399",
  };
  for (const char* r : rules) {
    for (const char* zone : {"UTC", "Europe/Berlin"}) {
      auto near = rrule(r, zone, "2024-01-10T09:17:00Z");
      auto from_start = rrule(std::string(r) + ";COUNT=100000", zone, "2024-01-10T09:17:00Z");
      ASSERT_TRUE(near && from_start);
      for (TimePoint t = at("2024-01-01T00:00:00Z"); t < at("2026-03-01T00:00:00Z"); t += std::chrono::hours(241)) {
        const auto a = near->next_after(t);
        const auto b = from_start->next_after(t);
        ASSERT_EQ(a.has_value(), b.has_value()) << r << " in " << zone << " after " << format_utc(t);
        if (a) {
          ASSERT_EQ(format_utc(*a), format_utc(*b)) << r << " in " << zone << " after " << format_utc(t);
        }
      }
    }
  }
}

TEST(RRule, AskingForAnEarlierInstantAfterALaterOneGivesTheSameAnswerAsAFreshSchedule) {
  // Rules with COUNT keep an iteration between calls; going back must restart it.
  const std::string r = "FREQ=HOURLY;INTERVAL=5;BYDAY=MO;COUNT=500";
  auto used = rrule(r, "Europe/Berlin", "2026-01-05T09:00:00Z");
  ASSERT_TRUE(used->next_after(at("2026-06-01T00:00:00Z")).has_value());
  for (const char* t : {"2026-03-01T00:00:00Z", "2026-01-05T09:00:00Z", "2026-05-31T23:00:00Z", "2026-01-01T00:00:00Z"}) {
    auto fresh = rrule(r, "Europe/Berlin", "2026-01-05T09:00:00Z");
    EXPECT_EQ(used->next_after(at(t)), fresh->next_after(at(t))) << t;
  }
}

TEST(RRule, InvalidRulesAreErrorsNamingThePart) {
  EXPECT_EQ(rrule_error("FREQ=SOMETIMES"),
            "rrule 'FREQ=SOMETIMES': FREQ=SOMETIMES is not one of SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, "
            "MONTHLY, YEARLY");
  EXPECT_EQ(rrule_error("FREQ=DAILY;BYDAY=XX"), "rrule 'FREQ=DAILY;BYDAY=XX': BYDAY=XX is not valid");
  EXPECT_EQ(rrule_error("FREQ=DAILY;BYHOUR=25"), "rrule 'FREQ=DAILY;BYHOUR=25': BYHOUR=25 is not valid");
  EXPECT_EQ(rrule_error("FREQ=DAILY;FOO=1"), "rrule 'FREQ=DAILY;FOO=1': unknown part 'FOO'");
  EXPECT_EQ(rrule_error("BYDAY=MO"), "rrule 'BYDAY=MO': FREQ is missing (e.g. FREQ=DAILY)");
  EXPECT_EQ(rrule_error("FREQ=DAILY;COUNT=3;UNTIL=20260105T000000Z"),
            "rrule 'FREQ=DAILY;COUNT=3;UNTIL=20260105T000000Z': COUNT and UNTIL together (RFC 5545 allows one)");
  EXPECT_EQ(rrule_error("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"),
            "rrule 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30': never occurs (no BYMONTH month has any of its BYMONTHDAY days)");
  EXPECT_EQ(rrule_error("FREQ=DAILY;INTERVAL"), "rrule 'FREQ=DAILY;INTERVAL': part 'INTERVAL' is not NAME=VALUE");
  EXPECT_EQ(rrule_error(""), "rrule '': no rule (e.g. FREQ=DAILY;BYHOUR=3)");
  EXPECT_EQ(rrule_error("FREQ=DAILY", "Nowhere/Atlantis"),
            "unknown time zone 'Nowhere/Atlantis' (not in the system tzdata under /usr/share/zoneinfo)");
  EXPECT_EQ(parse_error(ScheduleKind::rrule, "FREQ=DAILY", "UTC", std::nullopt),
            "rrule 'FREQ=DAILY': no start (give an anchor, or a DTSTART line before the rule)");
  EXPECT_EQ(rrule_error("DTSTART:2026-01-01\nFREQ=DAILY"),
            "rrule 'DTSTART:2026-01-01\nFREQ=DAILY': DTSTART '2026-01-01' is not YYYYMMDDTHHMMSS[Z]");
}

}  // namespace
}  // namespace baton::schedule

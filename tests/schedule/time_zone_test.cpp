// The tzdata wrapper and the ISO time helpers the other tests rely on.
#include "schedule/time_zone.h"
#include "schedule_test_support.h"

namespace baton::schedule {
namespace {

using testing::at;

LocalSeconds local(int y, unsigned m, unsigned d, int h, int mi) {
  // Days from civil, via a UTC instant: local seconds count like UTC seconds.
  const TimePoint t = at(std::to_string(y) + "-" + (m < 10 ? "0" : "") + std::to_string(m) + "-" + (d < 10 ? "0" : "") +
                         std::to_string(d) + "T" + (h < 10 ? "0" : "") + std::to_string(h) + ":" +
                         (mi < 10 ? "0" : "") + std::to_string(mi) + ":00Z");
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch());
}

SysSeconds sys(const std::string& iso) { return std::chrono::floor<std::chrono::seconds>(at(iso)); }

TEST(TimeZone, ResolvesUniqueSkippedAndRepeatedWallClockTimes) {
  auto berlin = TimeZone::find("Europe/Berlin");
  ASSERT_TRUE(berlin.ok()) << berlin.status().message();
  const LocalResolution noon = berlin->resolve(local(2026, 7, 1, 12, 0));
  EXPECT_EQ(noon.kind, LocalResolution::Kind::unique);
  EXPECT_EQ(noon.first, sys("2026-07-01T10:00:00Z"));

  const LocalResolution gap = berlin->resolve(local(2026, 3, 29, 2, 30));
  EXPECT_EQ(gap.kind, LocalResolution::Kind::skipped);
  EXPECT_EQ(gap.first, sys("2026-03-29T01:00:00Z"));   // 03:00 CEST
  EXPECT_EQ(gap.second, sys("2026-03-29T01:30:00Z"));  // 03:30 CEST

  const LocalResolution fold = berlin->resolve(local(2026, 10, 25, 2, 30));
  EXPECT_EQ(fold.kind, LocalResolution::Kind::repeated);
  EXPECT_EQ(fold.first, sys("2026-10-25T00:30:00Z"));
  EXPECT_EQ(fold.second, sys("2026-10-25T01:30:00Z"));
}

TEST(TimeZone, MinOffsetSeesAFallBackAheadInTheWindow) {
  auto ny = TimeZone::find("America/New_York");
  ASSERT_TRUE(ny.ok());
  EXPECT_EQ(ny->min_offset(sys("2026-11-01T04:00:00Z"), std::chrono::hours(24)), -std::chrono::hours(5));
  EXPECT_EQ(ny->min_offset(sys("2026-07-01T04:00:00Z"), std::chrono::hours(24)), -std::chrono::hours(4));
}

TEST(TimeZone, UnknownAndEmptyNamesAreErrorsNamingThem) {
  EXPECT_EQ(TimeZone::find("Europe/Berln").status().message(),
            "unknown time zone 'Europe/Berln' (not in the system tzdata under /usr/share/zoneinfo)");
  EXPECT_FALSE(TimeZone::find("").ok());
  EXPECT_FALSE(TimeZone::find("../../etc/passwd").ok());
}

TEST(IsoTime, ParsesOffsetsAndRoundTripsUtc) {
  EXPECT_EQ(at("2026-03-29T03:00:00+02:00"), at("2026-03-29T01:00:00Z"));
  EXPECT_EQ(at("2026-03-29 01:00Z"), at("2026-03-29T01:00:00Z"));
  EXPECT_EQ(format_utc(at("2026-03-29T01:02:03.750Z")), "2026-03-29T01:02:03Z");
  EXPECT_FALSE(parse_utc("2026-02-30T00:00:00Z").ok());
  EXPECT_EQ(parse_utc("2026-03-29T01:00").status().message(),
            "time '2026-03-29T01:00': no offset (end with Z or +HH:MM) (write e.g. 2026-03-29T01:00:00Z or "
            "2026-03-29T03:00:00+02:00)");
}

}  // namespace
}  // namespace baton::schedule

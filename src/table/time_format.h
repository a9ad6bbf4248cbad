#pragma once
// Calendar conversions for timestamps (µs since epoch) and dates (days since
// epoch), proleptic Gregorian (H. Hinnant's days_from_civil algorithms).
#include <cstdint>
#include <string>

namespace baton::detail {

struct CivilDate {
  int64_t year;
  unsigned month, day;
};
CivilDate civil_from_days(int64_t days);
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);
// "2024-01-31"
std::string format_date(int64_t days);
// "2024-01-31T12:00:05" with ".123456" if there are microseconds, "Z" if utc.
std::string format_timestamp(int64_t micros, bool utc);

}  // namespace baton::detail

#pragma once
// RFC 5545 recurrence rules, expanded by libical (libical stays in rrule.cpp).
//
// The text is a rule ("FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9"), optionally prefixed
// "RRULE:", optionally preceded by a DTSTART line ("DTSTART;TZID=Europe/Berlin:
// 20260105T090000" or "DTSTART:20260105T080000Z", newline-separated). DTSTART
// otherwise comes from the spec's anchor, shown as wall-clock time in the
// spec's zone. The rule is expanded in that wall-clock time, so "09:00 every
// Monday" stays 09:00 across daylight saving.
//
// Daylight saving follows RFC 5545 section 3.3.5 (and so differs from cron on
// purpose): a wall-clock time skipped by a spring-forward gap is read with the
// offset before the gap (02:30 becomes 03:30), and a repeated time means its
// first occurrence. UNTIL in UTC (the RFC's form with a zoned DTSTART) is
// compared as an instant; a floating UNTIL as wall-clock time in the zone.
//
// Refused at parse time: parts RFC 5545 does not define, RSCALE/SKIP (RFC
// 7529), COUNT together with UNTIL, and rules whose BYMONTHDAY no BYMONTH month
// has (libical would search centuries for them).
#include "schedule/schedule.h"

#include <baton/status.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace baton::schedule {

Result<std::unique_ptr<Schedule>> parse_rrule_schedule(std::string_view text, const std::string& zone,
                                                       std::optional<TimePoint> anchor);

}  // namespace baton::schedule

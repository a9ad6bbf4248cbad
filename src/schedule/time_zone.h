#pragma once
// An IANA time zone from the system's tzdata (Howard Hinnant's date/tz.h with
// USE_OS_TZDB; date/tz.h stays inside time_zone.cpp). Wall-clock times are
// counted as seconds since 1970-01-01 00:00 of the local clock, the way
// date::local_seconds counts them.
#include <baton/status.h>

#include <chrono>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace baton::schedule {

using LocalSeconds = std::chrono::seconds;  // since the local 1970-01-01 00:00
using SysSeconds = std::chrono::sys_seconds;

// What a wall-clock time means in a zone. Callers choose among these by their
// own rules (cron and rrule treat a skipped time differently).
struct LocalResolution {
  enum class Kind {
    unique,    // `first` is the one instant
    skipped,   // a spring-forward gap: `first` is the first valid instant after
               // the gap (02:30 -> 03:00), `second` the time read with the offset
               // before the gap as RFC 5545 does (02:30 -> 03:30)
    repeated,  // a fall-back fold: `first` and `second` are both occurrences, first < second
  };
  Kind kind = Kind::unique;
  SysSeconds first;
  SysSeconds second;
};

class TimeZone {
 public:
  // The zone named `name` ("Europe/Berlin", "UTC"); an error naming it if the
  // system tzdata has no such zone.
  static Result<TimeZone> find(std::string_view name);

  const std::string& name() const { return name_; }

  LocalSeconds to_local(SysSeconds t) const;

  LocalResolution resolve(LocalSeconds local) const;

  // The smallest UTC offset in effect at any instant of [t, t + horizon]: every
  // wall-clock time an instant of that window shows is >= t + that offset.
  std::chrono::seconds min_offset(SysSeconds t, std::chrono::seconds horizon) const;

 private:
  TimeZone(const date::time_zone* zone, std::string name) : zone_(zone), name_(std::move(name)) {}
  const date::time_zone* zone_;  // owned by the process-wide tzdb, never freed
  std::string name_;
};

}  // namespace baton::schedule

#include "schedule/time_zone.h"

#include <date/tz.h>

#include <exception>

namespace baton::schedule {

Result<TimeZone> TimeZone::find(std::string_view name) {
  if (name.empty()) return Status::error("time zone: empty name (use an IANA name such as 'Europe/Berlin' or 'UTC')");
  try {
    const date::time_zone* zone = date::locate_zone(name);
    return TimeZone(zone, std::string(name));
  } catch (const std::exception&) {
    // date throws std::runtime_error for an unknown name, and also when the
    // system tzdata cannot be read at all; both leave us without the zone.
    return Status::error("unknown time zone '" + std::string(name) +
                         "' (not in the system tzdata under /usr/share/zoneinfo)");
  }
}

LocalSeconds TimeZone::to_local(SysSeconds t) const {
  const date::sys_info info = zone_->get_info(t);
  return t.time_since_epoch() + info.offset;
}

LocalResolution TimeZone::resolve(LocalSeconds local) const {
  const date::local_info info = zone_->get_info(date::local_seconds{local});
  LocalResolution r;
  switch (info.result) {
    case date::local_info::unique:
      r.kind = LocalResolution::Kind::unique;
      r.first = r.second = SysSeconds{local - info.first.offset};
      break;
    case date::local_info::nonexistent:
      r.kind = LocalResolution::Kind::skipped;
      r.first = info.first.end;
      r.second = SysSeconds{local - info.first.offset};
      break;
    case date::local_info::ambiguous:
      r.kind = LocalResolution::Kind::repeated;
      r.first = SysSeconds{local - info.first.offset};
      r.second = SysSeconds{local - info.second.offset};
      break;
  }
  return r;
}

std::chrono::seconds TimeZone::min_offset(SysSeconds t, std::chrono::seconds horizon) const {
  date::sys_info info = zone_->get_info(t);
  std::chrono::seconds lowest = info.offset;
  const SysSeconds end = t + horizon;
  // A window of a day or so holds one transition at most in any real zone; the
  // bound keeps a pathological zone from looping long.
  for (int i = 0; i < 8 && info.end <= end; ++i) {
    info = zone_->get_info(info.end);
    if (info.offset < lowest) lowest = info.offset;
  }
  return lowest;
}

}  // namespace baton::schedule

#include "schedule/rrule.h"

#include "schedule/time_zone.h"

#include <date/date.h>
#include <libical/ical.h>

#include <array>
#include <cctype>
#include <cstring>
#include <mutex>
#include <vector>

namespace baton::schedule {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

icaltimetype to_ical(LocalSeconds local) {
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const date::year_month_day ymd{date::sys_days{day}};
  const date::hh_mm_ss<seconds> tod{local - day};
  icaltimetype t = icaltime_null_time();
  t.year = static_cast<int>(ymd.year());
  t.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  t.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  t.hour = static_cast<int>(tod.hours().count());
  t.minute = static_cast<int>(tod.minutes().count());
  t.second = static_cast<int>(tod.seconds().count());
  t.is_date = 0;
  return t;
}

LocalSeconds from_ical(const icaltimetype& t) {
  const date::sys_days day = date::year{t.year} / date::month{static_cast<unsigned>(t.month)} /
                             date::day{static_cast<unsigned>(t.day)};
  return LocalSeconds{day.time_since_epoch() + hours(t.hour) + minutes(t.minute) + seconds(t.second)};
}

// "20260105T090000" (and a trailing Z) into wall-clock seconds; nullopt if malformed.
std::optional<LocalSeconds> parse_ical_datetime(std::string_view s, bool& utc) {
  utc = !s.empty() && (s.back() == 'Z' || s.back() == 'z');
  if (utc) s.remove_suffix(1);
  const bool date_only = s.size() == 8;
  if (!(s.size() == 15 && (s[8] == 'T' || s[8] == 't')) && !date_only) return std::nullopt;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  const auto num = [&](std::size_t at, std::size_t n) { return std::stoi(std::string(s.substr(at, n))); };
  const date::year_month_day ymd{date::year{num(0, 4)}, date::month{static_cast<unsigned>(num(4, 2))},
                                 date::day{static_cast<unsigned>(num(6, 2))}};
  if (!ymd.ok()) return std::nullopt;
  LocalSeconds out{date::sys_days{ymd}.time_since_epoch()};
  if (!date_only) {
    const int h = num(9, 2), m = num(11, 2), sec = num(13, 2);
    if (h > 23 || m > 59 || sec > 60) return std::nullopt;
    out += hours(h) + minutes(m) + seconds(sec);
  }
  return out;
}

constexpr std::array<const char*, 14> kParts = {"FREQ",    "UNTIL",  "COUNT",      "INTERVAL", "BYSECOND",
                                                "BYMINUTE", "BYHOUR", "BYDAY",      "BYMONTHDAY", "BYYEARDAY",
                                                "BYWEEKNO", "BYMONTH", "BYSETPOS",  "WKST"};

struct RuleText {
  std::vector<std::pair<std::string, std::string>> parts;  // upper-cased names, values as written
  std::string freq;
};

Result<RuleText> split_rule(const std::string& quoted, std::string_view rule) {
  RuleText out;
  std::size_t pos = 0;
  while (pos <= rule.size()) {
    const std::size_t semi = std::min(rule.find(';', pos), rule.size());
    const std::string item = trim(rule.substr(pos, semi - pos));
    pos = semi + 1;
    if (item.empty()) {
      if (pos > rule.size()) break;  // a trailing ';'
      return Status::error(quoted + ": empty part between ';'");
    }
    const auto eq = item.find('=');
    if (eq == std::string::npos) return Status::error(quoted + ": part '" + item + "' is not NAME=VALUE");
    const std::string name = upper(trim(item.substr(0, eq)));
    const std::string value = trim(item.substr(eq + 1));
    if (name == "RSCALE" || name == "SKIP") {
      return Status::error(quoted + ": " + name + " (RFC 7529 calendars) is not supported");
    }
    bool known = false;
    for (const char* p : kParts) known = known || name == p;
    if (!known) return Status::error(quoted + ": unknown part '" + name + "'");
    for (const auto& [n, v] : out.parts) {
      if (n == name) return Status::error(quoted + ": " + name + " is given twice");
    }
    if (value.empty()) return Status::error(quoted + ": " + name + " has no value");
    if (name == "FREQ") out.freq = upper(value);
    out.parts.emplace_back(name, value);
  }
  if (out.freq.empty()) return Status::error(quoted + ": FREQ is missing (e.g. FREQ=DAILY)");
  static constexpr const char* kFreqs[] = {"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"};
  bool freq_ok = false;
  for (const char* f : kFreqs) freq_ok = freq_ok || out.freq == f;
  if (!freq_ok) {
    return Status::error(quoted + ": FREQ=" + out.freq +
                         " is not one of SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY");
  }
  return out;
}

// libical's error state is per thread, and its parser writes it; a rule it
// rejects comes back with FREQ unset.
bool ical_parse(const std::string& text, icalrecurrencetype& out) {
  icalerror_clear_errno();
  out = icalrecurrencetype_from_string(text.c_str());
  return out.freq != ICAL_NO_RECURRENCE && icalerrno == ICAL_NO_ERROR;
}

constexpr int kMaxMonthDays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

// True when some BYMONTH month (all months if none) has some BYMONTHDAY day.
bool month_days_possible(const icalrecurrencetype& r) {
  if (r.by_month_day[0] == ICAL_RECURRENCE_ARRAY_MAX) return true;
  std::vector<int> months;
  for (int i = 0; i < ICAL_BY_MONTH_SIZE && r.by_month[i] != ICAL_RECURRENCE_ARRAY_MAX; ++i) {
    months.push_back(icalrecurrencetype_month_month(r.by_month[i]));
  }
  if (months.empty()) months = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  for (int m : months) {
    if (m < 1 || m > 12) return true;  // leave odd values to libical
    for (int i = 0; i < ICAL_BY_MONTHDAY_SIZE && r.by_month_day[i] != ICAL_RECURRENCE_ARRAY_MAX; ++i) {
      const int d = r.by_month_day[i];
      if ((d > 0 && d <= kMaxMonthDays[m]) || (d < 0 && -d <= kMaxMonthDays[m])) return true;
    }
  }
  return false;
}

class RRuleSchedule final : public Schedule {
 public:
  RRuleSchedule(std::string text, icalrecurrencetype rule, LocalSeconds dtstart, std::optional<SysSeconds> until,
                TimeZone zone)
      : text_(std::move(text)), rule_(rule), dtstart_(dtstart), until_(until), zone_(std::move(zone)) {}

  ~RRuleSchedule() override {
    if (cursor_ != nullptr) icalrecur_iterator_free(cursor_);
  }
  RRuleSchedule(const RRuleSchedule&) = delete;
  RRuleSchedule& operator=(const RRuleSchedule&) = delete;

  std::optional<TimePoint> next_after(TimePoint t) const override {
    const SysSeconds after = std::chrono::floor<seconds>(t);
    if (until_ && *until_ <= after) return std::nullopt;
    // No occurrence after `after` has a wall-clock time before `after` plus the
    // smallest offset around it (a skipped time is read with the earlier offset).
    const LocalSeconds from = after.time_since_epoch() + zone_.min_offset(after, hours(24)) + seconds(1);
    if (rule_.count == 0 && from > dtstart_) {
      if (const seconds period = sub_daily_period(); period.count() > 0 && !has_by_parts()) {
        // Every point of an HOURLY/MINUTELY/SECONDLY grid without BY parts is an
        // occurrence, so a later grid point is as good a DTSTART (floating
        // wall-clock time has no daylight saving).
        const LocalSeconds start = dtstart_ + (from - dtstart_) / period * period;
        return first_after(icalrecur_iterator_new(rule_, to_ical(start)), after);
      }
      if (sub_daily_period().count() == 0) {
        // DAILY and longer: libical's set_start keeps INTERVAL aligned to
        // DTSTART (the test of this file checks it against full iteration).
        icalrecur_iterator* it = icalrecur_iterator_new(rule_, to_ical(dtstart_));
        if (it != nullptr) icalrecur_iterator_set_start(it, to_ical(from));
        return first_after(it, after);
      }
      // libical's set_start miscounts sub-daily steps, and a grid point that a
      // BY part filters out is no DTSTART libical treats alike: iterate from
      // DTSTART, below.
    }
    // COUNT needs every occurrence from DTSTART. A cursor keeps the iteration
    // for the next call, which the scheduler makes with a later instant.
    std::lock_guard lock(mu_);
    if (cursor_ != nullptr && cursor_has_last_ && cursor_prev_ <= after && after < cursor_last_) {
      return TimePoint(cursor_last_);
    }
    if (cursor_ == nullptr || !cursor_has_last_ || after < cursor_last_) {
      if (cursor_ != nullptr) icalrecur_iterator_free(cursor_);
      cursor_ = icalrecur_iterator_new(rule_, to_ical(dtstart_));
      cursor_has_last_ = false;
      if (cursor_ == nullptr) return std::nullopt;
    }
    for (;;) {
      const std::optional<SysSeconds> at = next_instant(cursor_);
      if (!at) return std::nullopt;
      cursor_prev_ = cursor_has_last_ ? cursor_last_ : SysSeconds::min();
      cursor_last_ = *at;
      cursor_has_last_ = true;
      if (*at > after) return TimePoint(*at);
    }
  }

  std::string describe() const override { return "rrule '" + text_ + "' in " + zone_.name(); }

 private:
  // The next occurrence of `it` as an instant, nullopt past the end or UNTIL.
  std::optional<SysSeconds> next_instant(icalrecur_iterator* it) const {
    const icaltimetype next = icalrecur_iterator_next(it);
    if (icaltime_is_null_time(next)) return std::nullopt;
    const LocalResolution r = zone_.resolve(from_ical(next));
    const SysSeconds at = r.kind == LocalResolution::Kind::skipped ? r.second : r.first;
    if (until_ && at > *until_) return std::nullopt;
    return at;
  }

  // The first occurrence of `it` after `after`; frees `it`.
  std::optional<TimePoint> first_after(icalrecur_iterator* it, SysSeconds after) const {
    if (it == nullptr) return std::nullopt;  // parse() built one from the same rule
    std::optional<TimePoint> found;
    while (const std::optional<SysSeconds> at = next_instant(it)) {
      if (*at > after) {
        found = TimePoint(*at);
        break;
      }
    }
    icalrecur_iterator_free(it);
    return found;
  }

  bool has_by_parts() const {
    for (const short* by : {rule_.by_second, rule_.by_minute, rule_.by_hour, rule_.by_day, rule_.by_month_day,
                            rule_.by_year_day, rule_.by_week_no, rule_.by_month, rule_.by_set_pos}) {
      if (by[0] != ICAL_RECURRENCE_ARRAY_MAX) return true;
    }
    return false;
  }

  // INTERVAL steps of FREQ for HOURLY, MINUTELY and SECONDLY; zero otherwise.
  seconds sub_daily_period() const {
    switch (rule_.freq) {
      case ICAL_HOURLY_RECURRENCE: return hours(rule_.interval);
      case ICAL_MINUTELY_RECURRENCE: return minutes(rule_.interval);
      case ICAL_SECONDLY_RECURRENCE: return seconds(rule_.interval);
      default: return seconds(0);
    }
  }

  std::string text_;
  icalrecurrencetype rule_;  // UNTIL cleared: until_ holds it as an instant
  LocalSeconds dtstart_;
  std::optional<SysSeconds> until_;
  TimeZone zone_;

  // The iteration from DTSTART that the last call left off at.
  mutable std::mutex mu_;
  mutable icalrecur_iterator* cursor_ = nullptr;  // guarded by mu_
  mutable SysSeconds cursor_last_{};              // the last instant it gave; guarded by mu_
  mutable SysSeconds cursor_prev_{};              // the one before; guarded by mu_
  mutable bool cursor_has_last_ = false;          // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<Schedule>> parse_rrule_schedule(std::string_view text_in, const std::string& zone,
                                                       std::optional<TimePoint> anchor) {
  const std::string text = trim(text_in);
  const std::string quoted = "rrule '" + text + "'";
  std::string zone_name = zone.empty() ? "UTC" : zone;
  std::optional<LocalSeconds> dtstart_local;
  std::optional<SysSeconds> dtstart_utc;
  std::string rule;

  // Lines: an optional DTSTART, then the rule (with or without "RRULE:").
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = std::min(text.find('\n', pos), text.size());
    const std::string line = trim(std::string_view(text).substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty()) continue;
    const std::string head = upper(line.substr(0, 7));
    if (head == "DTSTART") {
      const auto colon = line.find(':');
      if (colon == std::string::npos) return Status::error(quoted + ": DTSTART line has no ':' before its time");
      const std::string params = line.substr(7, colon - 7);
      if (!params.empty()) {
        const std::string up = upper(params);
        if (up.rfind(";TZID=", 0) != 0) return Status::error(quoted + ": DTSTART parameter '" + params + "' is not TZID=");
        const std::string tzid = params.substr(6);
        if (!zone.empty() && zone != "UTC" && zone != tzid) {
          return Status::error(quoted + ": DTSTART's TZID=" + tzid + " differs from the time zone " + zone);
        }
        zone_name = tzid;
      }
      bool utc = false;
      const auto t = parse_ical_datetime(line.substr(colon + 1), utc);
      if (!t) return Status::error(quoted + ": DTSTART '" + line.substr(colon + 1) + "' is not YYYYMMDDTHHMMSS[Z]");
      if (utc) {
        dtstart_utc = SysSeconds{*t};
      } else {
        dtstart_local = *t;
      }
    } else if (!rule.empty()) {
      return Status::error(quoted + ": more than one rule line (one RRULE per schedule)");
    } else {
      rule = upper(line.substr(0, 6)) == "RRULE:" ? line.substr(6) : line;
    }
  }
  if (rule.empty()) return Status::error(quoted + ": no rule (e.g. FREQ=DAILY;BYHOUR=3)");

  auto tz = TimeZone::find(zone_name);
  if (!tz) return tz.status();

  auto parts = split_rule(quoted, rule);
  if (!parts) return parts.status();
  bool has_count = false, has_until = false;
  for (const auto& [n, v] : parts->parts) {
    has_count = has_count || n == "COUNT";
    has_until = has_until || n == "UNTIL";
  }
  if (has_count && has_until) return Status::error(quoted + ": COUNT and UNTIL together (RFC 5545 allows one)");

  icalrecurrencetype r;
  if (!ical_parse(rule, r)) {
    // Name the part libical refuses: each one on its own after FREQ.
    for (const auto& [n, v] : parts->parts) {
      if (n == "FREQ") continue;
      icalrecurrencetype probe;
      if (!ical_parse("FREQ=" + parts->freq + ";" + n + "=" + v, probe)) {
        return Status::error(quoted + ": " + n + "=" + v + " is not valid");
      }
    }
    return Status::error(quoted + ": not a valid RFC 5545 recurrence rule");
  }
  if (r.interval < 1) return Status::error(quoted + ": INTERVAL must be at least 1");
  if (has_count && r.count < 1) return Status::error(quoted + ": COUNT must be at least 1");
  if (!month_days_possible(r)) {
    return Status::error(quoted + ": never occurs (no BYMONTH month has any of its BYMONTHDAY days)");
  }

  std::optional<SysSeconds> until;
  if (!icaltime_is_null_time(r.until)) {
    if (icaltime_is_utc(r.until)) {
      until = SysSeconds{from_ical(r.until)};
    } else {
      LocalSeconds local = from_ical(r.until);
      if (r.until.is_date) local += hours(24) - seconds(1);  // a date includes its whole day
      const LocalResolution res = tz->resolve(local);
      until = res.kind == LocalResolution::Kind::repeated ? res.second : res.first;
    }
    r.until = icaltime_null_time();
  }

  LocalSeconds dtstart;
  if (dtstart_local) {
    dtstart = *dtstart_local;
  } else if (dtstart_utc) {
    dtstart = tz->to_local(*dtstart_utc);
  } else if (anchor) {
    dtstart = tz->to_local(std::chrono::floor<seconds>(*anchor));
  } else {
    return Status::error(quoted + ": no start (give an anchor, or a DTSTART line before the rule)");
  }
  icalrecur_iterator* it = icalrecur_iterator_new(r, to_ical(dtstart));
  if (it == nullptr) return Status::error(quoted + ": libical cannot expand this combination of parts");
  icalrecur_iterator_free(it);
  return std::unique_ptr<Schedule>(new RRuleSchedule(rule, r, dtstart, until, std::move(*tz)));
}

}  // namespace baton::schedule

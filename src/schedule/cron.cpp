#include "schedule/cron.h"

#include <date/date.h>

#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <vector>

namespace baton::schedule {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

struct FieldInfo {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[i] is value min + i (or nullptr)
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", nullptr};
constexpr const char* kWeekdayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", nullptr};

constexpr std::array<FieldInfo, 5> kFields = {{
    {"minute", 0, 59, nullptr},
    {"hour", 0, 23, nullptr},
    {"day-of-month", 1, 31, nullptr},
    {"month", 1, 12, kMonthNames},
    {"day-of-week", 0, 7, kWeekdayNames},  // 7 is Sunday too
}};

Status field_error(const FieldInfo& f, const std::string& what) {
  return Status::error(std::string("cron field '") + f.name + "': " + what);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// One value of a field: a number or (months, weekdays) a name.
Result<int> parse_value(const FieldInfo& f, std::string_view token) {
  if (token.empty()) return field_error(f, "a value is missing");
  int v = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec == std::errc() && end == token.data() + token.size()) {
    if (v < f.min || v > f.max) {
      return field_error(f, std::to_string(v) + " is out of range " + std::to_string(f.min) + "-" +
                                std::to_string(f.max));
    }
    return v;
  }
  if (f.names != nullptr) {
    const std::string u = upper(token);
    for (int i = 0; f.names[i] != nullptr; ++i) {
      if (u == f.names[i]) return f.min + i;
    }
    return field_error(f, "'" + std::string(token) + "' is not a number or a name (" +
                              (f.names == kMonthNames ? "JAN-DEC" : "SUN-SAT") + ")");
  }
  if (ec == std::errc::result_out_of_range) return field_error(f, std::string(token) + " is out of range");
  return field_error(f, "'" + std::string(token) + "' is not a number");
}

Result<int> parse_step(const FieldInfo& f, std::string_view token) {
  int v = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (token.empty() || ec != std::errc() || end != token.data() + token.size()) {
    return field_error(f, "step '" + std::string(token) + "' is not a number");
  }
  if (v < 1) return field_error(f, "step " + std::to_string(v) + " must be at least 1");
  if (v > f.max - f.min + 1) {
    return field_error(f, "step " + std::to_string(v) + " is larger than the range " + std::to_string(f.min) + "-" +
                              std::to_string(f.max));
  }
  return v;
}

struct ParsedField {
  std::uint64_t bits = 0;
  bool restricted = false;  // anything but `*` / `?`
  bool last_day = false;
};

Result<ParsedField> parse_field(const FieldInfo& f, std::string_view text, bool day_field) {
  ParsedField out;
  if (text == "*" || (day_field && text == "?")) {
    for (int v = f.min; v <= f.max; ++v) out.bits |= std::uint64_t{1} << v;
    return out;
  }
  out.restricted = true;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view item = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) return field_error(f, "empty list element in '" + std::string(text) + "'");
    if (f.min == 1 && f.max == 31 && (item == "L" || item == "l")) {
      out.last_day = true;
      continue;
    }
    const bool nth_weekday = item.find('#') != std::string_view::npos ||
                             (item.size() > 1 && std::isdigit(static_cast<unsigned char>(item.front())) &&
                              (item.back() == 'L' || item.back() == 'l'));
    if (nth_weekday && f.names == kWeekdayNames) {
      return field_error(f, "'" + std::string(item) +
                                "' (nth or last weekday) is not supported; an rrule says it: "
                                "FREQ=MONTHLY;BYDAY=2FR or BYDAY=-1FR");
    }
    std::string_view range = item;
    int step = 1;
    bool has_step = false;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      auto s = parse_step(f, item.substr(slash + 1));
      if (!s) return s.status();
      step = *s;
      has_step = true;
      range = item.substr(0, slash);
    }
    int lo = f.min;
    int hi = f.max;
    if (range == "*") {
      // the whole field
    } else if (const auto dash = range.find('-'); dash != std::string_view::npos) {
      auto a = parse_value(f, range.substr(0, dash));
      if (!a) return a.status();
      auto b = parse_value(f, range.substr(dash + 1));
      if (!b) return b.status();
      lo = *a;
      hi = *b;
      if (lo > hi) {
        return field_error(f, "range " + std::string(range) + " runs backwards (write " + std::to_string(hi) + "-" +
                                  std::to_string(lo) + " or a list)");
      }
    } else {
      auto a = parse_value(f, range);
      if (!a) return a.status();
      lo = *a;
      hi = has_step ? f.max : *a;  // "5/15" is 5-max/15, as croniter reads it
    }
    for (int v = lo; v <= hi; v += step) out.bits |= std::uint64_t{1} << v;
  }
  return out;
}

constexpr unsigned kMaxDaysInMonth[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

unsigned days_in_month(int year, unsigned month) {
  return static_cast<unsigned>(
      (date::year{year} / date::month{month} / date::last).day());
}

// The lowest set bit >= from, or -1.
int next_bit(std::uint64_t bits, int from) {
  if (from >= 64) return -1;
  const std::uint64_t rest = bits & (~std::uint64_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

std::string_view expand_macro(std::string_view e) {
  if (e == "@yearly" || e == "@annually") return "0 0 1 1 *";
  if (e == "@monthly") return "0 0 1 * *";
  if (e == "@weekly") return "0 0 * * 0";
  if (e == "@daily" || e == "@midnight") return "0 0 * * *";
  if (e == "@hourly") return "0 * * * *";
  return {};
}

}  // namespace

Result<CronFields> CronFields::parse(std::string_view expression) {
  std::string_view text = expression;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (!text.empty() && text.front() == '@') {
    const std::string_view expanded = expand_macro(text);
    if (expanded.empty()) {
      return Status::error("cron '" + std::string(text) +
                           "': unknown macro (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)");
    }
    text = expanded;
  }
  std::vector<std::string_view> parts;
  for (std::size_t i = 0; i < text.size();) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) parts.push_back(text.substr(i, j - i));
    i = j;
  }
  if (parts.size() != 5) {
    return Status::error("cron '" + std::string(expression) + "' has " + std::to_string(parts.size()) +
                         " fields; expected 5 (minute hour day-of-month month day-of-week)");
  }
  std::array<ParsedField, 5> p;
  for (std::size_t i = 0; i < 5; ++i) {
    auto r = parse_field(kFields[i], parts[i], i == 2 || i == 4);
    if (!r) return r.status();
    p[i] = *r;
  }
  CronFields c;
  c.minute_bits = p[0].bits;
  c.hour_bits = static_cast<std::uint32_t>(p[1].bits);
  c.hours_wildcard = parts[1] == "*";
  c.day_bits = static_cast<std::uint32_t>(p[2].bits);
  c.last_day = p[2].last_day;
  c.days_restricted = p[2].restricted;
  c.month_bits = static_cast<std::uint16_t>(p[3].bits);
  std::uint64_t w = p[4].bits;
  if (w & (std::uint64_t{1} << 7)) w = (w | 1) & 0x7f;  // 7 is Sunday
  c.weekday_bits = static_cast<std::uint8_t>(w);
  c.weekdays_restricted = p[4].restricted;

  // A day-of-month list alone that no chosen month has (30 or 31 in February)
  // never fires: refuse it now rather than schedule nothing forever.
  if (c.days_restricted && !c.weekdays_restricted && !c.last_day) {
    bool possible = false;
    for (unsigned m = 1; m <= 12 && !possible; ++m) {
      if (!(c.month_bits & (1u << m))) continue;
      const std::uint32_t in_month = static_cast<std::uint32_t>((std::uint64_t{1} << (kMaxDaysInMonth[m] + 1)) - 2);
      possible = (c.day_bits & in_month) != 0;
    }
    if (!possible) {
      return Status::error("cron '" + std::string(expression) +
                           "' never fires: no month it names has any of its days of the month");
    }
  }
  return c;
}

bool CronFields::day_matches(int year, unsigned month, unsigned day) const {
  const bool dom = ((day_bits >> day) & 1u) != 0 || (last_day && day == days_in_month(year, month));
  const unsigned wd = date::weekday(date::sys_days(date::year{year} / date::month{month} / date::day{day})).c_encoding();
  const bool dow = ((weekday_bits >> wd) & 1u) != 0;
  if (days_restricted && weekdays_restricted) return dom || dow;
  if (days_restricted) return dom;
  if (weekdays_restricted) return dow;
  return true;
}

std::optional<LocalSeconds> CronFields::next_match(LocalSeconds from) const {
  const auto start = std::chrono::ceil<minutes>(from);
  const auto day_point = std::chrono::floor<days>(start);
  const date::year_month_day ymd{date::sys_days{day_point}};
  int year = static_cast<int>(ymd.year());
  unsigned month = static_cast<unsigned>(ymd.month());
  unsigned day = static_cast<unsigned>(ymd.day());
  const auto in_day = start - day_point;
  int hour = static_cast<int>(std::chrono::floor<hours>(in_day).count());
  int minute = static_cast<int>(std::chrono::duration_cast<minutes>(in_day - hours(hour)).count());
  const int last_year = year + 10;

  const auto next_day = [&] {
    if (++day > days_in_month(year, month)) {
      day = 1;
      if (++month > 12) {
        month = 1;
        ++year;
      }
    }
    hour = 0;
    minute = 0;
  };
  while (year <= last_year) {
    if (!((month_bits >> month) & 1u)) {
      const int m = next_bit(month_bits, static_cast<int>(month) + 1);
      if (m < 0) {
        ++year;
        month = static_cast<unsigned>(next_bit(month_bits, 1));
      } else {
        month = static_cast<unsigned>(m);
      }
      day = 1;
      hour = 0;
      minute = 0;
      continue;
    }
    if (!day_matches(year, month, day)) {
      next_day();
      continue;
    }
    const int h = next_bit(hour_bits, hour);
    if (h < 0) {
      next_day();
      continue;
    }
    if (h != hour) {
      hour = h;
      minute = 0;
    }
    const int m = next_bit(minute_bits, minute);
    if (m < 0) {
      ++hour;
      minute = 0;
      if (hour > 23) next_day();
      continue;
    }
    const date::sys_days d = date::year{year} / date::month{month} / date::day{day};
    return LocalSeconds{d.time_since_epoch() + hours(hour) + minutes(m)};
  }
  return std::nullopt;
}

std::optional<TimePoint> CronSchedule::next_after(TimePoint t) const {
  // Occurrences are whole minutes, so "after t" is "after t's whole second".
  const SysSeconds after = std::chrono::floor<std::chrono::seconds>(t);
  // Wall-clock times of instants after `after` are never earlier than `after`
  // plus the smallest offset around it (a fall-back turns the clock back).
  LocalSeconds from = after.time_since_epoch() + zone_.min_offset(after, std::chrono::hours(24)) +
                      std::chrono::seconds(1);
  std::optional<SysSeconds> best_repeat;  // the second occurrence of a repeated time (elapsed-time rule)
  // Only candidates inside a transition can map to instants <= `after`; the
  // bound is many times the minutes of any real transition.
  for (int i = 0; i < 100000; ++i) {
    const std::optional<LocalSeconds> local = fields_.next_match(from);
    if (!local) return best_repeat ? std::optional<TimePoint>(*best_repeat) : std::nullopt;
    from = *local + minutes(1);
    const LocalResolution r = zone_.resolve(*local);
    std::optional<SysSeconds> at;
    if (r.kind == LocalResolution::Kind::skipped) {
      if (!fields_.hours_wildcard) at = r.first;  // runs once at the end of the gap
    } else {
      at = r.first;
      // Elapsed-time rule: the repeated minute runs again; the first such
      // second occurrence after `after` competes with the next first occurrence.
      if (fields_.hours_wildcard && r.kind == LocalResolution::Kind::repeated && r.second > after && !best_repeat) {
        best_repeat = r.second;
      }
    }
    if (at && *at > after) {
      if (best_repeat && *best_repeat < *at) return TimePoint(*best_repeat);
      return TimePoint(*at);
    }
  }
  return best_repeat ? std::optional<TimePoint>(*best_repeat) : std::nullopt;
}

std::string CronSchedule::describe() const { return "cron '" + expression_ + "' in " + zone_.name(); }

}  // namespace baton::schedule

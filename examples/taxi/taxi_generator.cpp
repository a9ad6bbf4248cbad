// Synthetic yellow-taxi trips. Rows are generated in blocks of kBlock rows,
// each from its own random stream seeded by (seed, block), so any slice of
// the month can be generated on its own and the result does not depend on how
// the caller batches it.
#include "taxi/taxi.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace baton::taxi {
namespace {

constexpr int64_t kBlock = 65536;

// splitmix64 seeding + xoshiro256** stream.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) s = splitmix(seed);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  int64_t below(int64_t n) { return static_cast<int64_t>(uniform() * static_cast<double>(n)); }
  double normal() {  // Box-Muller
    double u1 = std::max(uniform(), 1e-300), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
};

// Relative pickups per hour of day (TLC 2023-24 shape: quiet at 4-5am, peak 6-7pm).
constexpr double kHourWeights[24] = {2.8, 1.9, 1.3, 0.9, 0.7, 0.8, 1.6, 3.0, 4.0, 4.2, 4.3, 4.6,
                                     4.9, 5.0, 5.3, 5.5, 5.6, 6.1, 6.4, 5.9, 5.3, 5.2, 4.9, 3.9};

// Busy zones (Midtown, Upper East/West Side, airports) get most pickups.
constexpr int32_t kBusyZones[] = {132, 138, 161, 162, 163, 164, 170, 186, 230, 234, 236, 237, 238, 239,
                                  140, 141, 142, 143, 48, 50, 68, 79, 90, 100, 107, 113, 114, 125, 249, 263};

int32_t pick_zone(Rng& rng) {
  if (rng.uniform() < 0.85) return kBusyZones[rng.below(std::size(kBusyZones))];
  return static_cast<int32_t>(1 + rng.below(265));
}

double cents(double x) { return std::round(x * 100.0) / 100.0; }

struct Month {
  int year;
  unsigned month;
  int64_t first_day;  // days since epoch
  int days;
};

// Days from 1970-01-01 to the first of the month (proleptic Gregorian).
int64_t days_since_epoch(int year, unsigned month) {
  const std::chrono::sys_days day{std::chrono::year{year} / std::chrono::month{month} / 1};
  return day.time_since_epoch().count();
}

Month parse_month(std::string_view m) {
  auto bad = [&] { return std::invalid_argument("taxi: month '" + std::string(m) + "' is not YYYY-MM"); };
  if (m.size() != 7 || m[4] != '-') throw bad();
  for (size_t i : {0, 1, 2, 3, 5, 6})
    if (m[i] < '0' || m[i] > '9') throw bad();
  int year = (m[0] - '0') * 1000 + (m[1] - '0') * 100 + (m[2] - '0') * 10 + (m[3] - '0');
  unsigned month = static_cast<unsigned>((m[5] - '0') * 10 + (m[6] - '0'));
  if (month < 1 || month > 12) throw bad();
  const int64_t first = days_since_epoch(year, month);
  const int64_t next = month == 12 ? days_since_epoch(year + 1, 1) : days_since_epoch(year, month + 1);
  return {year, month, first, static_cast<int>(next - first)};
}

}  // namespace

Table generate_table(int64_t rows, uint64_t seed, std::string_view month, int64_t first_row) {
  if (rows < 0 || first_row < 0) throw std::invalid_argument("taxi: rows must not be negative");
  const Month mo = parse_month(month);
  double hour_cdf[24];
  double acc = 0;
  for (int h = 0; h < 24; ++h) hour_cdf[h] = (acc += kHourWeights[h]);
  for (double& c : hour_cdf) c /= acc;

  ColumnBuilder<int32_t> vendor, pu, dol;
  ColumnBuilder<int64_t> pickup(DataType::timestamp(false)), dropoff(DataType::timestamp(false));
  ColumnBuilder<int64_t> passengers, ratecode, payment;
  ColumnBuilder<double> distance, fare, extra, mta, tip, tolls, improvement, total, congestion, airport;
  StringColumnBuilder flag;
  for (auto* b : {&vendor, &pu, &dol}) b->reserve(rows);
  for (auto* b : {&pickup, &dropoff, &passengers, &ratecode, &payment}) b->reserve(rows);
  for (auto* b : {&distance, &fare, &extra, &mta, &tip, &tolls, &improvement, &total, &congestion, &airport})
    b->reserve(rows);
  flag.reserve(rows, rows);

  const int64_t end = first_row + rows;
  std::vector<int64_t> pickups(kBlock);
  for (int64_t block = first_row / kBlock; block * kBlock < end; ++block) {
    Rng rng(seed * 0x9e3779b97f4a7c15ULL ^ (static_cast<uint64_t>(block) + 1) * 0xd1b54a32d192ed03ULL);
    const int64_t b0 = block * kBlock;
    // Pickup times of the block, sorted: the TLC's files are roughly in time
    // order, which is also what makes their timestamp columns compress.
    Rng time_rng(seed * 0xbf58476d1ce4e5b9ULL ^ (static_cast<uint64_t>(block) + 1) * 0x94d049bb133111ebULL);
    for (int64_t k = 0; k < kBlock; ++k) {
      double u_hour = time_rng.uniform();
      int hour = 0;
      while (hour < 23 && u_hour > hour_cdf[hour]) ++hour;
      int64_t day = time_rng.below(mo.days), minute = time_rng.below(60), second = time_rng.below(60);
      pickups[static_cast<size_t>(k)] = ((mo.first_day + day) * 86400 + hour * 3600 + minute * 60 + second) * 1000000;
    }
    std::sort(pickups.begin(), pickups.end());
    for (int64_t r = b0; r < b0 + kBlock && r < end; ++r) {
      // Draw every value of the row, even when the row is skipped, so that a
      // row's values depend only on its block and position.
      const int64_t start = pickups[static_cast<size_t>(r - b0)];
      const int hour = static_cast<int>((start / 1000000 / 3600) % 24);
      double u_kind = rng.uniform(), u_vendor = rng.uniform();
      double duration_min = std::clamp(rng.lognormal(11.5, 0.65), 0.5, 240.0);
      double speed_mph = std::clamp(rng.lognormal(10.5, 0.35), 2.0, 45.0);
      double u_pass = rng.uniform(), u_rate = rng.uniform(), u_flag = rng.uniform(), u_pay = rng.uniform();
      int32_t zone_pu = pick_zone(rng), zone_do = pick_zone(rng);
      double u_tip = rng.uniform(), tip_pct = std::clamp(0.2 + 0.06 * rng.normal(), 0.0, 0.6);
      double u_toll = rng.uniform(), u_extra = rng.uniform(), u_cong = rng.uniform();
      if (r < first_row) continue;

      const bool zero_row = u_kind < 0.0005;             // every amount 0
      const bool flex = !zero_row && u_kind < 0.0455;    // the TLC's rows with nulls
      const bool refund = !zero_row && !flex && u_kind < 0.0575;  // negated amounts

      int64_t dur_us = static_cast<int64_t>(duration_min * 60.0) * 1000000;
      double dist = cents(duration_min / 60.0 * speed_mph);

      vendor.append(u_vendor < 0.0002 ? 6 : u_vendor < 0.26 ? 1 : 2);
      pickup.append(start);
      dropoff.append(start + dur_us);
      distance.append(dist);
      pu.append(zone_pu);
      dol.append(zone_do);

      int64_t rate = u_rate < 0.94 ? 1 : u_rate < 0.975 ? 2 : u_rate < 0.98 ? 3 : u_rate < 0.985 ? 4 : u_rate < 0.995 ? 5 : 99;
      int64_t pay = u_pay < 0.80 ? 1 : u_pay < 0.97 ? 2 : u_pay < 0.985 ? 3 : 4;
      if (flex) {
        passengers.append_null();
        ratecode.append_null();
        flag.append_null();
        payment.append(0);
      } else {
        int64_t pc = u_pass < 0.02 ? 0 : u_pass < 0.77 ? 1 : u_pass < 0.92 ? 2 : u_pass < 0.95 ? 3 : u_pass < 0.97 ? 4 : u_pass < 0.985 ? 5 : 6;
        passengers.append(pc);
        ratecode.append(rate);
        flag.append(u_flag < 0.005 ? "Y" : "N");
        payment.append(refund ? (u_pay < 0.5 ? 3 : 4) : pay);
      }

      double f, x, m, t, tl, imp, cg, ap;
      if (zero_row) {
        f = x = m = t = tl = imp = cg = ap = 0;
      } else {
        const bool airport_pu = zone_pu == 132 || zone_pu == 138;
        f = rate == 2 ? 70.0 : cents(3.0 + 3.5 * dist + 0.35 * duration_min * 0.3);
        x = (hour >= 16 && hour < 20) ? 2.5 : (hour >= 20 || hour < 6) ? 1.0 : 0.0;
        if (u_extra < 0.1) x += 5.0;  // JFK/EWR or overnight extras stack in the real data
        m = 0.5;
        tl = u_toll < 0.07 ? 6.94 : 0.0;
        imp = 1.0;
        cg = u_cong < 0.92 ? 2.5 : 0.0;
        ap = airport_pu ? 1.75 : 0.0;
        const bool card = flex ? u_pay < 0.7 : pay == 1;
        t = card && u_tip < 0.85 ? cents((f + x + tl) * tip_pct) : 0.0;
        if (refund) {
          f = -f, x = -x, m = -m, t = 0, tl = -tl, imp = -imp, cg = -cg, ap = -ap;
        }
      }
      fare.append(f);
      extra.append(x);
      mta.append(m);
      tip.append(t);
      tolls.append(tl);
      improvement.append(imp);
      const double tot = cents(f + x + m + t + tl + imp + cg + ap);
      total.append(tot == 0 ? 0.0 : tot);
      if (flex) {
        congestion.append_null();
        airport.append_null();
      } else {
        congestion.append(cg);
        airport.append(ap);
      }
    }
  }
  return Table({"VendorID", "tpep_pickup_datetime", "tpep_dropoff_datetime", "passenger_count", "trip_distance",
                "RatecodeID", "store_and_fwd_flag", "PULocationID", "DOLocationID", "payment_type", "fare_amount",
                "extra", "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge", "total_amount",
                "congestion_surcharge", "Airport_fee"},
               {vendor.finish(), pickup.finish(), dropoff.finish(), passengers.finish(), distance.finish(),
                ratecode.finish(), flag.finish(), pu.finish(), dol.finish(), payment.finish(), fare.finish(),
                extra.finish(), mta.finish(), tip.finish(), tolls.finish(), improvement.finish(), total.finish(),
                congestion.finish(), airport.finish()});
}

void generate(int64_t rows, uint64_t seed, const std::string& path, std::string_view month,
              const ParquetWriteOptions& options) {
  if (rows < 0) throw std::invalid_argument("taxi: rows must not be negative");
  parse_month(month);  // fail before creating the file
  ParquetFileWriter writer(path, options);
  const int64_t batch = std::max<int64_t>(1, options.row_group_rows);
  if (rows == 0) writer.write(generate_table(0, seed, month));
  for (int64_t r0 = 0; r0 < rows; r0 += batch)
    writer.write(generate_table(std::min(batch, rows - r0), seed, month, r0));
  writer.close();
}

}  // namespace baton::taxi

// The job of Prefect's big-data guide: load a month of NYC yellow-taxi trips from
// Parquet, add tip_fraction = tip_amount / total_amount, persist and cache the
// result, and do it for several months in parallel.
//
//   ./taxi_etl --paths yellow_tripdata_2024-01.parquet
//   ./taxi_etl --months 3 --data-dir data --rows 1000000   # generates missing months
//   baton flow-run inspect <id>                             # Cached on the second run
#include <baton/baton.h>
#include <baton/parquet.h>
#include <baton/table.h>
#include "taxi/taxi.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

struct MonthSummary {
  std::string month;
  std::int64_t trips = 0;
  std::int64_t undefined = 0;  // total_amount = 0: tip_fraction is NaN or ±inf
  double mean_tip_fraction = 0;

  template <class Archive>
  void serialize(Archive& ar) {
    ar("month", month)("trips", trips)("undefined", undefined)("mean_tip_fraction", mean_tip_fraction);
  }
};

// A month of synthetic trips with the real 2024 schema (the machine has no
// internet to fetch the real files); an existing file is left as it is.
auto generate_month = BATON_TASK("generate_month", [](const std::string& path, const std::string& month,
                                                      std::int64_t rows) {
                        if (!std::filesystem::exists(path)) {
                          std::filesystem::create_directories(std::filesystem::path(path).parent_path());
                          baton::taxi::generate(rows, std::hash<std::string>{}(month), path, month);
                          std::cout << "generated " << rows << " trips for " << month << " in " << path << "\n";
                        }
                        return path;
                      }).task_run_name("generate-{month}");

auto load_data = BATON_TASK("load_data", [](const std::string& path) {
                   baton::Table raw = baton::read_parquet(path);
                   std::cout << raw.info();
                   return raw;
                 }).task_run_name("load-{path}");

// Persisted and cached across runs: the key is the input table's fingerprint and
// this task's source text.
auto transform = BATON_TASK("transform", [](const baton::Table& raw) {
                   baton::Table out = raw.with_column("tip_fraction", raw["tip_amount"] / raw["total_amount"]);
                   std::cout << out.info();
                   return out;
                 }).cache_policy(baton::cache::inputs + baton::cache::task_source);

auto summarize = BATON_TASK("summarize", [](const std::string& month, const baton::Table& trips) {
                   MonthSummary s{month, trips.num_rows(), 0, 0};
                   const baton::Column& tf = trips["tip_fraction"];
                   const double* v = tf.data<double>();
                   double sum = 0;
                   std::int64_t n = 0;
                   for (std::int64_t i = 0; i < tf.length(); ++i) {
                     if (tf.is_valid(i) && std::isfinite(v[i])) {
                       sum += v[i];
                       ++n;
                     }
                   }
                   s.undefined = tf.length() - n;
                   s.mean_tip_fraction = n > 0 ? sum / static_cast<double>(n) : NAN;
                   return s;
                 }).task_run_name("summarize-{month}");

// The arguments are checked before anything is generated or read, so a bad one
// ends the program with a message naming the flag and nothing half done.
void check_arguments(const std::optional<std::vector<std::string>>& paths, const std::optional<int>& months,
                     const std::optional<std::string>& data_dir, const std::optional<std::int64_t>& rows) {
  if (paths && months) throw std::invalid_argument("give --paths or --months, not both");
  if (paths) {
    if (paths->empty()) throw std::invalid_argument("--paths: no file given (--paths FILE[,FILE...])");
    for (std::size_t i = 0; i < paths->size(); ++i) {
      const std::string& p = (*paths)[i];
      if (p.empty()) {
        throw std::invalid_argument("--paths: file " + std::to_string(i + 1) + " of " +
                                    std::to_string(paths->size()) + " has an empty name");
      }
      std::error_code ec;
      if (!std::filesystem::is_regular_file(p, ec)) {
        throw std::invalid_argument("--paths: '" + p + "' " +
                                    (std::filesystem::exists(p, ec) ? "is not a regular file" : "does not exist"));
      }
    }
    return;
  }
  if (!months) throw std::invalid_argument("give --paths FILE[,FILE...] or --months N");
  if (*months < 1 || *months > 12) {
    throw std::invalid_argument("--months must be from 1 to 12 (the months of 2024), got " + std::to_string(*months));
  }
  if (data_dir && data_dir->empty()) throw std::invalid_argument("--data-dir: an empty directory name");
  if (rows && (*rows < 1 || *rows > 1'000'000'000)) {
    throw std::invalid_argument("--rows must be from 1 to 1000000000, got " + std::to_string(*rows));
  }
}

auto taxi_etl = BATON_FLOW("taxi_etl", [](std::optional<std::vector<std::string>> paths, std::optional<int> months,
                                          std::optional<std::string> data_dir, std::optional<std::int64_t> rows,
                                          std::optional<std::string> month) {
                  if (month && (month->size() != 7 || (*month)[4] != '-')) {
                    throw std::invalid_argument("--month must be YYYY-MM, got '" + *month + "'");
                  }
                  if (month && !paths && !months) months = 1;  // one month, named below
                  check_arguments(paths, months, data_dir, rows);
                  std::vector<std::string> files = paths.value_or(std::vector<std::string>{});
                  std::vector<std::string> labels;
                  if (files.empty()) {
                    std::vector<baton::Future<std::string>> made;
                    for (int m = 1; m <= *months; ++m) {
                      char label[16];
                      std::snprintf(label, sizeof label, "2024-%02d", m);
                      if (month) std::snprintf(label, sizeof label, "%s", month->c_str());  // --month: that one
                      labels.push_back(label);
                      std::string file = data_dir.value_or("data") + "/yellow_tripdata_" + label + ".parquet";
                      made.push_back(generate_month.submit(file, std::string(label), rows.value_or(3'000'000)));
                    }
                    for (auto& f : made) files.push_back(f.result());
                  } else {
                    for (const auto& f : files) labels.push_back(std::filesystem::path(f).stem().string());
                  }
                  auto raw = load_data.map(files);
                  auto transformed = transform.map(raw);
                  auto summaries = summarize.map(labels, transformed);

                  std::vector<MonthSummary> out;
                  for (auto& s : summaries) out.push_back(s.result());
                  std::printf("\n%-28s %10s %10s %18s\n", "month", "trips", "undefined", "mean tip_fraction");
                  for (const MonthSummary& m : out) {
                    std::printf("%-28s %10lld %10lld %18.6f\n", m.month.c_str(), static_cast<long long>(m.trips),
                                static_cast<long long>(m.undefined), m.mean_tip_fraction);
                  }
                  return out;
                })
                    .description("load taxi trips from Parquet, add tip_fraction, persist and cache it, per month")
                    .log_prints(true);

int main(int argc, char** argv) { return baton::run_main(taxi_etl, argc, argv); }

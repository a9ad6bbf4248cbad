#pragma once
// A deterministic synthetic month of NYC yellow-taxi trips with the real 2024
// schema (19 columns, as in the TLC's yellow_tripdata_2024-MM.parquet):
//   VendorID int32; tpep_pickup_datetime, tpep_dropoff_datetime timestamp[us]
//   (local time, utc = false); passenger_count int64; trip_distance float64;
//   RatecodeID int64; store_and_fwd_flag string; PULocationID, DOLocationID
//   int32; payment_type int64; fare_amount, extra, mta_tax, tip_amount,
//   tolls_amount, improvement_surcharge, total_amount, congestion_surcharge,
//   Airport_fee float64.
// Distributions follow the real files: about 4.5% of rows have no
// passenger_count, RatecodeID, store_and_fwd_flag, congestion_surcharge and
// Airport_fee (and payment_type 0), as the TLC's "flex" rows; about 1.2% are
// refunds or disputes with negated amounts; about 0.05% have every amount 0
// (so tip_amount / total_amount is NaN there); tips mostly on card payments.
// The same (rows, seed, month) always gives the same values, whatever the
// row-group size.
#include <cstdint>
#include <string>
#include <string_view>

#include <baton/parquet/writer.h>
#include <baton/table.h>

namespace baton::taxi {

// Rows [first_row, first_row + rows) of the month. Throws std::invalid_argument
// if `month` is not "YYYY-MM".
Table generate_table(int64_t rows, uint64_t seed = 42, std::string_view month = "2024-01", int64_t first_row = 0);

// Generates `rows` trips and writes them as Parquet to `path` (atomically),
// one row group of options.row_group_rows at a time, so memory stays bounded.
// Throws std::invalid_argument for a bad month or negative rows, ParquetError
// if the file cannot be written.
void generate(int64_t rows, uint64_t seed, const std::string& path, std::string_view month = "2024-01",
              const ParquetWriteOptions& options = {});

}  // namespace baton::taxi

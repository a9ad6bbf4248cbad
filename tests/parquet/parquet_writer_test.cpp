// The writer is checked against the reference readers: DuckDB reads every
// file back to the values written, and arrow-rs (parquet-wasm) reads it to
// the same rows as DuckDB.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <functional>
#include <thread>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include <baton/parquet/writer.h>
#include <baton/table.h>
#include "testutil/node_tools.h"
#include "parquet/encodings.h"
#include "parquet/writer_internal.h"

namespace baton {
namespace {

using nlohmann::json;
using testing::node_tools_missing;
using testing::run_command;
using testing::shell_quote;

std::string duckdb_type(const DataType& t) {
  switch (t.id) {
    case TypeId::Int32: return "INTEGER";
    case TypeId::Int64: return "BIGINT";
    case TypeId::Float64: return "DOUBLE";
    case TypeId::Bool: return "BOOLEAN";
    case TypeId::String: return "VARCHAR";
    case TypeId::Timestamp: return t.utc ? "TIMESTAMP WITH TIME ZONE" : "TIMESTAMP";
    case TypeId::Date: return "DATE";
  }
  return "?";
}

// Reads each file with DuckDB and arrow-rs; one JSON result per file.
std::vector<json> crosscheck(const std::vector<std::string>& files) {
  std::string missing = node_tools_missing();
  if (!missing.empty()) {
    ADD_FAILURE() << "cannot cross-check with DuckDB/arrow-rs: " << missing;
    return {};
  }
  std::string cmd = "node " + shell_quote(std::string(BATON_SOURCE_DIR) + "/tests/parquet/parquet_crosscheck.cjs") + " " +
                    shell_quote(testing::tools_dir());
  for (const auto& f : files) cmd += " " + shell_quote(f);
  auto r = run_command(cmd);
  EXPECT_EQ(r.exit_code, 0) << cmd;
  std::vector<json> out;
  std::istringstream lines(r.output);
  std::string line;
  while (std::getline(lines, line))
    if (!line.empty()) out.push_back(json::parse(line));
  EXPECT_EQ(out.size(), files.size());
  return out;
}

void expect_same(const Table& t, const json& j) {
  SCOPED_TRACE(j.value("file", std::string()));
  const json& cols = j["duckdb"]["columns"];
  const json& rows = j["duckdb"]["rows"];
  ASSERT_EQ(cols.size(), t.num_columns());
  for (size_t c = 0; c < t.num_columns(); ++c) {
    EXPECT_EQ(cols[c][0], t.column_names()[c]);
    EXPECT_EQ(cols[c][1], duckdb_type(t.column(c).type())) << t.column_names()[c];
  }
  ASSERT_EQ(static_cast<int64_t>(rows.size()), t.num_rows());
  for (size_t c = 0; c < t.num_columns(); ++c) {
    const Column& col = t.column(c);
    for (int64_t r = 0; r < t.num_rows(); ++r) {
      const json& v = rows[static_cast<size_t>(r)][c];
      SCOPED_TRACE(t.column_names()[c] + " row " + std::to_string(r));
      if (col.is_null(r)) {
        ASSERT_TRUE(v.is_null()) << v;
        continue;
      }
      ASSERT_FALSE(v.is_null());
      switch (col.type().id) {
        case TypeId::Int32: ASSERT_EQ(v.get<int64_t>(), col.data<int32_t>()[r]); break;
        case TypeId::Date: ASSERT_EQ(v.get<int64_t>(), col.data<int32_t>()[r]); break;
        case TypeId::Int64: ASSERT_EQ(v.get<std::string>(), std::to_string(col.data<int64_t>()[r])); break;
        case TypeId::Timestamp: ASSERT_EQ(v.get<std::string>(), std::to_string(col.data<int64_t>()[r])); break;
        case TypeId::Bool: ASSERT_EQ(v.get<bool>(), col.data<uint8_t>()[r] != 0); break;
        case TypeId::String: ASSERT_EQ(v.get<std::string>(), col.string_at(r)); break;
        case TypeId::Float64: {
          double x = col.data<double>()[r];
          if (std::isnan(x)) ASSERT_EQ(v, "NaN");
          else if (std::isinf(x)) ASSERT_EQ(v, x > 0 ? "Infinity" : "-Infinity");
          else ASSERT_EQ(v.get<double>(), x);
          break;
        }
      }
    }
  }
  EXPECT_EQ(j["arrow"]["rows"].get<int64_t>(), t.num_rows());
  EXPECT_TRUE(j["arrow"]["equal_to_duckdb"].get<bool>()) << "arrow-rs read different values than DuckDB";
}

// Every type, nulls in every column, edge values; deterministic.
Table mixed_table(int64_t n) {
  ColumnBuilder<int32_t> i32;
  ColumnBuilder<int64_t> i64;
  ColumnBuilder<double> f64;
  ColumnBuilder<bool> b;
  StringColumnBuilder s, low;
  ColumnBuilder<int64_t> ts(DataType::timestamp(false)), tsu(DataType::timestamp(true));
  ColumnBuilder<int32_t> d(DataType::date());
  const double specials[] = {0.0, -0.0, 1e300, -1e-300, std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(), std::nan(""), 0.1, 5e-324};
  const char* words[] = {"", "Y", "N", "héllo wörld", "日本語", "a\"quote", "tab\there", "line\nbreak"};
  for (int64_t r = 0; r < n; ++r) {
    auto null_at = [&](int k) { return (r * 7 + k) % 11 == 0; };
    null_at(0) ? i32.append_null() : i32.append(r == 1 ? std::numeric_limits<int32_t>::min() : static_cast<int32_t>(r * 37 - 500));
    null_at(1) ? i64.append_null() : i64.append(r == 2 ? std::numeric_limits<int64_t>::max() : r == 3 ? std::numeric_limits<int64_t>::min() : r * 1000003);
    null_at(2) ? f64.append_null() : f64.append(r < 9 ? specials[r] : static_cast<double>(r) / 7.0);
    null_at(3) ? b.append_null() : b.append(r % 3 == 0);
    null_at(4) ? s.append_null() : s.append(std::string(words[r % 8]) + (r % 5 == 0 ? std::to_string(r) : ""));
    null_at(5) ? low.append_null() : low.append(words[r % 3]);
    null_at(6) ? ts.append_null() : ts.append(1704067200000000 + r * 61000123);
    null_at(7) ? tsu.append_null() : tsu.append(-86400000000 + r * 3600000000);
    null_at(8) ? d.append_null() : d.append(static_cast<int32_t>(-700 + r * 13));
  }
  return Table({"i32", "i64", "f64", "flag", "text", "low_card", "ts", "ts_utc", "day"},
               {i32.finish(), i64.finish(), f64.finish(), b.finish(), s.finish(), low.finish(), ts.finish(),
                tsu.finish(), d.finish()});
}

class ParquetWriter : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::test_tmp_dir("parquet_writer"); }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);  // kept for a look when a test fails
  }
  std::string path(const std::string& name) { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(ParquetWriter, ReferenceReadersReadBackEveryVariant) {
  Table t = mixed_table(500);
  std::vector<std::string> files;
  std::vector<Table> tables;
  auto add = [&](const std::string& name, const Table& table, ParquetWriteOptions o) {
    write_parquet(table, path(name), o);
    files.push_back(path(name));
    tables.push_back(table);
  };
  add("default.parquet", t, {});
  ParquetWriteOptions small;
  small.row_group_rows = 120;
  small.page_rows = 17;
  small.page_bytes = 64;
  add("small_pages.parquet", t, small);
  ParquetWriteOptions zstd;
  zstd.compression = ParquetCompression::Zstd;
  zstd.dictionary = false;
  add("zstd_plain.parquet", t, zstd);
  ParquetWriteOptions raw;
  raw.compression = ParquetCompression::Uncompressed;
  raw.statistics = false;
  raw.key_value_metadata = {{"origin", "baton test"}};
  add("uncompressed.parquet", t, raw);
  add("slice.parquet", t.slice(33, 101), {});
  add("empty.parquet", t.slice(0, 0), {});
  auto results = crosscheck(files);
  ASSERT_EQ(results.size(), files.size());
  for (size_t i = 0; i < files.size(); ++i) expect_same(tables[i], results[i]);
}

TEST_F(ParquetWriter, DictionaryFallbackAndManyRows) {
  // 60k rows: a low-cardinality column takes the dictionary, a unique one does
  // not; several row groups and pages.
  const int64_t n = 60000;
  ColumnBuilder<int64_t> uniq;
  ColumnBuilder<double> amount, noise;
  StringColumnBuilder flag;
  uint64_t x = 88172645463325252ULL;
  for (int64_t r = 0; r < n; ++r) {
    uniq.append(r * 7919);
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // incompressible: later pages are stored as snappy literals
    noise.append(static_cast<double>(x >> 11) * 0x1.0p-53);
    if (r % 101 == 0) amount.append_null();
    else amount.append(static_cast<double>(r % 250) / 4.0);
    flag.append(r % 10 == 0 ? "Y" : "N");
  }
  Table t({"uniq", "amount", "flag", "noise"}, {uniq.finish(), amount.finish(), flag.finish(), noise.finish()});
  ParquetWriteOptions o;
  o.row_group_rows = 25000;
  write_parquet(t, path("many.parquet"), o);
  auto results = crosscheck({path("many.parquet")});
  ASSERT_EQ(results.size(), 1u);
  expect_same(t, results[0]);
  // Dictionary encoding paid off: far smaller than the PLAIN bytes.
  EXPECT_LT(std::filesystem::file_size(path("many.parquet")), static_cast<uintmax_t>(n * 8 + n * 8 / 2 + n * 8 + 4096));
}

TEST_F(ParquetWriter, BatchesAndParallelEncoding) {
  Table t = mixed_table(300);
  ParquetWriteOptions o;
  o.row_group_rows = 64;
  std::atomic<int> tasks_run{0};
  o.parallel_for = [&](std::vector<std::function<void()>>& tasks) {
    std::vector<std::thread> threads;
    for (auto& task : tasks) threads.emplace_back([&] { task(); ++tasks_run; });
    for (auto& th : threads) th.join();
  };
  {
    ParquetFileWriter w(path("batches.parquet"), o);
    w.write(t.slice(0, 100));
    w.write(t.slice(100, 200));
    EXPECT_EQ(w.rows_written(), 300);
    EXPECT_FALSE(std::filesystem::exists(path("batches.parquet")));  // not before close()
    w.close();
  }
  EXPECT_GT(tasks_run.load(), 0);
  auto results = crosscheck({path("batches.parquet")});
  ASSERT_EQ(results.size(), 1u);
  expect_same(t, results[0]);

  // A batch with another schema fails, and nothing is left behind.
  {
    ParquetFileWriter w(path("mismatch.parquet"));
    w.write(t.select({"i32"}));
    EXPECT_THROW(w.write(t.select({"i64"})), ParquetError);
    EXPECT_THROW(w.close(), ParquetError);
  }
  {
    ParquetFileWriter w(path("abandoned.parquet"));
    w.write(t);
  }  // destroyed without close()
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().string().find("mismatch.parquet"), std::string::npos) << e.path();
    EXPECT_EQ(e.path().string().find("abandoned.parquet"), std::string::npos) << e.path();
  }
}

TEST_F(ParquetWriter, StreamFailureMidFileIsAnErrorNamingIt) {
  // A stream that takes 5000 bytes and then fails: chunks are written by
  // whichever encoding task completes the next one due, and the failure must
  // come back to the caller as an error, also with tasks on several threads.
  struct FailingBuf : std::streambuf {
    size_t left = 5000;
    int_type overflow(int_type c) override {
      if (left == 0) return traits_type::eof();
      --left;
      return c;
    }
    std::streamsize xsputn(const char*, std::streamsize n) override {
      if (static_cast<size_t>(n) > left) return 0;
      left -= static_cast<size_t>(n);
      return n;
    }
  };
  Table t = mixed_table(2000);
  for (bool parallel : {false, true}) {
    FailingBuf buf;
    std::ostream out(&buf);
    ParquetWriteOptions o;
    o.row_group_rows = 300;
    if (parallel) {
      o.parallel_for = [](std::vector<std::function<void()>>& tasks) {
        std::vector<std::thread> threads;
        for (auto& task : tasks) threads.emplace_back(task);
        for (auto& th : threads) th.join();
      };
    }
    try {
      write_parquet(t, out, "stream-under-test", o);
      ADD_FAILURE() << "no error (parallel=" << parallel << ")";
    } catch (const ParquetError& e) {
      EXPECT_NE(std::string(e.what()).find("stream-under-test: write failed at offset"), std::string::npos) << e.what();
    }
  }
}

TEST_F(ParquetWriter, FooterHasCreatedByAndMagic) {
  Table t = mixed_table(10);
  std::string bytes = parquet_detail::write_parquet_to_string(t);
  ASSERT_GE(bytes.size(), 12u);
  EXPECT_EQ(bytes.substr(0, 4), "PAR1");
  EXPECT_EQ(bytes.substr(bytes.size() - 4), "PAR1");
  EXPECT_NE(bytes.find("baton version 0.1.0"), std::string::npos);
}

TEST_F(ParquetWriter, UnwritablePathNamesIt) {
  Table t = mixed_table(3);
  try {
    write_parquet(t, "/nonexistent-dir/x.parquet");
    FAIL();
  } catch (const ParquetError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.parquet"), std::string::npos) << e.what();
  }
}

TEST_F(ParquetWriter, EncodingEdgesReadBackExactly) {
  // The writer's fast paths, each at its edges: direct-map dictionaries for
  // small integer ranges (negative, next to INT64_MAX, range 65535 and 65536),
  // hashed ones with wide indices, inline short-string keys and the fall back
  // to hashed strings when a long one shows up late, long runs of nulls and of
  // values in the definition levels, all-null columns, and an odd slice.
  const int64_t n = 70000;
  ColumnBuilder<int32_t> small, span_in, day(DataType::date());
  ColumnBuilder<int64_t> near_max, span_out, few_ts(DataType::timestamp(false));
  ColumnBuilder<double> wide, all_null;
  StringColumnBuilder flag, late_long;
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int64_t r = 0; r < n; ++r) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const bool null_run = (r >= 1000 && r < 9000) || (r >= 40000 && r < 40003) || r % 97 == 5;
    null_run ? small.append_null() : small.append(static_cast<int32_t>(x % 601) - 300);
    r % 13 == 0 ? near_max.append_null() : near_max.append(std::numeric_limits<int64_t>::max() - static_cast<int64_t>(x % 50));
    span_in.append(r % 2 == 0 ? 0 : 65535);
    span_out.append(r % 3 == 0 ? -1 : 65535);
    day.append(static_cast<int32_t>(19000 + x % 31));
    few_ts.append(1704067200000000 + static_cast<int64_t>(x % 3) * 1000000);
    r % 7 == 0 ? wide.append_null() : wide.append(static_cast<double>(x % 5000) / 100.0);
    all_null.append_null();
    r % 5 == 0 ? flag.append_null() : flag.append(x % 2 ? "Y" : (x % 3 ? "N" : ""));
    late_long.append(r < 50000 ? (x % 2 ? "ab" : "cd") : (r == 60000 ? "a much longer value" : "ab"));
  }
  Table t({"small", "near_max", "span_in", "span_out", "day", "few_ts", "wide", "all_null", "flag", "late_long"},
          {small.finish(), near_max.finish(), span_in.finish(), span_out.finish(), day.finish(), few_ts.finish(),
           wide.finish(), all_null.finish(), flag.finish(), late_long.finish()});
  write_parquet(t, path("edges.parquet"));
  write_parquet(t.slice(3, n - 10), path("edges_slice.parquet"));
  ParquetWriteOptions pages;
  pages.row_group_rows = 30001;
  pages.page_rows = 999;
  write_parquet(t, path("edges_pages.parquet"), pages);
  auto results = crosscheck({path("edges.parquet"), path("edges_slice.parquet"), path("edges_pages.parquet")});
  ASSERT_EQ(results.size(), 3u);
  expect_same(t, results[0]);
  expect_same(t.slice(3, n - 10), results[1]);
  expect_same(t, results[2]);

  // The dictionary was taken where it pays, and min/max are the chunk's.
  ParquetMetadata md = read_parquet_metadata(path("edges.parquet"));
  ASSERT_EQ(md.row_groups.size(), 1u);
  const auto& cols = md.row_groups[0].columns;
  for (size_t c : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 8u, 9u})
    EXPECT_TRUE(cols[c].dictionary_page_offset.has_value()) << cols[c].path;
  auto bound = [](const std::optional<std::string>& raw, auto v) {
    EXPECT_TRUE(raw.has_value());
    if (raw) std::memcpy(&v, raw->data(), std::min(raw->size(), sizeof v));
    return v;
  };
  const Column& sm = t["small"];
  int32_t lo = std::numeric_limits<int32_t>::max(), hi = std::numeric_limits<int32_t>::min();
  for (int64_t r = 0; r < n; ++r)
    if (sm.is_valid(r)) lo = std::min(lo, sm.data<int32_t>()[r]), hi = std::max(hi, sm.data<int32_t>()[r]);
  EXPECT_EQ(bound(cols[0].statistics->min, int32_t{}), lo);
  EXPECT_EQ(bound(cols[0].statistics->max, int32_t{}), hi);
  EXPECT_EQ(bound(cols[3].statistics->min, int64_t{}), -1);
  EXPECT_EQ(bound(cols[3].statistics->max, int64_t{}), 65535);
  EXPECT_EQ(*cols[7].statistics->null_count, n);
  EXPECT_FALSE(cols[7].statistics->min.has_value());
  EXPECT_EQ(*cols[8].statistics->min, "");
  EXPECT_EQ(*cols[8].statistics->max, "Y");
  EXPECT_EQ(*cols[9].statistics->max, "cd");
}

TEST(HybridEncoder, RunsAndPackedGroups) {
  // 10 equal values: one RLE run (header 10<<1 = 20, value byte).
  std::vector<uint32_t> v(10, 3);
  std::string out;
  parquet_detail::encode_hybrid(v.data(), 10, 2, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 20);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 3);
  // 0..7 at width 3: one bit-packed group (header (1<<1)|1 = 3), 3 bytes.
  std::vector<uint32_t> w{0, 1, 2, 3, 4, 5, 6, 7};
  out.clear();
  parquet_detail::encode_hybrid(w.data(), 8, 3, out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 3);
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 0b10001000);  // Encodings.md example
  EXPECT_EQ(static_cast<uint8_t>(out[2]), 0b11000110);
  EXPECT_EQ(static_cast<uint8_t>(out[3]), 0b11111010);
  EXPECT_EQ(parquet_detail::bit_width_for(0), 0);
  EXPECT_EQ(parquet_detail::bit_width_for(1), 1);
  EXPECT_EQ(parquet_detail::bit_width_for(255), 8);
  EXPECT_EQ(parquet_detail::bit_width_for(256), 9);
}

TEST(HybridEncoder, EveryBitWidthRoundTrips) {
  // Random values (no runs: bit-packed groups, with a padded last group) and
  // runs, at every width, back through the reader's decoder.
  uint64_t x = 88172645463325252ULL;
  for (int bw = 1; bw <= 32; ++bw) {
    SCOPED_TRACE("bit width " + std::to_string(bw));
    const uint64_t mask = bw == 32 ? 0xffffffffULL : (uint64_t{1} << bw) - 1;
    std::vector<uint32_t> v;
    for (int i = 0; i < 1003; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      const int repeat = i % 100 == 0 ? 20 : 1;
      for (int k = 0; k < repeat; ++k) v.push_back(static_cast<uint32_t>(x & mask));
    }
    std::string out;
    parquet_detail::encode_hybrid(v.data(), static_cast<int64_t>(v.size()), bw, out);
    std::vector<uint32_t> back(v.size());
    parquet_detail::RleBitPackedDecoder dec(reinterpret_cast<const uint8_t*>(out.data()), out.size(), bw);
    dec.get(back.data(), back.size());
    EXPECT_EQ(back, v);
  }
}

}  // namespace
}  // namespace baton

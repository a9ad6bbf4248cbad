#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <baton/table.h>
#include "taxi/taxi.h"
#include "testutil/node_tools.h"
#include "table/table_file.h"

namespace baton {
namespace {

Table small_table() {
  ColumnBuilder<int32_t> a;
  ColumnBuilder<double> b;
  StringColumnBuilder s;
  ColumnBuilder<bool> f;
  for (int i = 0; i < 100; ++i) {
    a.append(i);
    i % 7 == 0 ? b.append_null() : b.append(i / 3.0);
    i % 5 == 0 ? s.append_null() : s.append("s" + std::to_string(i * i));
    f.append(i % 2 == 0);
  }
  return Table({"a", "b", "s", "f"}, {a.finish(), b.finish(), s.finish(), f.finish()});
}

class TableFile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::test_tmp_dir("table_file"); }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);  // kept for a look when a test fails
  }
  std::string path(const std::string& n) { return (dir_ / n).string(); }
  std::filesystem::path dir_;
};

TEST_F(TableFile, RoundTripIsZeroCopyAndKeepsFingerprint) {
  Table t = small_table();
  ASSERT_TRUE(write_table_file(t, path("t.btbl")).ok());
  auto r = read_table_file(path("t.btbl"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->equals(t));
  EXPECT_EQ(r->fingerprint(), t.fingerprint());
  // Zero-copy: the values live in the mapping, 64-byte aligned.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(r->column(0).data<int32_t>()) % 64, 0u);
  EXPECT_FALSE(std::filesystem::exists(path("t.btbl") + ".tmp-" + std::to_string(::getpid())));
}

TEST_F(TableFile, SlicesAreWrittenCompacted) {
  Table t = small_table().slice(13, 50);
  std::ostringstream out;
  ASSERT_TRUE(write_table(t, out, "mem").ok());
  std::string bytes = out.str();
  auto r = read_table_buffer(Buffer::copy_of(bytes.data(), bytes.size()), "mem");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->equals(t));
  EXPECT_EQ(r->fingerprint(), t.fingerprint());
  EXPECT_EQ(r->column("s").string_offsets()[0], 0);
}

TEST_F(TableFile, EveryTruncationAndBitFlipIsAnErrorNotACrash) {
  Table t = small_table().slice(0, 20);
  std::ostringstream out;
  ASSERT_TRUE(write_table(t, out, "mem").ok());
  const std::string good = out.str();
  for (size_t n = 0; n < good.size(); n += 7) {
    auto r = read_table_buffer(Buffer::copy_of(good.data(), n), "trunc");
    EXPECT_FALSE(r.ok()) << n;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("trunc"), std::string::npos);
    }
  }
  int detected = 0, total = 0;
  for (size_t i = 0; i < good.size(); i += 3) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    auto r = read_table_buffer(Buffer::copy_of(bad.data(), bad.size()), "flip");
    ++total;
    if (!r.ok()) {
      ++detected;
    } else {
      EXPECT_TRUE(r->equals(t));  // a flip in padding changes nothing
    }
  }
  EXPECT_GT(detected, total / 2);
}

TEST_F(TableFile, MissingFileNamesIt) {
  auto r = read_table_file(path("nope.btbl"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nope.btbl"), std::string::npos);
}

TEST(Taxi, DeterministicWhateverTheBatching) {
  Table a = taxi::generate_table(70000, 7, "2024-03");
  Table b = taxi::generate_table(30000, 7, "2024-03", 40000);
  EXPECT_TRUE(a.slice(40000, 30000).equals(b));
  EXPECT_EQ(a.num_columns(), 19u);
  EXPECT_FALSE(taxi::generate_table(100, 8, "2024-03").equals(a.slice(0, 100)));
  EXPECT_THROW(taxi::generate_table(1, 1, "2024-13"), std::invalid_argument);
  EXPECT_THROW(taxi::generate_table(1, 1, "March"), std::invalid_argument);
}

TEST(Taxi, RealisticShape) {
  Table t = taxi::generate_table(200000, 42, "2024-01");
  EXPECT_EQ(t.column_names()[0], "VendorID");
  EXPECT_EQ(t["tpep_pickup_datetime"].type(), DataType::timestamp(false));
  EXPECT_EQ(t["store_and_fwd_flag"].type(), DataType::string());
  EXPECT_EQ(t["PULocationID"].type(), DataType::int32());
  EXPECT_EQ(t["Airport_fee"].type(), DataType::float64());
  double null_share = static_cast<double>(t["passenger_count"].null_count()) / 200000;
  EXPECT_GT(null_share, 0.03);
  EXPECT_LT(null_share, 0.06);
  int64_t zero = t.filter(t["total_amount"] == 0).num_rows();
  EXPECT_GT(zero, 40);
  EXPECT_LT(zero, 200);
  int64_t negative = t.filter(t["total_amount"] < 0).num_rows();
  EXPECT_GT(negative, 1000);
  Table out = t.with_column("tip_fraction", t["tip_amount"] / t["total_amount"]);
  const Column& f = out["tip_fraction"];
  int64_t nan = 0;
  for (int64_t i = 0; i < f.length(); ++i) nan += std::isnan(f.data<double>()[i]);
  EXPECT_EQ(nan, zero);
  // Pickups fall in the month; dropoffs after pickups.
  EXPECT_GE(min(t["tpep_pickup_datetime"]), 1704067200000000.0);
  EXPECT_LT(max(t["tpep_pickup_datetime"]), 1706745600000000.0);
  EXPECT_EQ((t["tpep_dropoff_datetime"] > t["tpep_pickup_datetime"]).null_count(), 0);
  EXPECT_EQ(sum(t["tpep_dropoff_datetime"] > t["tpep_pickup_datetime"]), 200000);
}

}  // namespace
}  // namespace baton

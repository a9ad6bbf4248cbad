#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <vector>

#include <baton/table.h>

namespace baton {
namespace {

Table sample() {
  ColumnBuilder<int64_t> pay;
  ColumnBuilder<double> tip, total;
  StringColumnBuilder flag;
  int64_t pays[] = {1, 2, 1, 1, 2, 4};
  double tips[] = {2, 0, 3, 1, 0, 0};
  double totals[] = {10, 5, 0, 8, -5, 0};
  for (int i = 0; i < 6; ++i) {
    pay.append(pays[i]);
    tip.append(tips[i]);
    if (i == 3) total.append_null();
    else total.append(totals[i]);
    if (i == 1) flag.append_null();
    else flag.append(i % 2 ? "Y" : "N");
  }
  return Table({"payment_type", "tip_amount", "total_amount", "flag"},
               {pay.finish(), tip.finish(), total.finish(), flag.finish()});
}

TEST(Table, DesignSpellingWorks) {
  Table raw = sample();
  Table out = raw.with_column("tip_fraction", raw["tip_amount"] / raw["total_amount"]);
  ASSERT_EQ(out.num_columns(), 5u);
  const Column& f = out["tip_fraction"];
  EXPECT_EQ(f.data<double>()[0], 0.2);
  EXPECT_TRUE(std::isnan(f.data<double>()[5]));  // 0/0
  EXPECT_TRUE(std::isnan(f.data<double>()[2]) == false && std::isinf(f.data<double>()[2]));  // 3/0
  EXPECT_TRUE(f.is_null(3));
  // Shares the input buffers.
  EXPECT_EQ(out["tip_amount"].values().data(), raw["tip_amount"].values().data());
  // Replacing keeps the position.
  Table rep = out.with_column("tip_amount", raw["total_amount"]);
  EXPECT_EQ(rep.column_names()[1], "tip_amount");
  EXPECT_EQ(rep.num_columns(), 5u);
}

TEST(Table, ConstructionErrors) {
  ColumnBuilder<int64_t> a, b;
  a.append(1);
  Column ca = a.finish(), cb = b.finish();
  EXPECT_THROW(Table({"a", "b"}, {ca, cb}), std::invalid_argument);
  EXPECT_THROW(Table({"a", "a"}, {ca, ca}), std::invalid_argument);
  Table t({"a"}, {ca});
  try {
    (void)t["nope"];
    FAIL();
  } catch (const std::out_of_range& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
}

TEST(Table, SelectSliceFilterTake) {
  Table t = sample();
  Table s = t.select({"flag", "payment_type"});
  EXPECT_EQ(s.column_names(), (std::vector<std::string>{"flag", "payment_type"}));
  Table sl = t.slice(2, 3);
  EXPECT_EQ(sl.num_rows(), 3);
  EXPECT_EQ(sl["payment_type"].data<int64_t>()[0], 1);
  Table f = t.filter(t["total_amount"] > 0);  // null and <= 0 dropped
  EXPECT_EQ(f.num_rows(), 2);
  EXPECT_EQ(f["total_amount"].data<double>()[1], 5);
  EXPECT_TRUE(f["flag"].is_null(1));
  ColumnBuilder<int64_t> idx;
  idx.append(5);
  idx.append_null();
  idx.append(0);
  Table k = t.take(idx.finish());
  EXPECT_EQ(k.num_rows(), 3);
  EXPECT_EQ(k["payment_type"].data<int64_t>()[0], 4);
  EXPECT_TRUE(k["payment_type"].is_null(1));
  EXPECT_EQ(k["flag"].string_at(2), "N");
  ColumnBuilder<int64_t> bad;
  bad.append(6);
  EXPECT_THROW(t.take(bad.finish()), std::out_of_range);
  EXPECT_THROW(t.filter(t["tip_amount"]), std::invalid_argument);
}

TEST(Table, GroupBy) {
  Table t = sample();
  Table g = t.group_by({"payment_type"})
                .agg({agg::count(), agg::sum("tip_amount"), agg::mean("total_amount"), agg::min("total_amount"),
                      agg::max("flag"), agg::count("total_amount")});
  ASSERT_EQ(g.num_rows(), 3);
  EXPECT_EQ(g.column_names(), (std::vector<std::string>{"payment_type", "count", "sum_tip_amount", "mean_total_amount",
                                                        "min_total_amount", "max_flag", "count_total_amount"}));
  EXPECT_EQ(g["payment_type"].data<int64_t>()[0], 1);
  EXPECT_EQ(g["payment_type"].data<int64_t>()[2], 4);
  EXPECT_EQ(g["count"].data<int64_t>()[0], 3);
  EXPECT_EQ(g["sum_tip_amount"].data<double>()[0], 6);
  EXPECT_EQ(g["mean_total_amount"].data<double>()[0], 5);  // (10 + 0) / 2, null skipped
  EXPECT_EQ(g["min_total_amount"].data<double>()[1], -5);
  EXPECT_EQ(g["max_flag"].string_at(0), "Y");  // rows 0, 2, 3: N, N, Y
  EXPECT_TRUE(g["max_flag"].is_valid(1));
  EXPECT_EQ(g["count_total_amount"].data<int64_t>()[0], 2);
}

TEST(Table, GroupByMeanSkipsNaNLikePandas) {
  Table t = sample();
  Table f = t.with_column("tip_fraction", t["tip_amount"] / t["total_amount"]);
  Table g = f.group_by({"payment_type"}).agg({agg::mean("tip_fraction"), agg::sum("tip_fraction")});
  // payment 4: only 0/0 = NaN -> null mean, zero sum; payment 1: 0.2 and 3/0 = inf (null row skipped).
  EXPECT_TRUE(g["mean_tip_fraction"].is_null(2));
  EXPECT_EQ(g["sum_tip_fraction"].data<double>()[2], 0);
  EXPECT_TRUE(std::isinf(g["mean_tip_fraction"].data<double>()[0]));
  EXPECT_EQ(g["mean_tip_fraction"].data<double>()[1], 0);  // 0/5 and 0/-5
}

TEST(Table, GroupByStringKeysWithNullsLast) {
  Table t = sample();
  Table g = t.group_by({"flag", "payment_type"}).count();
  // (N,1) x2, (N,2), (Y,1), (Y,4), (null,2)
  ASSERT_EQ(g.num_rows(), 5);
  EXPECT_EQ(g["flag"].string_at(0), "N");
  EXPECT_EQ(g["payment_type"].data<int64_t>()[1], 2);
  EXPECT_EQ(g["count"].data<int64_t>()[0], 2);
  EXPECT_EQ(g["flag"].string_at(3), "Y");
  EXPECT_TRUE(g["flag"].is_null(4));
  int64_t total = 0;
  for (int i = 0; i < 5; ++i) total += g["count"].data<int64_t>()[i];
  EXPECT_EQ(total, 6);
}

TEST(Table, InfoLooksLikePandas) {
  Table t = sample();
  std::string info = t.info();
  EXPECT_NE(info.find("RangeIndex: 6 entries, 0 to 5"), std::string::npos) << info;
  EXPECT_NE(info.find("Data columns (total 4 columns):"), std::string::npos);
  EXPECT_NE(info.find("\n #   Column        Non-Null Count  Dtype\n---  ------"), std::string::npos) << info;
  EXPECT_NE(info.find("\n 0   payment_type  6 non-null      int64\n"), std::string::npos) << info;
  EXPECT_NE(info.find("total_amount  5 non-null      float64"), std::string::npos) << info;
  EXPECT_NE(info.find("dtypes: float64(2), int64(1), string(1)"), std::string::npos) << info;
  EXPECT_NE(info.find("memory usage: "), std::string::npos);
  std::string head = t.head(2);
  EXPECT_NE(head.find("payment_type"), std::string::npos);
  EXPECT_NE(head.find("null"), std::string::npos) << head;
  EXPECT_NE(head.find("[2 of 6 rows x 4 columns]"), std::string::npos) << head;
}

TEST(Table, FingerprintRememberedAndDistinct) {
  Table t = sample();
  auto a = t.fingerprint();
  Table copy = t;
  EXPECT_EQ(copy.fingerprint(), a);
  Table derived = t.with_column("x", t["tip_amount"] * 2);
  EXPECT_NE(derived.fingerprint(), a);
  EXPECT_NE(t.slice(1, 3).fingerprint(), a);
  // Same content built separately hashes the same.
  EXPECT_EQ(sample().fingerprint(), a);
  EXPECT_TRUE(sample().equals(t));
}

}  // namespace
}  // namespace baton

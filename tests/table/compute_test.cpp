#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include <baton/table.h>

namespace baton {
namespace {

Column f64(std::vector<std::optional<double>> v) {
  ColumnBuilder<double> b;
  for (auto x : v) x ? b.append(*x) : b.append_null();
  return b.finish();
}
Column i64(std::vector<std::optional<int64_t>> v) {
  ColumnBuilder<int64_t> b;
  for (auto x : v) x ? b.append(*x) : b.append_null();
  return b.finish();
}
Column i32(std::vector<std::optional<int32_t>> v) {
  ColumnBuilder<int32_t> b;
  for (auto x : v) x ? b.append(*x) : b.append_null();
  return b.finish();
}
Column str(std::vector<std::optional<std::string>> v) {
  StringColumnBuilder b;
  for (auto& x : v) x ? b.append(*x) : b.append_null();
  return b.finish();
}

TEST(Compute, FloatDivisionIsIeee) {
  Column a = f64({1, -1, 0, 6, std::nullopt});
  Column b = f64({0, 0, 0, 3, 1});
  Column r = a / b;
  ASSERT_EQ(r.type(), DataType::float64());
  EXPECT_EQ(r.data<double>()[0], std::numeric_limits<double>::infinity());
  EXPECT_EQ(r.data<double>()[1], -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(r.data<double>()[2]));
  EXPECT_TRUE(r.is_valid(2));  // NaN, not null
  EXPECT_EQ(r.data<double>()[3], 2);
  EXPECT_TRUE(r.is_null(4));
  EXPECT_EQ(r.null_count(), 1);
}

TEST(Compute, IntegerTrueDivisionGivesFloat) {
  Column r = i64({7, 1}) / i32({2, 0});
  ASSERT_EQ(r.type(), DataType::float64());
  EXPECT_EQ(r.data<double>()[0], 3.5);
  EXPECT_TRUE(std::isinf(r.data<double>()[1]));
}

TEST(Compute, IntDivByZeroIsNull) {
  Column r = int_div(i64({7, -7, 5, std::numeric_limits<int64_t>::min(), std::nullopt}), i64({2, 2, 0, -1, 1}));
  ASSERT_EQ(r.type(), DataType::int64());
  EXPECT_EQ(r.data<int64_t>()[0], 3);
  EXPECT_EQ(r.data<int64_t>()[1], -3);  // truncates toward zero
  EXPECT_TRUE(r.is_null(2));
  EXPECT_TRUE(r.is_null(3));
  EXPECT_TRUE(r.is_null(4));
  EXPECT_EQ(r.null_count(), 3);
}

TEST(Compute, TypePromotionAndNullPropagation) {
  Column r = i32({1, 2, std::nullopt}) + i64({10, std::nullopt, 30});
  ASSERT_EQ(r.type(), DataType::int64());
  EXPECT_EQ(r.data<int64_t>()[0], 11);
  EXPECT_EQ(r.null_count(), 2);
  Column s = i32({1, 2}) * 3;
  EXPECT_EQ(s.type(), DataType::int32());
  EXPECT_EQ(s.data<int32_t>()[1], 6);
  Column t = i32({1, 2}) * 0.5;
  EXPECT_EQ(t.type(), DataType::float64());
  EXPECT_EQ(t.data<double>()[1], 1.0);
  Column u = 10 - i64({1, 2});
  EXPECT_EQ(u.data<int64_t>()[1], 8);
  Column w = 1.0 / f64({4, 0});
  EXPECT_EQ(w.data<double>()[0], 0.25);
  EXPECT_TRUE(std::isinf(w.data<double>()[1]));
}

TEST(Compute, IntegerOverflowWraps) {
  Column r = i32({std::numeric_limits<int32_t>::max()}) + 1;
  EXPECT_EQ(r.data<int32_t>()[0], std::numeric_limits<int32_t>::min());
}

TEST(Compute, TypeErrorsName) {
  try {
    (void)(str({"a"}) + f64({1}));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("string"), std::string::npos);
  }
  EXPECT_THROW((void)(f64({1, 2}) + f64({1})), std::invalid_argument);
}

TEST(Compute, KernelsOnSlicesUseSliceOffsets) {
  Column a = f64({1, 2, std::nullopt, 4, 5, 6, 7, 8, 9, 10, 11});
  Column b = f64({10, 20, 30, std::nullopt, 50, 60, 70, 80, 90, 100, 110});
  Column r = a.slice(1, 9) + b.slice(2, 9);
  EXPECT_EQ(r.length(), 9);
  EXPECT_TRUE(r.is_null(1));   // a[2] is null
  EXPECT_TRUE(r.is_null(2) == false);
  EXPECT_EQ(r.data<double>()[2], 4 + 50);
  EXPECT_EQ(r.null_count(), 1);  // b[3] is also r[1]
  EXPECT_EQ(r.data<double>()[0], 2 + 30);
}

TEST(Compute, Comparisons) {
  Column c = f64({1, 2, std::nan(""), std::nullopt}) > 1.5;
  ASSERT_EQ(c.type(), DataType::boolean());
  EXPECT_EQ(c.data<uint8_t>()[0], 0);
  EXPECT_EQ(c.data<uint8_t>()[1], 1);
  EXPECT_EQ(c.data<uint8_t>()[2], 0);  // NaN compares false
  EXPECT_TRUE(c.is_null(3));
  Column e = i32({1, 2}) == i64({1, 3});
  EXPECT_EQ(e.data<uint8_t>()[0], 1);
  EXPECT_EQ(e.data<uint8_t>()[1], 0);
  Column s = str({"N", "Y", std::nullopt}) == "Y";
  EXPECT_EQ(s.data<uint8_t>()[1], 1);
  EXPECT_TRUE(s.is_null(2));
  Column both = (f64({1, 5}) > 2) & (i64({1, 1}) == 1);
  EXPECT_EQ(both.data<uint8_t>()[0], 0);
  EXPECT_EQ(both.data<uint8_t>()[1], 1);
  Column neg = !both;
  EXPECT_EQ(neg.data<uint8_t>()[0], 1);
  EXPECT_THROW((void)(str({"a"}) < 3), std::invalid_argument);
}

TEST(Compute, TimestampDifference) {
  ColumnBuilder<int64_t> a(DataType::timestamp()), b(DataType::timestamp());
  a.append(5000000);
  b.append(2000000);
  Column d = a.finish() - b.finish();
  EXPECT_EQ(d.type(), DataType::int64());
  EXPECT_EQ(d.data<int64_t>()[0], 3000000);
}

TEST(Compute, Reductions) {
  Column a = f64({1, 2, std::nullopt, 5});
  EXPECT_EQ(sum(a), 8);
  EXPECT_DOUBLE_EQ(mean(a), 8.0 / 3);
  EXPECT_EQ(min(a), 1);
  EXPECT_EQ(max(a), 5);
  EXPECT_EQ(count_valid(a), 3);
  EXPECT_EQ(sum(i32({1, 2, 3})), 6);
  EXPECT_TRUE(std::isnan(mean(f64({std::nullopt}))));
  // NaN counts as missing, as in pandas.
  EXPECT_EQ(sum(f64({1, std::nan(""), 2})), 3);
  EXPECT_EQ(mean(f64({1, std::nan(""), 2})), 1.5);
  EXPECT_EQ(max(f64({1, std::nan(""), 2})), 2);
}

TEST(Compute, Cast) {
  Column c = cast(f64({1.9, -1.9, std::nan(""), 1e300}), DataType::int64());
  EXPECT_EQ(c.data<int64_t>()[0], 1);
  EXPECT_EQ(c.data<int64_t>()[1], -1);
  EXPECT_TRUE(c.is_null(2));
  EXPECT_TRUE(c.is_null(3));
  Column d = cast(i64({1LL << 40, 5}), DataType::int32());
  EXPECT_TRUE(d.is_null(0));
  EXPECT_EQ(d.data<int32_t>()[1], 5);
}

TEST(Compute, LargeColumnsMatchScalarLoop) {
  // Exercises the vectorized paths past any unrolled prologue.
  ColumnBuilder<double> a, b;
  for (int i = 0; i < 10007; ++i) {
    if (i % 97 == 0) a.append_null();
    else a.append(i * 0.5);
    b.append(i % 13 == 0 ? 0.0 : i);
  }
  Column x = a.finish(), y = b.finish();
  Column r = x / y;
  for (int i = 0; i < 10007; ++i) {
    ASSERT_EQ(r.is_null(i), i % 97 == 0);
    if (r.is_valid(i)) {
      double expect = (i * 0.5) / (i % 13 == 0 ? 0.0 : i);
      if (std::isnan(expect)) ASSERT_TRUE(std::isnan(r.data<double>()[i]));
      else ASSERT_EQ(r.data<double>()[i], expect);
    }
  }
}

}  // namespace
}  // namespace baton

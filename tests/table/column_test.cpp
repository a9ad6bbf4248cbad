#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <baton/table.h>

namespace baton {
namespace {

TEST(Buffer, FromVectorSharesStorageAndSlices) {
  std::vector<int32_t> v{1, 2, 3, 4};
  const int32_t* p = v.data();
  Buffer b = Buffer::from_vector(std::move(v));
  EXPECT_EQ(b.size(), 16u);
  EXPECT_EQ(b.as<int32_t>(), p);  // no copy
  Buffer s = b.slice(4, 8);
  EXPECT_EQ(s.as<int32_t>()[0], 2);
  EXPECT_EQ(s.size(), 8u);
}

TEST(Buffer, MutableBufferFinishIsAlignedAndKeepsBytes) {
  MutableBuffer m;
  for (int i = 0; i < 1000; ++i) {
    m.resize(m.size() + 1);
    m.data()[i] = static_cast<uint8_t>(i);
  }
  Buffer b = m.finish();
  EXPECT_EQ(m.size(), 0u);
  ASSERT_EQ(b.size(), 1000u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % 64, 0u);
  EXPECT_EQ(b.data()[999], static_cast<uint8_t>(999));
}

TEST(Buffer, LargeBuffersAreReusedAndKeepTheirBytes) {
  // Regions of 1 MiB and more are mapped and, once freed, handed to the next
  // allocation of about the same size: contents never leak between owners'
  // views and growth keeps the bytes.
  const size_t n = 3u << 20;
  {
    MutableBuffer m(n);
    std::memset(m.data(), 0xab, n);
    const uint8_t* first = m.data();
    Buffer b = m.finish();
    EXPECT_EQ(b.data(), first);
    EXPECT_EQ(b.data()[n - 1], 0xab);
    Buffer copy = b;  // the region lives while any handle does
    b = Buffer();
    EXPECT_EQ(copy.data()[0], 0xab);
  }
  MutableBuffer again(n);  // most likely the region just freed
  EXPECT_GE(again.capacity(), n);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(again.data()) % 64, 0u);
  for (size_t i = 0; i < n; ++i) again.data()[i] = static_cast<uint8_t>(i * 7);
  again.resize(4 * n);  // grows into another region, keeping the bytes
  for (size_t i = 0; i < n; i += 4099) ASSERT_EQ(again.data()[i], static_cast<uint8_t>(i * 7)) << i;
  Buffer big = again.finish();
  EXPECT_EQ(big.size(), 4 * n);
}

TEST(Buffer, MapFileOfMissingPathNamesIt) {
  try {
    Buffer::map_file("/nonexistent/dir/x.bin");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.bin"), std::string::npos);
  }
}

TEST(Column, BuilderAppendAndNulls) {
  ColumnBuilder<int64_t> b;
  b.append(1);
  b.append_null();
  b.append(3);
  Column c = b.finish();
  EXPECT_EQ(c.length(), 3);
  EXPECT_EQ(c.null_count(), 1);
  EXPECT_TRUE(c.is_valid(0));
  EXPECT_TRUE(c.is_null(1));
  EXPECT_EQ(c.data<int64_t>()[2], 3);
  EXPECT_EQ(c.format_value(1), "null");
}

TEST(Column, BuilderWithoutNullsHasNoBitmap) {
  ColumnBuilder<double> b;
  double* p = b.extend(3);
  p[0] = 1.5;
  p[1] = -2;
  p[2] = 0.1;
  Column c = b.finish();
  EXPECT_TRUE(c.validity().empty());
  EXPECT_EQ(c.format_value(2), "0.1");
}

TEST(Column, BulkExtendThenSetNull) {
  ColumnBuilder<int32_t> b(DataType::date());
  int32_t* p = b.extend(20);
  for (int i = 0; i < 20; ++i) p[i] = 19723 + i;  // 2024-01-01 onward
  b.set_null(3);
  b.set_null(17);
  Column c = b.finish();
  EXPECT_EQ(c.null_count(), 2);
  EXPECT_EQ(c.format_value(0), "2024-01-01");
  EXPECT_TRUE(c.is_null(17));
  EXPECT_TRUE(c.is_valid(18));
}

TEST(Column, BulkExtendAfterNullsKeepsValidity) {
  ColumnBuilder<int64_t> b;
  b.append_null();
  for (int n : {3, 29, 1, 64, 5}) {
    int64_t* p = b.extend(n);
    for (int i = 0; i < n; ++i) p[i] = i;
    b.append_null();
  }
  Column c = b.finish();
  ASSERT_EQ(c.length(), 1 + 3 + 29 + 1 + 64 + 5 + 5);
  EXPECT_EQ(c.null_count(), 6);
  int64_t at = 0;
  EXPECT_TRUE(c.is_null(at++));
  for (int n : {3, 29, 1, 64, 5}) {
    for (int i = 0; i < n; ++i) EXPECT_TRUE(c.is_valid(at++)) << at;
    EXPECT_TRUE(c.is_null(at++)) << at;
  }
}

TEST(Column, StringBuilderAndSlice) {
  StringColumnBuilder b;
  b.append("alpha");
  b.append_null();
  b.append("");
  b.append("delta");
  Column c = b.finish();
  EXPECT_EQ(c.length(), 4);
  EXPECT_EQ(c.string_at(0), "alpha");
  EXPECT_EQ(c.string_at(3), "delta");
  Column s = c.slice(1, 3);
  EXPECT_EQ(s.length(), 3);
  EXPECT_EQ(s.null_count(), 1);
  EXPECT_TRUE(s.is_null(0));
  EXPECT_EQ(s.string_at(2), "delta");
  EXPECT_EQ(s.data_buffer().data(), c.data_buffer().data());  // zero-copy
}

TEST(Column, StringBulkOffsets) {
  StringColumnBuilder b;
  char* d = b.extend_data(6);
  std::memcpy(d, "abcdef", 6);
  int64_t* o = b.extend_offsets(3);
  o[0] = 1;
  o[1] = 3;
  o[2] = 6;
  Column c = b.finish();
  EXPECT_EQ(c.string_at(0), "a");
  EXPECT_EQ(c.string_at(1), "bc");
  EXPECT_EQ(c.string_at(2), "def");
}

TEST(Column, FromBuffersChecksSizes) {
  Buffer small = Buffer::from_vector(std::vector<int64_t>{1, 2});
  EXPECT_THROW(Column::from_buffers(DataType::int64(), 3, Buffer(), small), std::invalid_argument);
  EXPECT_THROW(Column::from_buffers(DataType::string(), 1, Buffer(), small), std::invalid_argument);
  Buffer offsets = Buffer::from_vector(std::vector<int64_t>{0, 10});
  EXPECT_THROW(Column::from_string_buffers(1, Buffer(), offsets, Buffer::copy_of("abc", 3)), std::invalid_argument);
}

TEST(Column, FromBuffersCountsNullsFromBitmap) {
  Buffer values = Buffer::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  Buffer bits = Buffer::from_vector(std::vector<uint8_t>{0b10110111, 0b1});
  Column c = Column::from_buffers(DataType::float64(), 9, bits, values);
  EXPECT_EQ(c.null_count(), 2);
  EXPECT_TRUE(c.is_null(3));
  EXPECT_TRUE(c.is_null(6));
  Column s = c.slice(4, 5);
  EXPECT_EQ(s.null_count(), 1);
  EXPECT_EQ(s.data<double>()[0], 5);
}

TEST(Column, TimestampFormatting) {
  ColumnBuilder<int64_t> b(DataType::timestamp(false));
  b.append(1704070675000000);  // 2024-01-01T00:57:55
  b.append(1704070675123456);
  b.append(-1);
  Column c = b.finish();
  EXPECT_EQ(c.format_value(0), "2024-01-01T00:57:55");
  EXPECT_EQ(c.format_value(1), "2024-01-01T00:57:55.123456");
  EXPECT_EQ(c.format_value(2), "1969-12-31T23:59:59.999999");
  ColumnBuilder<int64_t> u(DataType::timestamp(true));
  u.append(0);
  EXPECT_EQ(u.finish().format_value(0), "1970-01-01T00:00:00Z");
}

TEST(Column, FingerprintIgnoresNullSlotContentsAndOffsets) {
  Buffer v1 = Buffer::from_vector(std::vector<int64_t>{1, 99, 3});
  Buffer v2 = Buffer::from_vector(std::vector<int64_t>{1, -7, 3});
  Buffer bits = Buffer::from_vector(std::vector<uint8_t>{0b101});
  Column a = Column::from_buffers(DataType::int64(), 3, bits, v1);
  Column b = Column::from_buffers(DataType::int64(), 3, bits, v2);
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
  Buffer v3 = Buffer::from_vector(std::vector<int64_t>{0, 1, 5, 3});
  Buffer bits3 = Buffer::from_vector(std::vector<uint8_t>{0b1011});
  Column c = Column::from_buffers(DataType::int64(), 4, bits3, v3).slice(1, 3);
  EXPECT_EQ(a.fingerprint(), c.fingerprint());
  Column d = Column::from_buffers(DataType::int64(), 3, Buffer(), v1);
  EXPECT_NE(a.fingerprint(), d.fingerprint());
  Column e = Column::from_buffers(DataType::timestamp(), 3, bits, v1);
  EXPECT_NE(a.fingerprint(), e.fingerprint());  // type matters
  EXPECT_EQ(a.fingerprint().hex().size(), 32u);
}

}  // namespace
}  // namespace baton

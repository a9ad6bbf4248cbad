// Thrift compact decoding: every type can be skipped (including MAP and SET),
// and malformed input fails cleanly instead of reading out of bounds or
// recursing without bound.
#include <gtest/gtest.h>

#include <vector>

#include "parquet/encodings.h"
#include "parquet/thrift_compact_reader.h"

using namespace baton::parquet_detail;

namespace {
std::vector<uint8_t> bytes(std::initializer_list<int> v) {
  std::vector<uint8_t> b;
  for (int x : v) b.push_back(static_cast<uint8_t>(x));
  return b;
}
}  // namespace

TEST(ThriftCompactReader, SkipsEveryType) {
  // struct { 1: i32 = 5, 2: map<i32,binary> {1:"a"}, 3: set<i64> {1,2},
  //          4: list<bool> [true,false], 5: struct { 1: double }, 6: true,
  //          7: byte 9, 8: i16 -3 } then field 9: i32 = 42 that we read.
  auto b = bytes({0x15, 0x0a,                               // 1: i32 5
                  0x1b, 0x01, 0x58, 0x02, 0x01, 'a',        // 2: map size 1, i32->binary
                  0x1a, 0x26, 0x02, 0x04,                   // 3: set of 2 i64
                  0x19, 0x21, 0x01, 0x02,                   // 4: list of 2 bool
                  0x1c, 0x17, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x00,  // 5: struct {1: double 1.0}
                  0x11,                                     // 6: true
                  0x13, 0x09,                               // 7: byte
                  0x14, 0x05,                               // 8: i16 -3
                  0x15, 0x54,                               // 9: i32 42
                  0x00});
  ThriftCompactReader r(b.data(), b.size());
  int16_t last = 0;
  int32_t found = -1;
  for (;;) {
    auto h = r.read_field_header(last);
    if (h.type == ThriftType::kStop) break;
    if (h.id == 9) found = r.read_i32();
    else r.skip(h.type);
  }
  EXPECT_EQ(found, 42);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftCompactReader, RefusesMalformedInput) {
  auto expect_error = [](std::vector<uint8_t> b) {
    ThriftCompactReader r(b.data(), b.size());
    EXPECT_THROW(r.skip_struct_body(), ThriftError);
  };
  expect_error(bytes({0x18, 0x7f}));                    // binary longer than the input
  expect_error(bytes({0x19, 0xf5, 0xff, 0xff, 0x0f}));  // list of 2^25 i32 in 5 bytes
  expect_error(bytes({0x1b, 0x05}));                    // map header truncated
  expect_error(bytes({0x15}));                          // value missing
  expect_error(bytes({0x15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}));  // varint too long
  expect_error(bytes({0x1d, 0x00}));                    // type 13 does not exist
  expect_error(bytes({0x15, 0x02}));                    // no STOP
  // 10,000 nested structs: refused by the depth limit, not the stack.
  std::vector<uint8_t> deep(10000, 0x1c);
  expect_error(deep);
  std::vector<uint8_t> lists;
  for (int i = 0; i < 5000; ++i) { lists.push_back(0x19); lists.push_back(0x19); }
  expect_error(lists);
}

TEST(Encodings, RleBitPackedHybrid) {
  // RLE run of 5 x 3 (bit width 2), then one bit-packed group of 8 values 0..3,0..3.
  auto b = bytes({0x0a, 0x03, 0x03, 0xe4, 0xe4});
  RleBitPackedDecoder d(b.data(), b.size(), 2);
  uint32_t out[13];
  d.get(out, 13);
  std::vector<uint32_t> want = {3, 3, 3, 3, 3, 0, 1, 2, 3, 0, 1, 2, 3};
  EXPECT_EQ(std::vector<uint32_t>(out, out + 13), want);
  uint32_t more;
  EXPECT_THROW(d.get(&more, 1), EncodingError);
}

TEST(Encodings, DeltaBinaryPacked) {
  // Encodings.md example: 1..5 -> block 128, 4 miniblocks, 5 values, first 1,
  // min delta 1, widths 0: all deltas equal.
  auto b = bytes({0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00});
  DeltaBinaryPackedDecoder d(b.data(), b.size());
  int64_t out[5];
  d.decode(out, 5);
  EXPECT_EQ(std::vector<int64_t>(out, out + 5), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  int64_t extra;
  EXPECT_THROW(d.decode(&extra, 1), EncodingError);
  auto bad = bytes({0x81, 0x01, 0x04, 0x05, 0x02});  // block size 129
  EXPECT_THROW(DeltaBinaryPackedDecoder(bad.data(), bad.size()), EncodingError);
}

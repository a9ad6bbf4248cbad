#include "util/hash.h"

#include <baton/hash.h>

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace baton {
namespace {

TEST(Hash, KnownValuesOfTheEmptyInput) {
  // Reference values of XXH3 (xxHash 0.8 specification test vectors).
  EXPECT_EQ(hash64(nullptr, 0), 0x2D06800538D394C2ull);
  const Fingerprint f = hash128(nullptr, 0);
  EXPECT_EQ(f.hi, 0x99AA06D3014798D8ull);
  EXPECT_EQ(f.lo, 0x6001C324468D497Full);
}

TEST(Hash, StreamingEqualsOneShotForAnySplit) {
  std::vector<unsigned char> data(100'003);
  std::iota(data.begin(), data.end(), 7);
  const Fingerprint whole = hash128(data.data(), data.size());
  const std::uint64_t whole64 = hash64(data.data(), data.size());
  for (std::size_t piece : {1u, 3u, 64u, 239u, 4096u, 65536u}) {
    Hasher h;
    Hasher64 h64;
    for (std::size_t i = 0; i < data.size(); i += piece) {
      const std::size_t n = std::min(piece, data.size() - i);
      h.update(data.data() + i, n);
      h64.update(data.data() + i, n);
    }
    EXPECT_EQ(h.digest(), whole) << "piece " << piece;
    EXPECT_EQ(h64.digest(), whole64) << "piece " << piece;
  }
}

TEST(Hash, CopiedHasherForksTheState) {
  Hasher a;
  a.update(std::string_view("common prefix "));
  Hasher b = a;
  a.update(std::string_view("left"));
  b.update(std::string_view("right"));
  EXPECT_NE(a.digest(), b.digest());
  EXPECT_EQ(a.digest(), hash128("common prefix left", 18));
  EXPECT_EQ(b.digest(), hash128("common prefix right", 19));
  Hasher c;
  c = b;
  EXPECT_EQ(c.digest(), b.digest());
}

TEST(Hash, SeedChangesTheDigest) {
  EXPECT_NE(hash128("x", 1, 1), hash128("x", 1, 2));
  Hasher s(5);
  s.update("x", 1);
  EXPECT_EQ(s.digest(), hash128("x", 1, 5));
}

TEST(Hash, FingerprintTextRoundTrips) {
  const Fingerprint f{0x0123456789abcdefull, 0xfedcba9876543210ull};
  EXPECT_EQ(f.str(), "0123456789abcdeffedcba9876543210");
  EXPECT_EQ(Fingerprint::parse(f.str()), f);
  EXPECT_EQ(Fingerprint::parse("0123456789ABCDEFfedcba9876543210"), f);
  EXPECT_FALSE(Fingerprint::parse("0123"));
  EXPECT_FALSE(Fingerprint::parse("g123456789abcdeffedcba9876543210"));
  EXPECT_EQ(hex64(0xabcull), "0000000000000abc");
}

}  // namespace
}  // namespace baton

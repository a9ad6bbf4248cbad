#include <baton/run_id.h>

#include <gtest/gtest.h>

#include <unordered_set>

namespace baton {

TEST(RunId, RoundTripsThroughText) {
  RunId id = RunId::random();
  std::string text = id.str();
  ASSERT_EQ(text.size(), 36u);
  EXPECT_EQ(text[14], '4');  // version 4
  auto parsed = RunId::parse(text);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, id);
}

TEST(RunId, RejectsMalformedText) {
  EXPECT_FALSE(RunId::parse("").has_value());
  EXPECT_FALSE(RunId::parse("not-an-id").has_value());
  EXPECT_FALSE(RunId::parse("0123456789abcdef0123456789abcdef0123").has_value());
  EXPECT_FALSE(RunId::parse("0123456g-89ab-4def-8123-456789abcdef").has_value());
}

TEST(RunId, RandomIdsDoNotRepeat) {
  std::unordered_set<RunId> seen;
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(seen.insert(RunId::random()).second);
}

}  // namespace baton

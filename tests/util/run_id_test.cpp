#include <baton/run_id.h>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

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

TEST(RunId, AForkedChildDoesNotRepeatTheIdsItsParentMakesNext) {
  (void)RunId::random();  // the generator exists, with a state the child inherits
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    RunId id = RunId::random();
    _exit(write(fds[1], &id, sizeof id) == static_cast<ssize_t>(sizeof id) ? 0 : 1);
  }
  close(fds[1]);
  RunId from_child{};
  ASSERT_EQ(read(fds[0], &from_child, sizeof from_child), static_cast<ssize_t>(sizeof from_child));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_NE(from_child, RunId::random());
}

}  // namespace baton

#include <baton/lock_manager.h>

#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

namespace baton {
namespace {

using namespace std::chrono_literals;

struct Maker {
  std::string name;
  std::function<std::shared_ptr<LockManager>(const std::filesystem::path&)> make;
};

void PrintTo(const Maker& m, std::ostream* os) { *os << m.name; }

class EveryLockManager : public ::testing::TestWithParam<Maker> {
 protected:
  void SetUp() override { locks_ = GetParam().make(dir_.path() / "locks"); }
  testing::TempDir dir_;
  std::shared_ptr<LockManager> locks_;
};

INSTANTIATE_TEST_SUITE_P(
    Managers, EveryLockManager,
    ::testing::Values(Maker{"thread", [](const std::filesystem::path&) { return make_thread_lock_manager(); }},
                      Maker{"file", [](const std::filesystem::path& p) { return make_file_lock_manager(p); }}),
    [](const auto& param_info) { return param_info.param.name; });

TEST_P(EveryLockManager, SecondHolderWaitsForTheFirst) {
  ASSERT_TRUE(*locks_->acquire("key", "run-a", 1s));
  EXPECT_TRUE(*locks_->is_locked("key"));
  EXPECT_FALSE(*locks_->acquire("key", "run-b", 20ms));  // times out
  EXPECT_TRUE(*locks_->acquire("key", "run-a", 0ms));    // the holder itself: at once

  std::atomic<bool> got{false};
  std::thread waiter([&] {
    got = *locks_->acquire("key", "run-b", 10s);
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(got.load()) << "must wait while run-a holds the lock";
  ASSERT_TRUE(locks_->release("key", "run-a").ok());
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_TRUE(locks_->release("key", "run-b").ok());
  EXPECT_FALSE(*locks_->is_locked("key"));
}

TEST_P(EveryLockManager, ReleaseByANonHolderIsAnError) {
  EXPECT_FALSE(locks_->release("free", "x").ok());
  ASSERT_TRUE(*locks_->acquire("k", "owner", 1s));
  Status s = locks_->release("k", "intruder");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("owner"), std::string::npos);
  EXPECT_TRUE(locks_->release("k", "owner").ok());
}

TEST_P(EveryLockManager, IndependentKeysDoNotBlock) {
  ASSERT_TRUE(*locks_->acquire("a", "h1", 1s));
  EXPECT_TRUE(*locks_->acquire("b", "h2", 0ms));
  EXPECT_TRUE(*locks_->acquire("a/with:odd chars", "h3", 0ms));
  EXPECT_TRUE(locks_->release("a", "h1").ok());
  EXPECT_TRUE(locks_->release("b", "h2").ok());
  EXPECT_TRUE(locks_->release("a/with:odd chars", "h3").ok());
}

TEST_P(EveryLockManager, ManyThreadsComputeOnce) {
  // The serializable pattern: take the lock, check for a result, compute if none.
  std::atomic<int> computed{0};
  std::atomic<bool> have_result{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto guard = LockGuard::acquire(*locks_, "same-key", "run-" + std::to_string(i), 10s);
      ASSERT_TRUE(guard.ok() && *guard);
      if (!have_result) {
        std::this_thread::sleep_for(5ms);
        ++computed;
        have_result = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(computed.load(), 1);
  EXPECT_FALSE(*locks_->is_locked("same-key"));
}

TEST(FileLockManager, SecondProcessWaitsUntilTheFirstReleases) {
  testing::TempDir dir;
  const auto lock_dir = dir.path() / "locks";
  int held[2], go[2];
  ASSERT_EQ(::pipe(held), 0);
  ASSERT_EQ(::pipe(go), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto locks = make_file_lock_manager(lock_dir);
    if (!*locks->acquire("cache-key", "child", 5s)) ::_exit(3);
    char c = 'h';
    if (::write(held[1], &c, 1) != 1) ::_exit(4);
    if (::read(go[0], &c, 1) != 1) ::_exit(5);  // hold until the parent says so
    ::_exit(locks->release("cache-key", "child").ok() ? 0 : 6);
  }
  char c = 0;
  ASSERT_EQ(::read(held[0], &c, 1), 1);
  auto locks = make_file_lock_manager(lock_dir);
  EXPECT_TRUE(*locks->is_locked("cache-key"));
  EXPECT_FALSE(*locks->acquire("cache-key", "parent", 100ms)) << "the child holds it";

  std::atomic<bool> got{false};
  std::thread waiter([&] { got = *locks->acquire("cache-key", "parent", 20s); });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(got.load()) << "must wait for the other process";
  ASSERT_EQ(::write(go[1], "g", 1), 1);
  waiter.join();
  EXPECT_TRUE(got.load());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(locks->release("cache-key", "parent").ok());
}

TEST(FileLockManager, LockOfAKilledProcessIsFreed) {
  testing::TempDir dir;
  const auto lock_dir = dir.path() / "locks";
  int held[2];
  ASSERT_EQ(::pipe(held), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto locks = make_file_lock_manager(lock_dir);
    if (!*locks->acquire("k", "child", 5s)) ::_exit(3);
    char c = 'h';
    if (::write(held[1], &c, 1) != 1) ::_exit(4);
    for (;;) ::pause();
  }
  char c = 0;
  ASSERT_EQ(::read(held[0], &c, 1), 1);
  auto locks = make_file_lock_manager(lock_dir);
  EXPECT_FALSE(*locks->acquire("k", "parent", 50ms));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(*locks->acquire("k", "parent", 5s));
  EXPECT_TRUE(locks->release("k", "parent").ok());
}

}  // namespace
}  // namespace baton

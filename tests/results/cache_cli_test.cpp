// `baton cache ls | inspect | clear`, run as a separate process over a real
// local storage, the way a user runs them.
#include "results/result_store.h"

#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>

namespace baton {
namespace {

using namespace std::chrono_literals;

struct CliRun {
  int code;
  std::string out;  // stdout and stderr
};

CliRun run_cli(const std::filesystem::path& storage, const std::string& args) {
  const std::string cmd =
      "BATON_RESULT_STORAGE='" + storage.string() + "' '" + std::string(BATON_CACHE_CLI) + "' " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  CliRun r{-1, {}};
  if (p == nullptr) return r;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class CacheCli : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<ResultStore>(make_local_storage(root().string()));
    PersistOptions a;
    a.cache_key = "aaaa1111";
    a.task_name = "transform";
    ASSERT_TRUE(store_->persist(std::vector<double>(1000, 1.0), a).ok());
    PersistOptions b;
    b.cache_key = "bbbb2222";
    b.task_name = "load_data";
    b.expiration = -1h;  // already expired
    ASSERT_TRUE(store_->persist(std::string("raw"), b).ok());
    PersistOptions c;
    c.cache_key = "cccc3333";
    c.task_name = "load_data";
    c.expiration = 24h;
    ASSERT_TRUE(store_->persist(std::string("fresh"), c).ok());
  }
  std::filesystem::path root() const { return dir_.path() / "storage"; }
  testing::TempDir dir_;
  std::unique_ptr<ResultStore> store_;
};

TEST_F(CacheCli, LsShowsKeyTaskSizeCreatedExpires) {
  CliRun r = run_cli(root(), "cache ls");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("KEY"), std::string::npos);
  EXPECT_NE(r.out.find("EXPIRES"), std::string::npos);
  EXPECT_NE(r.out.find("aaaa1111"), std::string::npos);
  EXPECT_NE(r.out.find("transform"), std::string::npos);
  EXPECT_NE(r.out.find("7.8 KiB"), std::string::npos) << r.out;  // 8 + 8000 bytes
  EXPECT_NE(r.out.find("never"), std::string::npos);
  EXPECT_NE(r.out.find("(expired)"), std::string::npos);
  EXPECT_NE(r.out.find("3 results in " + root().string()), std::string::npos) << r.out;
}

TEST_F(CacheCli, InspectShowsTheRecordAndVerifies) {
  CliRun r = run_cli(root(), "cache inspect aaaa1111 --verify");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"type\": \"std::vector<double>\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"checksum\": \"xxh3-64:"), std::string::npos);
  EXPECT_NE(r.out.find("payload: ok"), std::string::npos);

  // Damage the payload on disk: --verify says so and fails.
  {
    std::fstream f(root() / "aaaa1111", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  r = run_cli(root(), "cache inspect aaaa1111 --verify");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("corrupt"), std::string::npos) << r.out;

  r = run_cli(root(), "cache inspect nosuchkey");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("no result with key 'nosuchkey'"), std::string::npos) << r.out;
}

TEST_F(CacheCli, ClearExpiredThenByTaskThenAll) {
  CliRun r = run_cli(root(), "cache clear --expired");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("removed 1 result"), std::string::npos) << r.out;
  EXPECT_FALSE(*store_->get_record("bbbb2222"));

  r = run_cli(root(), "cache clear --task load_data");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("removed 1 result"), std::string::npos) << r.out;
  EXPECT_FALSE(*store_->get_record("cccc3333"));
  EXPECT_TRUE(*store_->get_record("aaaa1111"));

  r = run_cli(root(), "cache clear");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(store_->list()->records.empty());
  r = run_cli(root(), "cache ls");
  EXPECT_NE(r.out.find("0 results"), std::string::npos) << r.out;
}

TEST_F(CacheCli, BadInputGetsAClearError) {
  CliRun r = run_cli(root(), "cache");
  EXPECT_NE(r.code, 0);
  r = run_cli(root(), "cache ls --storage gs://bucket/x");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("not supported"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace baton

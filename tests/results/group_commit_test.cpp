// The local storage's group commit (results written at once share fsyncs) and its
// cache of decoded records, seen from the result store as the engine uses it.
#include "results/group_commit.h"
#include "results/result_store.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace baton {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

PersistOptions options(const std::string& key) {
  PersistOptions o;
  o.cache_key = key;
  o.task_name = "small";
  return o;
}

// Small values (64 bytes) are kept inside their record: one file per result.
std::vector<double> value_for(int i) { return std::vector<double>(8, static_cast<double>(i) + 0.5); }
// Large enough (2 KiB) for a payload file of its own next to its record.
std::vector<double> large_value_for(int i) { return std::vector<double>(256, static_cast<double>(i) + 0.25); }
static_assert(8 * sizeof(double) < kLocalInlinePayloadLimit && 256 * sizeof(double) > kLocalInlinePayloadLimit);

// The group commit's tests run with both layouts: the payload inline in its record
// (one file per result) and a payload file next to the record (two files).
class GroupCommitLayouts : public ::testing::TestWithParam<bool> {
 protected:
  bool inline_payloads() const { return GetParam(); }
  std::vector<double> value(int i) const { return inline_payloads() ? value_for(i) : large_value_for(i); }
};
INSTANTIATE_TEST_SUITE_P(GroupCommit, GroupCommitLayouts, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "PayloadInline" : "PayloadFile";
                         });

// Runs `fn(thread, index)` on `threads` threads, `per_thread` times each, all at once.
template <class Fn>
void on_threads(int threads, int per_thread, Fn fn) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) fn(t, i);
    });
  }
  for (auto& th : pool) th.join();
}

// Temporaries left in the storage's scratch directories (.baton-tmp and its
// numbered subdirectories, which stay).
std::size_t temporaries(const fs::path& root) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root / ".baton-tmp", ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    n += it->is_regular_file(ec) ? 1 : 0;
  }
  return n;
}

class FaultReset {
 public:
  ~FaultReset() { results::set_commit_fault_for_testing({}); }
};

TEST_P(GroupCommitLayouts, ManyConcurrentResultsAreAllReadableOnceReportedPersistedAndShareFsyncs) {
  testing::TempDir dir;
  const fs::path root = dir.path() / "store";
  ResultStore store(make_local_storage(root.string()));
  constexpr int kThreads = 64, kEach = 4, kResults = kThreads * kEach;
  std::atomic<int> failed{0};
  const std::uint64_t fsyncs_before = results::local_fsync_count();
  on_threads(kThreads, kEach, [&](int t, int i) {
    const int n = t * kEach + i;
    auto r = store.persist(value(n), options("k" + std::to_string(n)));
    if (!r.ok()) {
      ADD_FAILURE() << r.status().message();
      ++failed;
    }
  });
  ASSERT_EQ(failed, 0);
  const std::uint64_t fsyncs = results::local_fsync_count() - fsyncs_before;
  // Each result alone needs two per file (the file, its directory): two files with
  // a payload file, one with the payload inline.
  const std::uint64_t alone = inline_payloads() ? 2u : 4u;
  EXPECT_LT(fsyncs, alone * kResults) << "the results did not share their fsyncs";
  // Every file's own fsync is still there.
  EXPECT_GE(fsyncs, alone / 2 * kResults);

  // A fresh storage object (nothing in memory) reads every one back.
  ResultStore reader(make_local_storage(root.string()));
  for (int n = 0; n < kResults; ++n) {
    auto rec = reader.lookup("k" + std::to_string(n));
    ASSERT_TRUE(rec.ok()) << rec.status().message();
    ASSERT_TRUE(rec->has_value()) << "k" << n;
    EXPECT_EQ((*rec)->inline_payload != nullptr, inline_payloads()) << "k" << n;
    auto loaded = reader.load<std::vector<double>>(**rec);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded.value(), value(n));
  }
  EXPECT_EQ(temporaries(root), 0u);
}

TEST_P(GroupCommitLayouts, AFailureInTheGroupFailsExactlyTheResultsItConcerns) {
  FaultReset reset;
  testing::TempDir dir;
  const fs::path root = dir.path() / "store";
  // The temporaries of bad-sync-* cannot be synced; bad-rename-* cannot be renamed.
  results::set_commit_fault_for_testing([](std::string_view step, const fs::path& path) {
    const std::string name = path.filename().string();
    if (step == "fsync" && name.starts_with("bad-sync")) return EIO;
    if (step == "rename" && name.starts_with("bad-rename")) return EXDEV;
    return 0;
  });
  ResultStore store(make_local_storage(root.string()));
  constexpr int kThreads = 32, kEach = 4;
  auto key_of = [](int n) {
    return std::string(n % 4 == 1 ? "bad-sync-" : n % 4 == 2 ? "bad-rename-" : "good-") + std::to_string(n);
  };
  std::vector<std::string> errors(kThreads * kEach);
  std::vector<char> ok(kThreads * kEach, 0);
  on_threads(kThreads, kEach, [&](int t, int i) {
    const int n = t * kEach + i;
    auto r = store.persist(value(n), options(key_of(n)));
    ok[n] = r.ok();
    if (!r.ok()) errors[n] = r.status().message();
  });
  results::set_commit_fault_for_testing({});

  ResultStore reader(make_local_storage(root.string()));
  for (int n = 0; n < kThreads * kEach; ++n) {
    const std::string key = key_of(n);
    auto rec = reader.lookup(key);
    ASSERT_TRUE(rec.ok()) << rec.status().message();
    if (key.starts_with("good")) {
      EXPECT_TRUE(ok[n]) << key << ": " << errors[n];
      ASSERT_TRUE(rec->has_value()) << key;
      auto loaded = reader.load<std::vector<double>>(**rec);
      ASSERT_TRUE(loaded.ok()) << loaded.error().message;
      EXPECT_EQ(loaded.value(), value(n));
    } else {
      EXPECT_FALSE(ok[n]) << key << " was reported persisted";
      EXPECT_FALSE(rec->has_value()) << key << " left a record";
      // The error names the result and the file at fault.
      EXPECT_NE(errors[n].find("'" + key + "'"), std::string::npos) << errors[n];
      EXPECT_NE(errors[n].find(root.string()), std::string::npos) << errors[n];
      EXPECT_NE(errors[n].find(key.starts_with("bad-sync") ? "Input/output error" : "cross-device"),
                std::string::npos)
          << errors[n];
    }
  }
  EXPECT_EQ(temporaries(root), 0u);
}

TEST_P(GroupCommitLayouts, ADirectoryThatCannotBeSyncedLeavesNoRecordBehind) {
  FaultReset reset;
  testing::TempDir dir;
  const fs::path root = dir.path() / "store";
  results::set_commit_fault_for_testing([&](std::string_view step, const fs::path& path) {
    return step == "fsync_dir" && path == root / ".baton-meta" ? EIO : 0;
  });
  ResultStore store(make_local_storage(root.string()));
  auto r = store.persist(value(1), options("k1"));
  results::set_commit_fault_for_testing({});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot fsync directory " + (root / ".baton-meta").string()), std::string::npos)
      << r.status().message();
  auto rec = ResultStore(make_local_storage(root.string())).lookup("k1");
  ASSERT_TRUE(rec.ok());
  EXPECT_FALSE(rec->has_value());
}

TEST(GroupCommit, ANewKeyDirectoryIsMadeDurableInItsParentToo) {
  FaultReset reset;
  testing::TempDir dir;
  const fs::path root = dir.path() / "store";
  std::vector<fs::path> synced;
  results::set_commit_fault_for_testing([&](std::string_view step, const fs::path& path) {
    if (step == "fsync_dir") synced.push_back(path);
    return 0;
  });
  ResultStore store(make_local_storage(root.string()));
  ASSERT_TRUE(store.persist(large_value_for(1), options("taxi/2026/jan")).ok());
  results::set_commit_fault_for_testing({});
  // The payload went into root/taxi/2026 (new, as is root/taxi): a crash must not
  // lose either directory's entry, so root and root/taxi are synced too; the same
  // for the record under .baton-meta.
  for (const fs::path& d : {root / "taxi" / "2026", root / "taxi", root, root / ".baton-meta" / "taxi" / "2026",
                            root / ".baton-meta" / "taxi", root / ".baton-meta"}) {
    EXPECT_NE(std::find(synced.begin(), synced.end(), d), synced.end()) << d << " was not synced";
  }
}

TEST_P(GroupCommitLayouts, ALoneWriteIsCommittedAtOnceByItsOwnThread) {
  testing::TempDir dir;
  ResultStore store(make_local_storage((dir.path() / "store").string()));
  const std::uint64_t before = results::local_fsync_count();
  // Nothing else is writing: the write must not wait for company. (The generous
  // bound only turns a hang into a failure; it is not a speed requirement.)
  auto done = std::async(std::launch::async, [&] { return store.persist(value(7), options("lone")); });
  ASSERT_EQ(done.wait_for(60s), std::future_status::ready) << "a lone write waited for a batch";
  auto r = done.get();
  ASSERT_TRUE(r.ok()) << r.status().message();
  // Synced on its own: each file, then each file's directory (the record alone
  // when its payload is inline; else the payload's file and directory too).
  EXPECT_EQ(results::local_fsync_count() - before, inline_payloads() ? 2u : 4u);
  auto rec = store.lookup("lone");
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ(store.load<std::vector<double>>(**rec).value(), value(7));
}

// A tmpfs of 1 MiB, mounted for the test (needs root; skipped otherwise).
class TinyDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_point_ = dir_.path() / "tiny";
    fs::create_directories(mount_point_);
    if (::mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=1m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs (" << std::strerror(errno) << "): needs root";
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
  }
  testing::TempDir dir_;
  fs::path mount_point_;
  bool mounted_ = false;
};

TEST_F(TinyDisk, AFullDiskFailsTheResultsThatDidNotFitAndKeepsTheOthers) {
  const fs::path root = mount_point_ / "store";
  ResultStore store(make_local_storage(root.string()));
  constexpr int kThreads = 16, kEach = 4, kResults = kThreads * kEach;
  // 64 results of 40 KB cannot all fit in 1 MiB.
  auto big_value = [](int n) { return std::vector<double>(5000, static_cast<double>(n)); };
  std::vector<std::string> errors(kResults);
  std::vector<char> ok(kResults, 0);
  on_threads(kThreads, kEach, [&](int t, int i) {
    const int n = t * kEach + i;
    auto r = store.persist(big_value(n), options("r" + std::to_string(n)));
    ok[n] = r.ok();
    if (!r.ok()) errors[n] = r.status().message();
  });
  int stored = 0, refused = 0;
  ResultStore reader(make_local_storage(root.string()));
  for (int n = 0; n < kResults; ++n) {
    const std::string key = "r" + std::to_string(n);
    auto rec = reader.lookup(key);
    ASSERT_TRUE(rec.ok()) << rec.status().message();
    if (ok[n]) {
      ++stored;
      ASSERT_TRUE(rec->has_value()) << key << " was reported persisted but has no record";
      auto loaded = reader.load<std::vector<double>>(**rec);
      ASSERT_TRUE(loaded.ok()) << loaded.error().message;
      EXPECT_EQ(loaded.value(), big_value(n));
    } else {
      ++refused;
      EXPECT_FALSE(rec->has_value()) << key << " failed but left a record";
      EXPECT_NE(errors[n].find("'" + key + "'"), std::string::npos) << errors[n];
      EXPECT_NE(errors[n].find(root.string()), std::string::npos) << errors[n];
      EXPECT_NE(errors[n].find("No space left on device"), std::string::npos) << errors[n];
    }
  }
  EXPECT_GT(stored, 0);
  EXPECT_GT(refused, 0);
  EXPECT_EQ(temporaries(root), 0u);
}

TEST_F(TinyDisk, AStorageDirectoryThatCannotBeWrittenIsAClearError) {
  // A read-only mount: even root cannot write there.
  ASSERT_EQ(::mount(nullptr, mount_point_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0) << std::strerror(errno);
  ResultStore store(make_local_storage((mount_point_ / "store").string()));
  auto r = store.persist(value_for(1), options("k"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find((mount_point_ / "store").string()), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("Read-only file system"), std::string::npos) << r.status().message();
}

// Runs `fn` in a child process (another writer of the same storage) and waits.
template <class Fn>
void in_other_process(Fn fn) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::_exit(fn() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the other process failed";
}

TEST(GroupCommit, AForkedChildCommitsThroughItsParentsStorageWhileTheParentIsMidCommit) {
  FaultReset reset;
  testing::TempDir dir;
  auto storage = make_local_storage((dir.path() / "store").string());
  ResultStore store(storage);
  // A parent thread leads a commit and is held inside it, so the queue is not
  // empty when the process forks (as when a process pool starts a worker while
  // results are being written).
  std::atomic<bool> inside{false}, release{false};
  results::set_commit_fault_for_testing([&](std::string_view step, const fs::path& path) {
    if (step == "rename" && path.filename() == "held.json") {  // its record (its payload is inline)
      inside = true;
      while (!release) std::this_thread::sleep_for(1ms);
    }
    return 0;
  });
  std::thread held([&] { EXPECT_TRUE(store.persist(value_for(1), options("held")).ok()); });
  while (!inside) std::this_thread::sleep_for(1ms);
  in_other_process([&] {
    ::alarm(60);  // a hang fails the test instead of stopping it
    auto r = store.persist(value_for(2), options("child"));
    auto rec = store.lookup("child");
    return r.ok() && rec.ok() && rec->has_value();
  });
  release = true;
  held.join();
  auto rec = store.lookup("child");
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ(store.load<std::vector<double>>(**rec).value(), value_for(2));
}

TEST(RecordCache, ALookupSeesARecordReplacedOrRemovedByAnotherProcess) {
  testing::TempDir dir;
  const fs::path root = dir.path() / "store";
  ResultStore store(make_local_storage(root.string()));
  ASSERT_TRUE(store.persist(value_for(1), options("k")).ok());
  // Old enough to be kept in memory (record_cache.h: records younger than the
  // file times' granularity are read again on every lookup).
  std::this_thread::sleep_for(1100ms);
  for (int i = 0; i < 2; ++i) {  // the second lookup answers from memory
    auto rec = store.lookup("k");
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_EQ(store.load<std::vector<double>>(**rec).value(), value_for(1));
  }

  in_other_process([&] {
    ResultStore other(make_local_storage(root.string()));
    return other.persist(value_for(2), options("k")).ok();
  });
  auto rec = store.lookup("k");
  ASSERT_TRUE(rec.ok() && rec->has_value());
  auto loaded = store.load<std::vector<double>>(**rec);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value(), value_for(2));

  in_other_process([&] {
    ResultStore other(make_local_storage(root.string()));
    return other.remove(std::string_view("k")).ok();
  });
  rec = store.lookup("k");
  ASSERT_TRUE(rec.ok());
  EXPECT_FALSE(rec->has_value()) << "a removed record was still found";
}

TEST(RecordCache, ARecordEditedInPlaceIsReadAgain) {
  testing::TempDir dir;
  const fs::path root = dir.path() / "store";
  ResultStore store(make_local_storage(root.string()));
  ASSERT_TRUE(store.persist(value_for(1), options("k")).ok());
  std::this_thread::sleep_for(1100ms);
  ASSERT_TRUE(store.lookup("k").ok());
  ASSERT_TRUE(store.lookup("k").ok());
  // Someone truncates the record in place (no rename): the next lookup must see it.
  const fs::path file = root / ".baton-meta" / "k.json";
  { std::ofstream(file, std::ios::trunc) << "{ not json"; }
  auto rec = store.lookup("k");
  ASSERT_FALSE(rec.ok()) << "a damaged record was answered from memory";
  // The error names the key and the file.
  EXPECT_NE(rec.status().message().find("'k'"), std::string::npos) << rec.status().message();
  EXPECT_NE(rec.status().message().find(file.string()), std::string::npos) << rec.status().message();
}

TEST(RecordCache, AStorageDirectoryMadeAgainIsFollowed) {
  testing::TempDir dir;
  const fs::path root = dir.path() / "store";
  ResultStore store(make_local_storage(root.string()));
  ASSERT_TRUE(store.persist(value_for(1), options("k")).ok());
  ASSERT_TRUE(store.lookup("k").ok());
  // Another process deletes the whole storage and writes it afresh.
  fs::remove_all(root);
  in_other_process([&] {
    ResultStore other(make_local_storage(root.string()));
    return other.persist(value_for(3), options("k")).ok();
  });
  auto rec = store.lookup("k");
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ(store.load<std::vector<double>>(**rec).value(), value_for(3));
}

}  // namespace
}  // namespace baton

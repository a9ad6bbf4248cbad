// A process SIGKILLed in the middle of writing a large result leaves no visible
// result: no payload under its key, no metadata, and the next writer sweeps the
// temporary it left.
#include "results/result_store.h"

#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

namespace baton {
namespace {

std::uint64_t tmp_bytes(const std::filesystem::path& tmp_dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  // .baton-tmp and its numbered subdirectories
  for (auto it = std::filesystem::recursive_directory_iterator(tmp_dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

TEST(AtomicWrite, SigkillMidWriteLeavesNoVisibleResult) {
  testing::TempDir dir;
  const auto root = dir.path() / "store";
  {
    // An older good value under the same key must survive the killed overwrite.
    ResultStore store(make_local_storage(root.string()));
    PersistOptions o;
    o.cache_key = "big";
    ASSERT_TRUE(store.persist(std::string("old value"), o).ok());
  }

  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    ResultStore store(make_local_storage(root.string()));
    PersistOptions o;
    o.cache_key = "big";
    // A large value written in pieces that never ends by itself: the parent kills it.
    std::vector<char> chunk(8 << 20, 'x');
    (void)store.persist_with("std::vector<char>", o, [&](ByteSink& sink) {
      bool told = false;
      for (;;) {
        if (!sink.write(chunk.data(), chunk.size()).ok()) ::_exit(3);
        if (!told) {
          told = true;
          const char c = 'w';
          if (::write(ready[1], &c, 1) != 1) ::_exit(4);
        }
      }
    });
    ::_exit(2);
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  // Let it get well into the write (some tens of MiB on disk), then kill it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (tmp_bytes(root / ".baton-tmp") < (64u << 20) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_GT(tmp_bytes(root / ".baton-tmp"), 0u) << "the kill should have hit mid-write";

  // What a reader sees: the old value, whole, with its own record.
  ResultStore store(make_local_storage(root.string()));
  auto rec = store.lookup("big");
  ASSERT_TRUE(rec.ok() && *rec);
  auto value = store.load<std::string>(**rec);
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(value.value(), "old value");
  EXPECT_EQ(store.list()->records.size(), 1u);

  // The next writer in this directory sweeps the dead process's temporary.
  PersistOptions o;
  o.cache_key = "other";
  ASSERT_TRUE(store.persist(1, o).ok());
  EXPECT_EQ(tmp_bytes(root / ".baton-tmp"), 0u);
}

TEST(AtomicWrite, SigkillBeforeMetadataLeavesNoRecord) {
  testing::TempDir dir;
  const auto root = dir.path() / "store";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Write and commit a payload, but die before its metadata record is written.
    auto storage = make_local_storage(root.string());
    auto w = storage->write_payload("k");
    if (!w.ok() || !(*w)->write("payload", 7).ok() || !(*w)->commit().ok()) ::_exit(3);
    ::kill(::getpid(), SIGKILL);
    ::_exit(2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ResultStore store(make_local_storage(root.string()));
  auto rec = store.lookup("k");
  ASSERT_TRUE(rec.ok());
  EXPECT_FALSE(*rec) << "a payload without its record is not a result";
}

}  // namespace
}  // namespace baton

// Several processes writing one database at once lose nothing and never fail
// on a locked database; a writer waits out a lock held by someone else.
#include "store/run_store_reader.h"
#include "store/sqlite_run_store.h"
#include "store_test_util.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

namespace baton::store {
namespace {

using namespace baton::store::testing;
using engine::Event;

// RunId::random()'s per-thread generator is copied by fork(), so forked children
// would draw the same ids. Mixing in the pid keeps the
// writers' ids apart.
RunId child_id() {
  RunId id = RunId::random();
  id.hi ^= static_cast<std::uint64_t>(::getpid()) << 32;
  return id;
}

// One writer process: a flow run with `tasks` task runs, each created, Running
// and Completed with a log line, sent in small batches with heartbeats between.
int write_flow(const std::filesystem::path& db, int writer, int tasks) {
  try {
    SqliteRunStoreOptions o;
    o.path = db;
    auto store = SqliteRunStore::open(o);
    if (!store.ok()) {
      std::fprintf(stderr, "writer %d: %s\n", writer, store.status().message().c_str());
      return 2;
    }
    const RunId flow = child_id();
    std::vector<Event> b = {flow_created(flow, "writer-" + std::to_string(writer), at_second(1)),
                            flow_state(flow, StateType::Running, at_second(2))};
    (*store)->write(b);
    const std::vector<RunId> active = {flow};
    constexpr int kPerBatch = 25;
    for (int i = 0; i < tasks; i += kPerBatch) {
      b.clear();
      for (int k = i; k < std::min(tasks, i + kPerBatch); ++k) {
        const RunId t = child_id();
        b.push_back(task_created(t, flow, "t", at_second(3)));
        b.push_back(task_state(t, StateType::Running, at_second(4)));
        b.push_back(engine::LogRecorded{flow, t, LogLevel::Info, at_second(4), "task " + std::to_string(k)});
        b.push_back(task_state(t, StateType::Completed, at_second(5)));
      }
      (*store)->write(b);
      (*store)->heartbeat(active);
    }
    b = {flow_state(flow, StateType::Completed, at_second(6))};
    (*store)->write(b);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "writer %d: %s\n", writer, e.what());
    return 1;
  }
}

TEST(MultiProcess, ConcurrentWritersLoseNothing) {
  TempDir dir;
  constexpr int kWriters = 4;
  constexpr int kTasks = 1500;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) ::_exit(write_flow(db_path(dir), w, kTasks));
    children.push_back(pid);
  }
  // Meanwhile this process reads (and opens, which takes the write lock for
  // crash detection) over and over: readers never fail either.
  std::size_t running = children.size();
  for (int reads = 0; running > 0; ++reads) {
    SqliteRunStoreOptions o;
    o.path = db_path(dir);
    auto reader = RunStoreReader::open(o);
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    auto runs = (*reader)->list_flow_runs({});
    ASSERT_TRUE(runs.ok()) << runs.status().message();
    for (pid_t& pid : children) {
      int status = 0;
      if (pid > 0 && ::waitpid(pid, &status, WNOHANG) == pid) {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "writer status " << status;
        pid = -1;
        --running;
      }
    }
    ::usleep(5000);
  }
  SqliteRunStoreOptions o;
  o.path = db_path(dir);
  auto reader = RunStoreReader::open(o);
  ASSERT_TRUE(reader.ok());
  auto runs = (*reader)->list_flow_runs({"", std::nullopt, 0});
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), static_cast<std::size_t>(kWriters));
  for (const auto& r : *runs) {
    EXPECT_EQ(r.state, StateType::Completed);
    EXPECT_EQ(r.task_run_count, kTasks);
    auto tasks = (*reader)->task_runs(r.id);
    ASSERT_TRUE(tasks.ok());
    for (const auto& t : *tasks) {
      ASSERT_EQ(t.state, StateType::Completed);
      ASSERT_EQ(t.history.size(), 3u);
    }
    auto logs = (*reader)->logs(r.id);
    ASSERT_TRUE(logs.ok());
    EXPECT_EQ(logs->size(), static_cast<std::size_t>(kTasks));
  }
}

TEST(MultiProcess, AWriterWaitsOutALockHeldByAnotherConnection) {
  TempDir dir;
  SqliteRunStoreOptions o;
  o.path = db_path(dir);
  auto store = SqliteRunStore::open(o);
  ASSERT_TRUE(store.ok());

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(db_path(dir).c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::atomic<bool> released{false};
  std::thread holder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    released = true;
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  const RunId flow = RunId::random();
  std::vector<Event> b = {flow_created(flow, "patient", at_second(1))};
  (*store)->write(b);  // blocks until the other connection commits
  EXPECT_TRUE(released.load());
  holder.join();
  sqlite3_close(other);
  auto reader = RunStoreReader::open(o);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->flow_run(flow)->flow_name, "patient");
}

}  // namespace
}  // namespace baton::store

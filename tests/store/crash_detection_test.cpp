// Crash detection on open: a SIGKILLed writer, a dead pid, a zombie, a reused
// pid, and runs of other hosts judged by their heartbeat.
#include "util/process_info.h"
#include "store/run_store_reader.h"
#include "store/sqlite_run_store.h"
#include "store_test_util.h"

#include <gtest/gtest.h>

#include <csignal>

#include <sys/wait.h>
#include <unistd.h>

namespace baton::store {
namespace {

using namespace baton::store::testing;
using engine::Event;

SqliteRunStoreOptions options_for(const TempDir& dir, bool mark = true) {
  SqliteRunStoreOptions o;
  o.path = db_path(dir);
  o.mark_crashed_on_open = mark;
  o.task_run_write_delay = std::chrono::milliseconds(0);
  return o;
}

// A child process that waits until told to exit, so that the test can read its
// start time first (the pid then names exactly that process).
struct WaitingChild {
  pid_t pid = -1;
  int release_fd = -1;
  WaitingChild() {
    int fds[2];
    if (::pipe(fds) != 0) std::abort();
    pid = ::fork();
    if (pid == 0) {
      ::close(fds[1]);
      char c;
      while (::read(fds[0], &c, 1) < 0) {
      }
      ::_exit(0);
    }
    ::close(fds[0]);
    release_fd = fds[1];
  }
  void exit_and_reap() {
    ::close(release_fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
};

TEST(ProcessInfo, KnowsThisProcessAndADeadOne) {
  const auto started = process_start_time(::getpid());
  ASSERT_TRUE(started);
  EXPECT_EQ(process_status(::getpid(), *started), ProcessStatus::Alive);
  EXPECT_EQ(process_status(::getpid(), 0), ProcessStatus::Alive);
  EXPECT_EQ(process_status(::getpid(), *started + 1), ProcessStatus::PidReused);
  EXPECT_FALSE(host_name().empty());

  WaitingChild child;
  const auto child_started = process_start_time(child.pid);
  ASSERT_TRUE(child_started);
  EXPECT_EQ(process_status(child.pid, *child_started), ProcessStatus::Alive);
  child.exit_and_reap();
  EXPECT_NE(process_status(child.pid, *child_started), ProcessStatus::Alive);
}

TEST(CrashDetection, SigkilledWriterIsMarkedCrashedOnTheNextOpen) {
  TempDir dir;
  const RunId flow = RunId::random();
  const RunId running_task = RunId::random();
  const RunId done_task = RunId::random();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = SqliteRunStore::open(options_for(dir));
    if (!store.ok()) ::_exit(2);
    std::vector<Event> b = {flow_created(flow, "doomed", at_second(1)),  // its own pid and start time
                            flow_state(flow, StateType::Running, at_second(2)),
                            task_created(done_task, flow, "first", at_second(3)),
                            task_state(done_task, StateType::Running, at_second(3)),
                            task_state(done_task, StateType::Completed, at_second(4)),
                            task_created(running_task, flow, "second", at_second(5)),
                            task_state(running_task, StateType::Running, at_second(6))};
    (*store)->write(b);
    ::raise(SIGKILL);
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;

  {  // As the killed process left it.
    auto raw = RunStoreReader::open(options_for(dir, false));
    ASSERT_TRUE(raw.ok()) << raw.status().message();
    EXPECT_EQ((*raw)->flow_run(flow)->state, StateType::Running);
    EXPECT_EQ((*raw)->flow_run(flow)->pid, child);
  }
  auto reader = RunStoreReader::open(options_for(dir));
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->crashed_on_open(), 1);
  auto f = (*reader)->flow_run(flow);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->state, StateType::Crashed);
  EXPECT_TRUE(f->end_time);
  const std::string expected = "process " + std::to_string(child) + " on host " + host_name() + " is gone";
  EXPECT_NE(f->state_message.find(expected), std::string::npos) << f->state_message;
  ASSERT_EQ(f->history.size(), 3u);
  EXPECT_EQ(f->history.back().type, StateType::Crashed);
  EXPECT_EQ(f->history.back().message, f->state_message);

  auto tasks = (*reader)->task_runs(flow);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_EQ((*tasks)[0].state, StateType::Completed);
  EXPECT_EQ((*tasks)[1].state, StateType::Crashed);
  EXPECT_NE((*tasks)[1].state_message.find(expected), std::string::npos) << (*tasks)[1].state_message;
  EXPECT_EQ((*tasks)[1].history.back().type, StateType::Crashed);

  // Marked once: the next opener finds nothing to do.
  auto again = SqliteRunStore::open(options_for(dir));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->crashed_on_open(), 0);
}

TEST(CrashDetection, AZombieIsGoneAndALiveProcessIsNot) {
  TempDir dir;
  WaitingChild child;
  const auto started = process_start_time(child.pid);
  ASSERT_TRUE(started);
  const RunId flow = RunId::random();
  const RunId mine = RunId::random();
  {
    auto store = SqliteRunStore::open(options_for(dir));
    ASSERT_TRUE(store.ok());
    engine::FlowRunCreated c = flow_created(flow, "child", at_second(1));
    c.pid = child.pid;
    c.process_started = *started;
    std::vector<Event> b = {c, flow_state(flow, StateType::Running, at_second(2)), flow_created(mine, "me", at_second(1)),
                            flow_state(mine, StateType::Running, at_second(2))};
    (*store)->write(b);
  }
  {  // Alive: nothing is marked.
    auto reader = RunStoreReader::open(options_for(dir));
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ((*reader)->crashed_on_open(), 0);
  }
  // Exited but not reaped: a zombie.
  ::close(child.release_fd);
  for (int i = 0; i < 500 && process_status(child.pid, *started) == ProcessStatus::Alive; ++i) ::usleep(2000);
  {
    auto reader = RunStoreReader::open(options_for(dir));
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ((*reader)->crashed_on_open(), 1);
    auto f = (*reader)->flow_run(flow);
    EXPECT_EQ(f->state, StateType::Crashed);
    EXPECT_NE(f->state_message.find("exited"), std::string::npos) << f->state_message;
    EXPECT_EQ((*reader)->flow_run(mine)->state, StateType::Running);  // this process: alive
  }
  int status = 0;
  ::waitpid(child.pid, &status, 0);
}

TEST(CrashDetection, ADeadPidIsGone) {
  TempDir dir;
  WaitingChild child;
  const auto started = process_start_time(child.pid);
  ASSERT_TRUE(started);
  child.exit_and_reap();
  const RunId flow = RunId::random();
  {
    auto store = SqliteRunStore::open(options_for(dir));
    ASSERT_TRUE(store.ok());
    engine::FlowRunCreated c = flow_created(flow, "gone", at_second(1));
    c.pid = child.pid;
    c.process_started = *started;
    std::vector<Event> b = {c};  // Pending: not final either
    (*store)->write(b);
  }
  auto reader = RunStoreReader::open(options_for(dir));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->crashed_on_open(), 1);
  EXPECT_EQ((*reader)->flow_run(flow)->state, StateType::Crashed);
}

TEST(CrashDetection, AReusedPidIsToldApartByItsStartTime) {
  TempDir dir;
  const RunId reused = RunId::random();
  const RunId live = RunId::random();
  {
    auto store = SqliteRunStore::open(options_for(dir));
    ASSERT_TRUE(store.ok());
    // The same pid as this (live) process, but a process that started earlier:
    // what a reused pid looks like.
    engine::FlowRunCreated old = flow_created(reused, "old", at_second(1));
    old.process_started -= 1;
    std::vector<Event> b = {old, flow_state(reused, StateType::Running, at_second(2)),
                            flow_created(live, "live", at_second(1)), flow_state(live, StateType::Running, at_second(2))};
    (*store)->write(b);
  }
  auto reader = RunStoreReader::open(options_for(dir));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->crashed_on_open(), 1);
  auto f = (*reader)->flow_run(reused);
  EXPECT_EQ(f->state, StateType::Crashed);
  EXPECT_NE(f->state_message.find("pid now belongs to another process"), std::string::npos) << f->state_message;
  EXPECT_EQ((*reader)->flow_run(live)->state, StateType::Running);
}

TEST(CrashDetection, OtherHostsAreJudgedByTheirHeartbeat) {
  TempDir dir;
  FakeClock clock(at_second(100'000));
  const RunId remote = RunId::random();
  const RunId remote_fresh = RunId::random();
  const RunId local = RunId::random();
  SqliteRunStoreOptions o = options_for(dir);
  o.clock = &clock;
  o.heartbeat_interval = std::chrono::seconds(5);
  auto store = SqliteRunStore::open(o);
  ASSERT_TRUE(store.ok());
  engine::FlowRunCreated a = flow_created(remote, "remote", at_second(1));
  a.hostname = "elsewhere.invalid";
  a.pid = 1;  // means nothing on this host
  engine::FlowRunCreated b = flow_created(remote_fresh, "remote", at_second(1));
  b.hostname = "elsewhere.invalid";
  b.pid = 2;
  std::vector<Event> batch = {a, b, flow_created(local, "local", at_second(1))};
  (*store)->write(batch);  // heartbeat = now for all three

  auto open_at = [&](std::chrono::seconds later) {
    FakeClock then(at_second(100'000) + later);
    SqliteRunStoreOptions r = options_for(dir);
    r.clock = &then;
    r.heartbeat_interval = std::chrono::seconds(1);  // the writer's recorded 5 s decides, not this
    auto reader = RunStoreReader::open(r);
    EXPECT_TRUE(reader.ok());
    return std::move(reader).value();
  };
  EXPECT_EQ(open_at(std::chrono::seconds(14))->crashed_on_open(), 0);  // within 3 heartbeats

  clock.advance(std::chrono::seconds(10));
  const std::vector<RunId> fresh = {remote_fresh};
  (*store)->heartbeat(fresh);  // only this one proves it is alive

  auto later = open_at(std::chrono::seconds(16));
  EXPECT_EQ(later->crashed_on_open(), 1);
  auto f = later->flow_run(remote);
  EXPECT_EQ(f->state, StateType::Crashed);
  EXPECT_NE(f->state_message.find("no heartbeat from process 1 on host elsewhere.invalid"), std::string::npos)
      << f->state_message;
  EXPECT_EQ(later->flow_run(remote_fresh)->state, StateType::Pending);
  // A run of this host is never judged by time alone: its process (this one) lives.
  auto much_later = open_at(std::chrono::hours(24 * 365));
  EXPECT_EQ(much_later->flow_run(local)->state, StateType::Pending);
  EXPECT_EQ(much_later->flow_run(remote_fresh)->state, StateType::Crashed);
}

}  // namespace
}  // namespace baton::store

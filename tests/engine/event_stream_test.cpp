// The event stream's writer when the run store refuses writes (a full disk, a
// database another process locked for good): nothing is lost while the store can
// recover, and what could not be written is named at close. And the order the
// store needs when task states come through the threads' own buffers.
#include "engine/event_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace baton::engine {
namespace {

// A sink that refuses the first `failures` writes, as a full disk would, then
// stores batches in order. A fake for a fault the test cannot otherwise cause.
class FlakySink final : public RunStoreSink {
 public:
  explicit FlakySink(int failures) : failures_left_(failures) {}

  void write(std::span<const Event> batch) override {
    std::lock_guard lock(mu_);
    if (failures_left_ != 0) {
      if (failures_left_ > 0) --failures_left_;
      throw std::runtime_error("disk full");
    }
    for (const Event& e : batch) {
      if (const auto* log = std::get_if<LogRecorded>(&e)) messages_.push_back(log->message);
    }
  }
  std::vector<RunId> heartbeat(std::span<const RunId>) override { return {}; }

  std::vector<std::string> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  std::mutex mu_;
  int failures_left_;  // < 0: refuses for ever
  std::vector<std::string> messages_;
};

LogRecorded line(const RunId& flow_run, int n) {
  LogRecorded log;
  log.flow_run = flow_run;
  log.message = "line " + std::to_string(n);
  return log;
}

TEST(EventStreamTest, EventsRefusedByTheStoreAreWrittenInOrderOnceItRecovers) {
  auto owned = std::make_unique<FlakySink>(3);
  FlakySink* sink = owned.get();
  const RunId flow_run = RunId::random();
  std::vector<std::string> written;
  testing::internal::CaptureStderr();
  {
    EventStream stream(std::move(owned), std::chrono::milliseconds(50), {});
    for (int i = 0; i < 10; ++i) {
      stream.push(line(flow_run, i));
      stream.flush();  // one batch per line: every early batch meets a refusal
    }
    stream.close();
    written = sink->messages();  // the stream owns the sink: read it before the stream goes
  }
  const std::string err = testing::internal::GetCapturedStderr();
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.push_back("line " + std::to_string(i));
  EXPECT_EQ(written, expected);
  EXPECT_NE(err.find("cannot be written (disk full); keeping the events and retrying"), std::string::npos) << err;
  EXPECT_NE(err.find("written again"), std::string::npos) << err;
  EXPECT_EQ(err.find("incomplete"), std::string::npos) << err;
}

TEST(EventStreamTest, AStoreThatNeverRecoversNamesTheIncompleteFlowRunsAtClose) {
  const RunId flow_run = RunId::random();
  testing::internal::CaptureStderr();
  {
    EventStream stream(std::make_unique<FlakySink>(-1), std::chrono::milliseconds(50), {});
    stream.push(line(flow_run, 1));
    stream.flush();  // returns although the store refused: the run goes on
  }
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("incomplete: " + flow_run.str()), std::string::npos) << err;
}

// Keeps every event it is given, in order.
class RecordingSink final : public RunStoreSink {
 public:
  void write(std::span<const Event> batch) override {
    std::lock_guard lock(mu_);
    events_.insert(events_.end(), batch.begin(), batch.end());
  }
  std::vector<RunId> heartbeat(std::span<const RunId>) override { return {}; }
  std::vector<Event> events() {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::vector<Event> events_;
};

// Where each run's events landed in the written sequence: creation, the log line
// its worker wrote between its two states, and the two states.
struct Seen {
  int created = -1, running = -1, log = -1, completed = -1;
  int count = 0;
};

TEST(EventStreamTest, TaskStatesFromWorkerThreadsAreWrittenAfterTheirRunsCreationAndInTheirThreadsOrder) {
  constexpr int kWorkers = 3;
  constexpr int kRunsEach = 1500;  // two states each: past a buffer's block (256), so full blocks move too
  auto owned = std::make_unique<RecordingSink>();
  RecordingSink* sink = owned.get();
  const RunId flow_run = RunId::random();
  std::vector<Event> written;
  std::vector<std::vector<RunId>> runs(kWorkers);
  {
    EventStream stream(std::move(owned), std::chrono::milliseconds(50), {});
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
      for (int i = 0; i < kRunsEach; ++i) {
        runs[w].push_back(RunId::random());
        TaskRunCreated created;
        created.id = runs[w].back();
        created.flow_run = flow_run;
        stream.push(std::move(created));  // as launch() does, before the run can start
      }
      workers.emplace_back([&, w] {
        for (const RunId& id : runs[w]) {
          stream.push_task_state(StateChanged{id, RunKind::Task, StateType::Running, TimePoint{}, {}});
          LogRecorded log;
          log.flow_run = flow_run;
          log.task_run = id;
          log.message = "working";
          stream.push(std::move(log));  // through the shared queue, between two buffered states
          stream.push_task_state(StateChanged{id, RunKind::Task, StateType::Completed, TimePoint{}, {}});
        }
      });
    }
    for (std::thread& t : workers) t.join();  // the workers' buffers outlive them, unswept
    stream.push(StateChanged{flow_run, RunKind::Flow, StateType::Completed, TimePoint{}, {}});
    stream.flush();
    written = sink->events();  // everything pushed before flush(), with the stream still open
  }
  std::unordered_map<RunId, Seen> seen;
  int flow_completed = -1;
  for (int i = 0; i < static_cast<int>(written.size()); ++i) {
    const Event& e = written[i];
    if (const auto* c = std::get_if<TaskRunCreated>(&e)) {
      seen[c->id].created = i, ++seen[c->id].count;
    } else if (const auto* l = std::get_if<LogRecorded>(&e)) {
      seen[l->task_run].log = i, ++seen[l->task_run].count;
    } else if (const auto* s = std::get_if<StateChanged>(&e)) {
      if (s->kind == RunKind::Flow) {
        flow_completed = i;
        continue;
      }
      (s->type == StateType::Running ? seen[s->run].running : seen[s->run].completed) = i;
      ++seen[s->run].count;
    }
  }
  ASSERT_EQ(written.size(), static_cast<std::size_t>(kWorkers * kRunsEach * 4 + 1));
  for (int w = 0; w < kWorkers; ++w) {
    for (const RunId& id : runs[w]) {
      const Seen& s = seen[id];
      ASSERT_EQ(s.count, 4) << id.str();
      EXPECT_LT(s.created, s.running) << id.str();
      EXPECT_LT(s.running, s.log) << id.str();
      EXPECT_LT(s.log, s.completed) << id.str();
      EXPECT_LT(s.completed, flow_completed) << id.str();
    }
  }
}

TEST(EventStreamTest, TaskStatesPushedAfterCloseAreDroppedAndDoNotBlock) {
  auto owned = std::make_unique<RecordingSink>();
  RecordingSink* sink = owned.get();
  const RunId run = RunId::random();
  EventStream stream(std::move(owned), std::chrono::milliseconds(50), {});
  stream.push_task_state(StateChanged{run, RunKind::Task, StateType::Running, TimePoint{}, {}});
  stream.close();
  ASSERT_EQ(sink->events().size(), 1u);  // close() writes what was pushed before it
  for (int i = 0; i < 5000; ++i) {
    stream.push_task_state(StateChanged{run, RunKind::Task, StateType::Completed, TimePoint{}, {}});
  }
  stream.flush();
  EXPECT_EQ(sink->events().size(), 1u);
}

}  // namespace
}  // namespace baton::engine

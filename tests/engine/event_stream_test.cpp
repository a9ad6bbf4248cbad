// The event stream's writer when the run store refuses writes (a full disk, a
// database another process locked for good): nothing is lost while the store can
// recover, and what could not be written is named at close.
#include "engine/event_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
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

}  // namespace
}  // namespace baton::engine

#pragma once
// Shared pieces of the run store tests: a temporary directory, a settable clock,
// and builders for events.
#include "engine/events.h"
#include "util/clock.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace baton::store::testing {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path db() const { return path_ / "baton.db"; }

 private:
  std::filesystem::path path_;
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_us_(to_us(start)) {}
  TimePoint now() const override { return TimePoint(std::chrono::microseconds(now_us_.load())); }
  bool sleep_for(std::chrono::microseconds d, std::stop_token) override {
    now_us_ += d.count();
    return true;
  }
  void advance(std::chrono::microseconds d) { now_us_ += d.count(); }

 private:
  static long long to_us(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  }
  std::atomic<long long> now_us_;
};

// Interned names, like the engine's: they live for the whole process.
const std::string* intern(const std::string& name);

// A flow run of this process (pid, start time and host filled in).
engine::FlowRunCreated flow_created(RunId id, const std::string& flow, TimePoint at);
engine::TaskRunCreated task_created(RunId id, RunId flow_run, const std::string& task, TimePoint at);
engine::StateChanged flow_state(RunId id, StateType type, TimePoint at, std::string message = {});
engine::StateChanged task_state(RunId id, StateType type, TimePoint at, std::string message = {});

// A fixed, whole-second time point, so that round trips through microseconds compare equal.
TimePoint at_second(long long s);

}  // namespace baton::store::testing

#pragma once
// Helpers shared by the results tests: a fake clock and scratch directories.
#include "util/clock.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>

namespace baton::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1'700'000'000))) : now_(start) {}
  TimePoint now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  bool sleep_for(std::chrono::microseconds d, std::stop_token) override {
    advance(d);
    return true;
  }
  void advance(std::chrono::microseconds d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;
};

// A fresh directory under the build tree (not /tmp: large payloads), removed after.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    const char* base = std::getenv("BATON_TEST_TMP");
    std::filesystem::path root = base != nullptr ? base : std::filesystem::current_path() / "test-scratch";
    path_ = root / ("results-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace baton::testing

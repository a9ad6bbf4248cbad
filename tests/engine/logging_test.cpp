// The run logger and log_prints: every line lands in the run that printed it.
#include "support.h"

#include <gtest/gtest.h>

#include <iostream>
#include <map>

namespace baton {
namespace {

using testing::RecordedEvents;

TEST(Logging, LoggerWritesToTheCurrentRun) {
  Future<void> run;
  auto t = baton::task("chatty", [] { baton::logger().warning("disk at {}%", 91); });
  auto f = baton::flow("log-flow", [&] {
    baton::logger().info("starting {}", "now");
    run = t.return_state();
  });
  f();
  auto task_logs = RecordedEvents::get().logs_of_task(run.task_run_id());
  ASSERT_EQ(task_logs.size(), 1u);
  EXPECT_EQ(task_logs[0].message, "disk at 91%");
  EXPECT_EQ(task_logs[0].level, LogLevel::Warning);
  bool flow_line = false;
  for (const auto& l : RecordedEvents::get().logs_of_flow(testing::last_flow_run())) {
    flow_line |= l.task_run.empty() && l.message == "starting now";
  }
  EXPECT_TRUE(flow_line);
}

TEST(Logging, DebugIsBelowTheDefaultLevel) {
  Future<void> run;
  auto t = baton::task("quiet", [] { baton::logger().debug("hidden {}", 1); });
  run = t.return_state();
  EXPECT_TRUE(RecordedEvents::get().logs_of_task(run.task_run_id()).empty());
}

TEST(LogPrints, ThousandConcurrentTasksEachLogTheirOwnLines) {
  auto shout = baton::task("shout", [](int i) {
    std::cout << "task " << i << " says hello" << std::endl;
    std::cout << "task " << i << " says bye\n";
  });
  std::vector<Future<void>> fs;
  auto f = baton::flow("shouting", [&] { fs = shout.map(std::views::iota(0, 1000)); })
               .log_prints(true)
               .task_runner(thread_pool(8));
  f();
  for (int i = 0; i < 1000; ++i) {
    auto logs = RecordedEvents::get().logs_of_task(fs[static_cast<std::size_t>(i)].task_run_id());
    ASSERT_EQ(logs.size(), 2u) << "task " << i;
    EXPECT_EQ(logs[0].message, "task " + std::to_string(i) + " says hello");
    EXPECT_EQ(logs[1].message, "task " + std::to_string(i) + " says bye");
  }
}

TEST(LogPrints, OffByDefaultAndTaskOptionOverridesTheFlow) {
  Future<void> silent, loud;
  auto quiet = baton::task("quiet-print", [] { std::cout << "not captured" << std::endl; }).log_prints(false);
  auto noisy = baton::task("noisy-print", [] { std::cout << "captured" << std::endl; });
  auto f = baton::flow("mixed", [&] {
    silent = quiet.return_state();
    loud = noisy.return_state();
  }).log_prints(true);
  f();
  EXPECT_TRUE(RecordedEvents::get().logs_of_task(silent.task_run_id()).empty());
  ASSERT_EQ(RecordedEvents::get().logs_of_task(loud.task_run_id()).size(), 1u);

  auto plain = baton::flow("plain-flow", [&] { loud = noisy.return_state(); });
  plain();
  EXPECT_TRUE(RecordedEvents::get().logs_of_task(loud.task_run_id()).empty());
}

TEST(LogPrints, APartialLineIsKeptWhenTheTaskEnds) {
  Future<void> run;
  auto t = baton::task("partial", [] { std::cout << "no newline at the end"; }).log_prints(true);
  run = t.return_state();
  auto logs = RecordedEvents::get().logs_of_task(run.task_run_id());
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].message, "no newline at the end");
}

}  // namespace
}  // namespace baton

// Flows: values, failures, parameters, child flows and waiting for their tasks.
#include "support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::RecordedEvents;

TEST(Flow, ReturnsItsValueAndRecordsParameters) {
  auto etl = BATON_FLOW("etl-params", [](const std::string& path, int months) { return path.size() + months; });
  EXPECT_EQ(etl("taxi.parquet", 3), 15u);
  auto run = RecordedEvents::get().flow_run(testing::last_flow_run());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(*run->flow_name, "etl-params");
  EXPECT_EQ(run->parameters_json, R"({"path":"taxi.parquet","months":3})");
  EXPECT_GT(run->pid, 0);
  EXPECT_FALSE(run->hostname.empty());
  EXPECT_EQ(RecordedEvents::get().state_types_of(run->id),
            (std::vector<StateType>{StateType::Running, StateType::Completed}));
}

TEST(Flow, FailureRethrowsAndIsRecorded) {
  auto bad = baton::flow("bad-flow", []() -> int { throw std::invalid_argument("no input"); });
  EXPECT_THROW(bad(), std::invalid_argument);
  auto states = RecordedEvents::get().states_of(testing::last_flow_run());
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back().type, StateType::Failed);
  EXPECT_EQ(states.back().message, "no input");
}

TEST(Flow, WaitsForSubmittedTasksBeforeFinishing) {
  std::atomic<int> finished{0};
  auto slow = baton::task("slow", [&] {
    std::this_thread::sleep_for(20ms);
    ++finished;
  });
  auto f = baton::flow("fire-and-forget", [&] {
    for (int i = 0; i < 4; ++i) slow.submit();
  }).task_runner(thread_pool(2));
  f();
  EXPECT_EQ(finished.load(), 4);
}

TEST(Flow, TaskRunsBelongToTheirFlowRun) {
  auto t = baton::task("member", [](int x) { return x; });
  auto f = baton::flow("owner", [&] {
    t(1);
    t.submit(2).wait();
    t.map(std::vector<int>{3, 4});
  });
  f();
  EXPECT_EQ(RecordedEvents::get().task_runs_of(testing::last_flow_run()).size(), 4u);
}

TEST(Flow, ChildFlowRunsAreLinkedToTheirParent) {
  auto child = baton::flow("child", [](int x) { return x * 2; });
  RunId child_id;
  auto parent = baton::flow("parent", [&] {
    int v = child(21);
    child_id = testing::last_flow_run();
    return v;
  });
  EXPECT_EQ(parent(), 42);
  RunId parent_id = testing::last_flow_run();
  auto c = RecordedEvents::get().flow_run(child_id);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->parent_flow_run, parent_id);
  EXPECT_TRUE(RecordedEvents::get().flow_run(parent_id)->parent_flow_run.empty());
}

TEST(Flow, DescriptionsAndParametersForTheCommandLine) {
  auto f = BATON_FLOW("cli-flow", [](const std::string& path, std::vector<int> months, bool dry_run,
                                     std::optional<double> scale) {
                 return path.size() + months.size() + dry_run + scale.has_value();
               })
               .description("loads things");
  auto params = f.parameters();
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params[0].name, "path");
  EXPECT_EQ(params[0].type, "string");
  EXPECT_EQ(params[1].type, "list[int]");
  EXPECT_EQ(params[2].type, "bool");
  EXPECT_EQ(params[3].type, "float?");
  EXPECT_TRUE(params[3].optional);
}

TEST(Flow, RunMainParsesTheCommandLine) {
  std::string got_path;
  std::vector<int> got_months;
  auto f = BATON_FLOW("main-flow", [&](const std::string& path, std::vector<int> months) {
    got_path = path;
    got_months = months;
  });
  const char* argv[] = {"prog", "--path", "x.parquet", "--months=1,2,3"};
  EXPECT_EQ(run_main(f, 4, const_cast<char**>(argv)), 0);
  EXPECT_EQ(got_path, "x.parquet");
  EXPECT_EQ(got_months, (std::vector<int>{1, 2, 3}));

  const char* bad[] = {"prog", "--path", "x", "--months", "one"};
  EXPECT_EQ(run_main(f, 5, const_cast<char**>(bad)), 2);
  const char* missing[] = {"prog", "--path", "x"};
  EXPECT_EQ(run_main(f, 3, const_cast<char**>(missing)), 2);
  const char* unknown[] = {"prog", "--nope", "1"};
  EXPECT_EQ(run_main(f, 3, const_cast<char**>(unknown)), 2);
}

TEST(Flow, RunMainExitCodeReflectsTheFinalState) {
  auto fails = baton::flow("failing-main", []() { throw std::runtime_error("broken"); });
  const char* argv[] = {"prog"};
  EXPECT_EQ(run_main(fails, 1, const_cast<char**>(argv)), 1);
}

}  // namespace
}  // namespace baton

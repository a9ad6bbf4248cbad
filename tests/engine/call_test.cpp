// Calling tasks directly: values, errors, states, names, hooks.
#include "support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace baton {
namespace {

using testing::RecordedEvents;

TEST(TaskCall, ReturnsTheValue) {
  auto add = BATON_TASK("add", [](int a, int b) { return a + b; });
  EXPECT_EQ(add(1, 2), 3);
  auto greet = baton::task("greet", [](const std::string& who) { return "hello " + who; });
  EXPECT_EQ(greet("world"), "hello world");  // a literal converts to the parameter type
}

TEST(TaskCall, VoidTasksRun) {
  int calls = 0;
  auto touch = baton::task("touch", [&calls]() { ++calls; });
  touch();
  touch();
  EXPECT_EQ(calls, 2);
}

TEST(TaskCall, MovesTheResultOutWithoutCopying) {
  struct Big {
    std::vector<int> data;
    Big() = default;
    Big(const Big&) { ADD_FAILURE() << "the result was copied"; }
    Big(Big&&) = default;
  };
  auto make = baton::task("make", [] {
    Big b;
    b.data.assign(1000, 7);
    return b;
  });
  Big b = make();
  EXPECT_EQ(b.data.size(), 1000u);
}

TEST(TaskCall, ArgumentsAreNotCopiedForDirectCalls) {
  struct Counted {
    int* copies;
    Counted(int* c) : copies(c) {}
    Counted(const Counted& o) : copies(o.copies) { ++*copies; }
  };
  int copies = 0;
  auto use = baton::task("use", [](const Counted& c) { return c.copies != nullptr; });
  Counted c(&copies);
  EXPECT_TRUE(use(c));
  EXPECT_EQ(copies, 0);
}

TEST(TaskCall, ThrowsTheTasksOwnException) {
  auto boom = baton::task("boom", [](int x) -> int { throw std::out_of_range("bad index " + std::to_string(x)); });
  try {
    boom(7);
    FAIL() << "expected an exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "bad index 7");
  }
}

TEST(TaskCall, ReturnStateGivesTheFinalStateInsteadOfThrowing) {
  auto boom = baton::task("boom", []() -> int { throw std::runtime_error("no luck"); });
  Future<int> run = boom.return_state();
  State s = run.state();
  EXPECT_EQ(s.type, StateType::Failed);
  EXPECT_EQ(s.message, "no luck");
  EXPECT_TRUE(s.is_final());
  EXPECT_THROW(run.result(), std::runtime_error);

  auto ok = baton::task("ok", [] { return 5; });
  Future<int> good = ok.return_state();
  EXPECT_EQ(good.state().type, StateType::Completed);
  EXPECT_EQ(good.result(), 5);
}

TEST(TaskCall, RecordsEveryTransitionWithTimestamps) {
  auto ok = baton::task("recorded", [] { return 1; });
  Future<int> run = ok.return_state();
  auto states = RecordedEvents::get().states_of(run.task_run_id());
  ASSERT_EQ(states.size(), 2u);  // Pending is recorded with the run's creation
  EXPECT_EQ(states[0].type, StateType::Running);
  EXPECT_EQ(states[1].type, StateType::Completed);
  EXPECT_LE(states[0].at, states[1].at);
}

TEST(TaskCall, ParameterNamesComeFromTheSourceText) {
  auto t = BATON_TASK("names", [](const std::string& path, std::vector<int> months, int n = 3) {
    return path.size() + months.size() + static_cast<std::size_t>(n);
  });
  EXPECT_EQ(t.options().param_names, (std::vector<std::string>{"path", "months", "n"}));
  auto run = t.return_state("x.parquet", std::vector<int>{1, 2}, 4);
  auto created = RecordedEvents::get().all();
  bool found = false;
  for (const auto& e : created) {
    if (auto* c = std::get_if<engine::TaskRunCreated>(&e); c && c->id == run.task_run_id()) {
      EXPECT_EQ(c->parameters_json, R"({"path":"x.parquet","months":[1,2],"n":4})");
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(TaskCall, RunNameTemplateIsFilledFromArguments) {
  auto load = BATON_TASK("load", [](const std::string& path, int month) { return path.size() + month; }).task_run_name(
      "load-{path}-{month}");
  auto run = load.return_state("taxi.parquet", 3);
  EXPECT_EQ(run.run_name(), "load-taxi.parquet-3");
  auto plain = baton::task("plain", [] { return 0; });
  EXPECT_EQ(plain.return_state().run_name().rfind("plain-", 0), 0u);
}

TEST(TaskCall, HooksSeeTheFinalState) {
  std::vector<std::string> seen;
  auto t = baton::task("hooked", [](bool fail) {
             if (fail) throw std::runtime_error("failed on purpose");
             return 1;
           })
               .on_completion([&](const TaskRunInfo& info, const State& s) {
                 seen.push_back("completed " + std::string(info.task_name) + " " + std::string(s.name()));
               })
               .on_failure([&](const TaskRunInfo&, const State& s) { seen.push_back("failed " + s.message); });
  t(false);
  EXPECT_THROW(t(true), std::runtime_error);
  EXPECT_EQ(seen, (std::vector<std::string>{"completed hooked Completed", "failed failed on purpose"}));
}

// A hook, a retry condition or a flow hook may throw anything; before, only
// std::exception was caught and `throw 42` ended the program in std::terminate.
TEST(TaskCall, HooksAndRetryConditionsThatThrowAnythingAreReportedNotFatal) {
  auto hooked = baton::task("throws_int_in_hook", [] { return 1; }).on_completion([](const TaskRunInfo&, const State&) {
    throw 42;
  });
  Future<int> run = hooked.return_state();
  EXPECT_EQ(run.result(), 1);
  bool logged = false;
  for (const auto& l : RecordedEvents::get().logs_of_task(run.task_run_id())) {
    logged |= l.level == LogLevel::Error && l.message.find("a state hook threw: unknown exception") != std::string::npos;
  }
  EXPECT_TRUE(logged) << "the hook's error was not logged";

  int calls = 0;
  auto picky = baton::task("throws_int_in_retry_condition", [&]() -> int {
                 ++calls;
                 throw std::runtime_error("body failed");
               })
                   .retries(3)
                   .retry_condition([](const State&) -> bool { throw 7; });
  Future<int> failed = picky.return_state();
  EXPECT_EQ(failed.state().type, StateType::Failed);
  EXPECT_EQ(calls, 1) << "a retry condition that threw still retried";
  EXPECT_NE(failed.state().message.find("retry condition threw: unknown exception"), std::string::npos)
      << failed.state().message;

  auto flow = baton::flow("throws_int_in_flow_hook", [] { return 5; }).on_completion([](const FlowRunInfo&, const State&) {
    throw 'x';
  });
  EXPECT_EQ(flow(), 5);
}

TEST(TaskCall, QuotedArgumentsPassThrough) {
  auto len = baton::task("len", [](const std::vector<int>& v) { return v.size(); });
  std::vector<int> big(10000, 1);
  EXPECT_EQ(len(quote(big)), 10000u);
}

TEST(TaskCall, TasksCanCallTasks) {
  auto inner = baton::task("inner", [](int x) { return x * 2; });
  auto outer = baton::task("outer", [&](int x) { return inner(x) + 1; });
  EXPECT_EQ(outer(20), 41);
}

TEST(TaskCall, OptionsAreCopiedOnWrite) {
  auto base = baton::task("base", [] { return 1; });
  auto tagged = base;
  tagged.tags({"nightly"});
  EXPECT_TRUE(base.options().tags.empty());
  EXPECT_EQ(tagged.options().tags, std::vector<std::string>{"nightly"});
}

}  // namespace
}  // namespace baton

// The rest of issue 12 (Prefect parity) in the model: persisted child flows,
// map's accepted forms, the run context, the state taxonomy, flow states as
// values and allow_failure on data arguments.
#include "support.h"
#include "testutil/temp_dir.h"

#include "engine/flow_run.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::RecordedEvents;

class Model : public ::testing::Test {
 protected:
  testing::TempDir dir_{"baton-model"};
  std::shared_ptr<ResultStorage> storage_ = make_local_storage(dir_.str());
};

// ---- Defect 6: a persisted child flow is not run again when its parent retries.

TEST_F(Model, APersistedChildFlowThatCompletedIsLoadedNotRunAgainWhenItsParentRetries) {
  std::atomic<int> child_calls{0};
  std::atomic<int> parent_calls{0};
  auto child = baton::flow("persisted_child", [&](int x) { return x * 10 + ++child_calls; })
                   .persist_result(true)
                   .result_storage(storage_);
  auto parent = baton::flow("retrying_parent", [&](int x) {
                  int v = child(x);
                  if (++parent_calls == 1) throw std::runtime_error("the parent fails after its child");
                  return v;
                }).retries(1);
  EXPECT_EQ(parent(4), 41);
  EXPECT_EQ(parent_calls.load(), 2);
  EXPECT_EQ(child_calls.load(), 1) << "the completed child flow ran again on the parent's retry";
  auto runs = RecordedEvents::get().flow_runs_named("persisted_child");
  ASSERT_GE(runs.size(), 2u);
  EXPECT_EQ(RecordedEvents::get().state_types_of(runs[runs.size() - 2].id).back(), StateType::Completed);
  EXPECT_EQ(RecordedEvents::get().state_types_of(runs.back().id).back(), StateType::Cached);
  // Another parent run is another identity: the child runs there.
  EXPECT_EQ(parent(4), 42);
  EXPECT_EQ(child_calls.load(), 2);
}

TEST_F(Model, AChildFlowWithoutPersistResultRunsAgainWhenItsParentRetries) {
  std::atomic<int> child_calls{0};
  std::atomic<int> parent_calls{0};
  auto child = baton::flow("unpersisted_child", [&](int x) { return x + ++child_calls; });
  auto parent = baton::flow("retrying_parent2", [&](int x) {
                  int v = child(x);
                  if (++parent_calls == 1) throw std::runtime_error("again");
                  return v;
                }).retries(1);
  EXPECT_EQ(parent(1), 3);
  EXPECT_EQ(child_calls.load(), 2);
}


// ---- Defect 10: the map forms Prefect accepts.

TEST(ModelMap, MapsOverAQuotedListElementByElement) {
  auto twice = baton::task("twice_quoted", [](int x) { return 2 * x; });
  auto all = baton::flow("map-quoted", [&] {
    std::vector<int> out;
    for (auto& f : twice.map(quote(std::vector<int>{1, 2, 3}))) out.push_back(f.result());
    return out;
  });
  EXPECT_EQ(all(), (std::vector<int>{2, 4, 6}));
}

TEST(ModelMap, ResolvesAFutureOfARangeThenMapsOverIt) {
  auto rows = baton::task("rows", [](int n) {
    std::vector<int> v;
    for (int i = 1; i <= n; ++i) v.push_back(i);
    return v;
  });
  auto square = baton::task("square", [](int x) { return x * x; });
  RunId rows_id;
  auto all = baton::flow("map-future", [&] {
    auto r = rows.submit(3);
    rows_id = r.task_run_id();
    std::vector<int> out;
    for (auto& f : square.map(r)) out.push_back(f.result());
    return out;
  });
  EXPECT_EQ(all(), (std::vector<int>{1, 4, 9}));
  // Each mapped run records the future's run as its upstream.
  auto edges = RecordedEvents::get().edges_of(testing::last_flow_run());
  EXPECT_EQ(std::count_if(edges.begin(), edges.end(), [&](const auto& e) { return e.upstream == rows_id; }), 3);
}

TEST(ModelMap, BroadcastsPlainScalarsNextToRanges) {
  auto scale = baton::task("scale", [](int x, int factor, const std::string& unit) {
    return std::to_string(x * factor) + unit;
  });
  auto all = baton::flow("map-scalars", [&] {
    std::vector<std::string> out;
    for (auto& f : scale.map(std::vector<int>{1, 2}, 10, std::string("kg"))) out.push_back(f.result());
    return out;
  });
  EXPECT_EQ(all(), (std::vector<std::string>{"10kg", "20kg"}));
}

TEST(ModelMap, AFailedFutureOfARangeIsRaisedAtTheMapCall) {
  auto rows = baton::task("rows_fail", [](int) -> std::vector<int> { throw std::runtime_error("no rows"); });
  auto id = baton::task("ident", [](int x) { return x; });
  auto f = baton::flow("map-failed-future", [&] { return id.map(rows.submit(1)).size(); });
  EXPECT_THROW(f(), std::runtime_error);
}

// ---- Run context and name templates.

TEST(ModelContext, ABodySeesItsRunItsAttemptItsParametersAndItsFlowRun) {
  std::vector<CurrentRun> seen;
  std::mutex mu;
  std::atomic<int> calls{0};
  auto t = BATON_TASK("ctx_task", [&](int month) {
             { std::lock_guard lock(mu); seen.push_back(run_context()); }
             if (++calls == 1) throw std::runtime_error("first attempt");
             return month;
           }).retries(1).tags({"nightly"});
  CurrentRun flow_seen;
  auto f = BATON_FLOW("ctx_flow", [&](int month) {
             flow_seen = run_context();
             return t(month);
           }).flow_run_name("etl-{month}");
  EXPECT_EQ(f(7), 7);
  ASSERT_EQ(seen.size(), 2u);
  ASSERT_TRUE(seen[1].task_run && seen[1].flow_run);
  EXPECT_EQ(seen[0].task_run->run_count, 1);
  EXPECT_EQ(seen[1].task_run->run_count, 2);
  EXPECT_EQ(seen[1].task_run->task_name, "ctx_task");
  EXPECT_EQ(seen[1].task_run->parameters, "{\"month\":7}");
  EXPECT_EQ(seen[1].task_run->tags, std::vector<std::string>{"nightly"});
  EXPECT_EQ(seen[1].task_run->flow_run_id, testing::last_flow_run());
  EXPECT_EQ(seen[1].flow_run->name, "etl-7");
  EXPECT_EQ(seen[1].flow_run->flow_name, "ctx_flow");
  ASSERT_TRUE(flow_seen.flow_run);
  EXPECT_FALSE(flow_seen.task_run);
  EXPECT_EQ(flow_seen.flow_run->parameters, "{\"month\":7}");
  EXPECT_EQ(flow_seen.flow_run->run_count, 1);
  EXPECT_FALSE(run_context().task_run || run_context().flow_run) << "outside any run";
}

TEST(ModelContext, HooksSeeTheRunTheyReportOn) {
  std::string hook_saw;
  auto t = baton::task("ctx_hooked", [](int x) { return x; }).on_completion([&](const TaskRunInfo&, const State&) {
    auto ctx = run_context();
    hook_saw = ctx.task_run ? ctx.task_run->task_name : "nothing";
  });
  std::string flow_hook_saw;
  auto f = baton::flow("ctx_hooked_flow", [&] { return t(1); }).on_completion([&](const FlowRunInfo&, const State&) {
    auto ctx = run_context();
    flow_hook_saw = ctx.flow_run ? ctx.flow_run->name : "nothing";
  });
  f();
  EXPECT_EQ(hook_saw, "ctx_hooked");
  EXPECT_EQ(flow_hook_saw, detail::last_flow_run_name());
}

TEST(ModelContext, RunNameTemplatesFillRunFieldsAndRefuseUnknownPlaceholders) {
  auto t = BATON_TASK("named", [](int row) { return row; }).task_run_name("{flow_run.name}-{task_run.task_name}-{row}");
  std::string name;
  auto f = baton::flow("names-flow", [&] {
             auto fut = t.submit(3);
             name = fut.run_name();
             return fut.result();
           }).flow_run_name("nightly");
  f();
  EXPECT_EQ(name, "nightly-named-3");
  auto bad = BATON_TASK("bad_name", [](int row) { return row; }).task_run_name("x-{rwo}");
  try {
    bad(1);
    FAIL() << "an unknown placeholder was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown placeholder {rwo}"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("row"), std::string::npos) << e.what();
  }
  auto bad_flow = baton::flow("bad-flow-name", [] {}).flow_run_name("run-{flow_run.nme}");
  EXPECT_THROW(bad_flow(), std::invalid_argument);
}

TEST(ModelContext, RunNameCallablesSeeTheRunsParameters) {
  auto t = BATON_TASK("callable_named", [](int row) { return row; }).task_run_name([] {
    return "row-" + run_context().task_run->parameters;
  });
  auto f = BATON_FLOW("callable-flow", [&](int n) { return t.submit(n).run_name(); }).flow_run_name([] {
    return "flow-of-" + run_context().flow_run->flow_name;
  });
  EXPECT_EQ(f(5), "row-{\"row\":5}");
  EXPECT_EQ(detail::last_flow_run_name(), "flow-of-callable-flow");
}

TEST_F(Model, AStorageKeyTemplateUsesRunFieldsAndAnUnknownPlaceholderFailsTheRun) {
  auto t = BATON_TASK("keyed_by_flow", [](int m) { return m; })
               .persist_result(true)
               .result_storage(storage_)
               .result_storage_key("{flow_run.flow_name}/{m}.bin");
  auto f = baton::flow("key-flow", [&] { return t(2); });
  EXPECT_EQ(f(), 2);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "key-flow" / "2.bin"));
  auto bad = BATON_TASK("badly_keyed", [](int m) { return m; })
                 .persist_result(true)
                 .result_storage(storage_)
                 .result_storage_key("{flow_run.nmae}/{m}.bin");
  Future<int> run = bad.return_state(1);
  EXPECT_EQ(run.state().type, StateType::Failed);
  EXPECT_NE(run.state().message.find("unknown placeholder {flow_run.nmae}"), std::string::npos) << run.state().message;
}

// ---- State taxonomy: Prefect's type and name.

TEST(ModelStates, EveryStateHasPrefectsTypeAndName) {
  struct Case {
    StateType name;
    StateKind kind;
  };
  const Case cases[] = {
      {StateType::Scheduled, StateKind::Scheduled}, {StateType::Pending, StateKind::Pending},
      {StateType::Running, StateKind::Running},     {StateType::Retrying, StateKind::Running},
      {StateType::AwaitingRetry, StateKind::Scheduled}, {StateType::Completed, StateKind::Completed},
      {StateType::Cached, StateKind::Completed},    {StateType::Failed, StateKind::Failed},
      {StateType::TimedOut, StateKind::Failed},     {StateType::Crashed, StateKind::Crashed},
      {StateType::Cancelled, StateKind::Cancelled}, {StateType::NotReady, StateKind::Pending},
  };
  for (const auto& c : cases) EXPECT_EQ(kind_of(c.name), c.kind) << to_string(c.name);
  State timed_out{StateType::TimedOut, {}, "too slow", nullptr};
  EXPECT_EQ(timed_out.name(), "TimedOut");
  EXPECT_EQ(to_string(timed_out.kind()), "FAILED");
  EXPECT_TRUE(timed_out.is_failed());
  EXPECT_TRUE(timed_out.is_final());
  EXPECT_FALSE(timed_out.is_completed());
  State retrying{StateType::Retrying, {}, "", nullptr};
  EXPECT_TRUE(retrying.is_running());
  EXPECT_FALSE(retrying.is_final());
  EXPECT_TRUE((State{StateType::AwaitingRetry, {}, "", nullptr}.is_scheduled()));
  EXPECT_TRUE((State{StateType::NotReady, {}, "", nullptr}.is_pending()));
  EXPECT_TRUE((State{StateType::Cached, {}, "", nullptr}.is_completed()));
  EXPECT_TRUE((State{StateType::Cancelled, {}, "", nullptr}.is_cancelled()));
  EXPECT_TRUE((State{StateType::Crashed, {}, "", nullptr}.is_crashed()));
}

TEST(ModelStates, AFailedTaskRunsStateIsOfTypeFailed) {
  auto t = baton::task("kind_fails", [](int) -> int { throw std::runtime_error("x"); }).timeout(10s);
  auto s = t.return_state(1).state();
  EXPECT_TRUE(s.is_failed());
  EXPECT_EQ(s.kind(), StateKind::Failed);
}

// ---- Flow states as values.

TEST(ModelFlowState, ReturnStateGivesTheFinishedRunsStateWithoutThrowing) {
  auto ok = baton::flow("rs-ok", [](int x) { return x + 1; });
  State done = ok.return_state(1);
  EXPECT_EQ(done.type, StateType::Completed);
  auto boom = baton::flow("rs-boom", [](int) -> int { throw std::runtime_error("flow broke"); });
  State failed = boom.return_state(1);
  EXPECT_EQ(failed.type, StateType::Failed);
  EXPECT_EQ(failed.message, "flow broke");
  EXPECT_TRUE(failed.error != nullptr);
}

TEST(ModelFlowState, ABodyReturningFailedEndsItsRunFailedWithThatMessage) {
  std::atomic<int> calls{0};
  auto f = baton::flow("returns-failed-state", [&](int rows) -> State {
             ++calls;
             if (rows == 0) return baton::Failed("no rows to load");
             return baton::Completed();
           }).retries(1);
  State s = f.return_state(0);
  EXPECT_EQ(s.type, StateType::Failed);
  EXPECT_EQ(s.message, "no rows to load");
  EXPECT_EQ(calls.load(), 2) << "a returned Failed state is retried like a throw";
  EXPECT_THROW(f(0), Error);
  EXPECT_EQ(f(3).type, StateType::Completed);
  EXPECT_EQ(detail::last_flow_run_state().type, StateType::Completed);
}

TEST(ModelFlowState, ABodyReturningCancelledEndsItsRunCancelledWithoutRetrying) {
  std::atomic<int> calls{0};
  auto f = baton::flow("returns-cancelled", [&]() -> State {
             ++calls;
             return baton::Cancelled("nothing to do today");
           }).retries(2);
  State s = f.return_state();
  EXPECT_EQ(s.type, StateType::Cancelled);
  EXPECT_EQ(s.message, "nothing to do today");
  EXPECT_EQ(calls.load(), 1);
  auto states = RecordedEvents::get().state_types_of(testing::last_flow_run());
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), StateType::Cancelled);
  EXPECT_THROW(f(), CancelledError);
}

// ---- allow_failure on a data argument.

TEST(ModelAllowFailure, TheDownstreamReceivesTheUpstreamsValueOrItsError) {
  auto load = baton::task("af_load", [](int x) -> int {
    if (x < 0) throw std::invalid_argument("negative input " + std::to_string(x));
    return x * 2;
  });
  auto report = baton::task("af_report", [](const Outcome<int>& o) -> std::string {
    if (o.ok()) return "value " + std::to_string(o.value());
    EXPECT_THROW(o.value(), std::invalid_argument);
    EXPECT_TRUE(o.error() != nullptr);
    return std::string(o.state().name()) + ": " + o.message();
  });
  RunId failed_id;
  auto f = baton::flow("allow-failure-data", [&] {
    auto bad = load.submit(-1);
    failed_id = bad.task_run_id();
    auto good = load.submit(4);
    return std::vector<std::string>{report.submit(allow_failure(bad)).result(), report(allow_failure(good))};
  });
  EXPECT_EQ(f(), (std::vector<std::string>{"Failed: negative input -1", "value 8"}));
  auto edges = RecordedEvents::get().edges_of(testing::last_flow_run());
  EXPECT_TRUE(std::any_of(edges.begin(), edges.end(), [&](const auto& e) {
    return e.upstream == failed_id && e.kind == engine::EdgeKind::Data;
  })) << "allow_failure(f) as an argument is a data dependency";
}

// ---- Hooks, tags in scope, as_completed with a timeout.

TEST(ModelHooks, OnRunningFiresAtEachAttemptAndAThrowingHookChangesNothing) {
  std::vector<std::string> seen;
  std::mutex mu;
  std::atomic<int> calls{0};
  auto t = baton::task("running_hooked", [&](int x) {
             if (++calls == 1) throw std::runtime_error("once");
             return x;
           })
               .retries(1)
               .on_running([&](const TaskRunInfo& info, const State& s) {
                 std::lock_guard lock(mu);
                 seen.push_back(std::string(s.name()) + "#" + std::to_string(info.run_count));
               })
               .on_running([](const TaskRunInfo&, const State&) { throw std::runtime_error("hook broke"); });
  std::vector<std::string> flow_seen;
  bool cancelled_hook = false;
  auto f = baton::flow("running-hooked-flow", [&]() -> State {
             t(1);
             return baton::Cancelled("stop here");
           })
               .on_running([&](const FlowRunInfo& info, const State& s) {
                 flow_seen.push_back(std::string(s.name()) + "#" + std::to_string(info.run_count));
               })
               .on_cancellation([&](const FlowRunInfo&, const State& s) { cancelled_hook = s.type == StateType::Cancelled; });
  EXPECT_EQ(f.return_state().type, StateType::Cancelled);
  EXPECT_EQ(seen, (std::vector<std::string>{"Running#1", "Retrying#2"}));
  EXPECT_EQ(flow_seen, std::vector<std::string>{"Running#1"});
  EXPECT_TRUE(cancelled_hook);
}

TEST(ModelTags, ATagsScopeAddsItsTagsToEveryRunCreatedInside) {
  auto t = baton::task("scoped_task", [](int) { return run_context().task_run->tags; }).tags({"own"});
  auto f = baton::flow("scoped-flow", [&] {
    std::vector<std::string> flow_tags = run_context().flow_run->tags;
    std::vector<std::string> task_tags = t(1);
    flow_tags.insert(flow_tags.end(), task_tags.begin(), task_tags.end());
    return flow_tags;
  });
  {
    tags_scope outer({"nightly"});
    tags_scope inner({"eu", "nightly"});
    EXPECT_EQ(f(), (std::vector<std::string>{"nightly", "eu", "own", "nightly", "eu"}));
    auto created = RecordedEvents::get().flow_run(testing::last_flow_run());
    ASSERT_TRUE(created);
    EXPECT_EQ(created->tags_json, "[\"nightly\",\"eu\"]");
  }
  EXPECT_EQ(f(), std::vector<std::string>{"own"}) << "the scope's tags outlived it";
}

TEST(ModelAsCompleted, ATimeoutNamesHowManyFuturesAreUnfinished) {
  std::atomic<bool> release{false};
  auto quick = baton::task("ac_quick", [](int x) { return x; });
  auto slow = baton::task("ac_slow", [&](int x) {
    while (!release) std::this_thread::sleep_for(1ms);
    return x;
  });
  auto f = baton::flow("as-completed-timeout", [&] {
             std::vector<Future<int>> futures{slow.submit(2), quick.submit(1)};
             std::vector<int> got;
             try {
               for (const auto& fut : as_completed(futures, 200ms)) got.push_back(fut.result());
             } catch (const TimeoutError& e) {
               EXPECT_NE(std::string(e.what()).find("1 of 2 futures are unfinished"), std::string::npos) << e.what();
               got.push_back(-1);
             }
             release = true;
             return got;
           }).task_runner(thread_pool(2));
  EXPECT_EQ(f(), (std::vector<int>{1, -1}));
  std::vector<Future<int>> none;
  EXPECT_THROW(as_completed(none, -1s), std::invalid_argument);
}


// ---- Persisting failures.

TEST_F(Model, APersistedFailureStoresTheErrorTextWhereTheHistoryPointsToIt) {
  auto t = baton::task("fails_persisted", [](int x) -> int { throw std::runtime_error("row " + std::to_string(x) + " is bad"); })
               .persist_failures()
               .result_storage(storage_);
  Future<int> run = t.return_state(7);
  EXPECT_EQ(run.state().type, StateType::Failed);
  bool recorded = false;
  for (const auto& e : RecordedEvents::get().all()) {
    if (const auto* r = std::get_if<engine::ResultRecorded>(&e); r != nullptr && r->task_run == run.task_run_id()) {
      recorded = r->location.find("failures/" + run.task_run_id().str()) != std::string::npos;
    }
  }
  EXPECT_TRUE(recorded) << "no result record for the failure";
  std::ifstream payload(dir_.path() / "failures" / run.task_run_id().str(), std::ios::binary);
  ASSERT_TRUE(payload) << "no payload under failures/<run id>";
  std::string bytes((std::istreambuf_iterator<char>(payload)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find("row 7 is bad"), std::string::npos);
  // Without the option nothing is stored.
  auto plain = baton::task("fails_plain", [](int) -> int { throw std::runtime_error("x"); }).result_storage(storage_);
  Future<int> other = plain.return_state(1);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "failures" / other.task_run_id().str()));
}


// ---- Pause and resume.

class ModelPause : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("BATON_HOME", home_.str().c_str(), 1); }
  void TearDown() override { ::unsetenv("BATON_HOME"); }
  testing::TempDir home_{"baton-pause"};
};

TEST_F(ModelPause, APausedFlowRunWaitsUntilItsResumeFileAppears) {
  std::atomic<bool> paused_seen{false};
  RunId id;
  std::atomic<bool> have_id{false};
  auto f = baton::flow("pausing", [&] {
    id = run_context().flow_run->id;
    have_id = true;
    pause_flow_run(10s);
    return paused_seen.load();
  });
  std::thread resumer([&] {
    while (!have_id) std::this_thread::sleep_for(1ms);
    // The history says Paused before anyone resumes (the engine flushes it).
    for (int i = 0; i < 2000 && !paused_seen; ++i) {
      auto types = RecordedEvents::get().state_types_of(id);
      paused_seen = !types.empty() && types.back() == StateType::Paused;
      if (!paused_seen) std::this_thread::sleep_for(5ms);
    }
    std::filesystem::create_directories(home_.path() / "resume");
    std::ofstream(home_.path() / "resume" / id.str()).put('\n');
  });
  EXPECT_TRUE(f());
  resumer.join();
  EXPECT_EQ(RecordedEvents::get().state_types_of(id),
            (std::vector<StateType>{StateType::Running, StateType::Paused, StateType::Running, StateType::Completed}));
  EXPECT_FALSE(std::filesystem::exists(home_.path() / "resume" / id.str())) << "the resume file is consumed";
}

TEST_F(ModelPause, APausePastItsTimeoutFailsTheRunAndATaskCannotPause) {
  auto f = baton::flow("pause-timeout", [] { pause_flow_run(100ms); });
  State s = f.return_state();
  EXPECT_EQ(s.type, StateType::Failed);
  EXPECT_NE(s.message.find("paused longer than its timeout of 0.1s"), std::string::npos) << s.message;
  auto t = baton::task("pausing_task", [](int) { pause_flow_run(1s); return 0; });
  auto g = baton::flow("task-pauses", [&] { return t(1); });
  EXPECT_THROW(g(), Error);
  EXPECT_THROW(pause_flow_run(1s), Error) << "outside any flow";
}

}  // namespace
}  // namespace baton

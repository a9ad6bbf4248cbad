// The example flows, run as programs; the `baton` command shows what they did.
#include "testutil/process.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <fstream>
#include <set>
#include <thread>

namespace baton::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class Examples : public ::testing::Test {
 protected:
  std::map<std::string, std::string> env() const {
    return {{"BATON_HOME", home_.str()}, {"BATON_HEARTBEAT_SECONDS", "0.2"}, {"BATON_LOG_LEVEL", "INFO"}};
  }
  Output baton(std::vector<std::string> args) const {
    args.insert(args.begin(), BATON_CLI_PATH);
    return run(args, env());
  }
  json baton_json(std::vector<std::string> args) const {
    args.push_back("--json");
    Output o = baton(args);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    return json::parse(o.out.empty() ? "null" : o.out);
  }
  json flow_runs() const { return baton_json({"flow-run", "ls", "--limit", "100"}); }
  json task_runs(const std::string& flow_run) const { return baton_json({"task-run", "ls", "--flow-run", flow_run}); }

  // The single flow run of this test's store, once it is in `state`.
  json wait_for_flow_run(const std::string& state) const {
    json found;
    eventually([&] {
      json runs = flow_runs();
      if (runs.size() == 1 && runs[0]["state"] == state) found = runs[0];
      return !found.is_null();
    });
    return found;
  }

  TempDir home_;
};

TEST_F(Examples, AProgramIncludingOnlyFlowAndTaskHeadersRecordsItsHistory) {
  Output o = run({TWO_HEADERS_FLOW_PATH}, env());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "42\n");

  json runs = flow_runs();
  ASSERT_EQ(runs.size(), 1u) << "no history recorded: the default run store was not wired";
  EXPECT_EQ(runs[0]["flow_name"], "two_headers");
  EXPECT_EQ(runs[0]["state"], "Completed");
  EXPECT_EQ(runs[0]["task_run_count"], 1);
}

TEST_F(Examples, ABadSettingEndsTheProgramWithItsMessageAndStatusTwo) {
  for (auto [name, value] : {std::pair<std::string, std::string>{"BATON_LOG_LEVEL", "LOUD"},
                             {"BATON_WORKERS", "2147483648"}, {"BATON_PERSIST_RESULTS", "maybe"},
                             {"BATON_CACHE", "perhaps"}, {"BATON_HEARTBEAT_SECONDS", "-1"}}) {
    auto e = env();
    e[name] = value;
    Output o = run({HELLO_FLOW_PATH, "--name", "world", "--count", "2"}, e);
    EXPECT_EQ(o.exit_code, 2) << name << "=" << value << ": " << o.err;
    EXPECT_NE(o.err.find(name + "=" + value), std::string::npos) << o.err;
  }
}

TEST_F(Examples, HelloFlowIsRecordedAndShownByTheCli) {
  Output o = run({HELLO_FLOW_PATH, "--name", "world", "--count", "4"}, env());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("hello, world!"), std::string::npos);
  EXPECT_NE(o.err.find("baton flow-run inspect"), std::string::npos) << o.err;

  json runs = flow_runs();
  ASSERT_EQ(runs.size(), 1u);
  const json& run0 = runs[0];
  EXPECT_EQ(run0["flow_name"], "hello");
  EXPECT_EQ(run0["state"], "Completed");
  EXPECT_EQ(run0["parameters"], json({{"name", "world"}, {"count", 4}}));
  EXPECT_EQ(run0["task_run_count"], 6);  // greet, 4 squares, flaky_sum
  const std::string id = run0["id"];

  json tasks = task_runs(id.substr(0, 8));  // a unique prefix is enough
  ASSERT_EQ(tasks.size(), 6u);
  bool retried = false;
  for (const auto& t : tasks) {
    EXPECT_EQ(t["state"], "Completed") << t.dump();
    if (t["run_name"].get<std::string>().rfind("flaky_sum", 0) == 0) {
      std::vector<std::string> states;
      for (const auto& h : t["state_history"]) states.push_back(h["state"]);
      // No retry delay: straight to Retrying, as in Prefect.
      retried = states == std::vector<std::string>{"Pending", "Running", "Retrying", "Completed"};
    }
  }
  EXPECT_TRUE(retried) << tasks.dump(2);

  Output logs = baton({"flow-run", "logs", id});
  EXPECT_EQ(logs.exit_code, 0);
  EXPECT_NE(logs.out.find("hello, world!"), std::string::npos) << logs.out;  // captured by log_prints
  EXPECT_NE(logs.out.find("sum of the first 4 squares: 30"), std::string::npos) << logs.out;

  Output inspect = baton({"flow-run", "inspect", id});
  EXPECT_EQ(inspect.exit_code, 0);
  EXPECT_NE(inspect.out.find("square-3"), std::string::npos) << inspect.out;  // task_run_name template
  EXPECT_NE(inspect.out.find("Dependencies"), std::string::npos) << inspect.out;
}

TEST_F(Examples, FlowProgramsExplainTheirParameters) {
  Output help = run({HELLO_FLOW_PATH, "--help"}, env());
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--name"), std::string::npos);
  EXPECT_NE(help.out.find("--count"), std::string::npos);
  EXPECT_NE(help.out.find("int"), std::string::npos);
  Output bad = run({HELLO_FLOW_PATH, "--name", "x", "--count", "many"}, env());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'many' is not a valid int"), std::string::npos) << bad.err;
  EXPECT_TRUE(flow_runs().empty());  // nothing ran
}

TEST_F(Examples, AKilledProcessLeavesItsRunCrashed) {
  Background flow({SLOW_FLOW_PATH, "--steps", "100", "--step-ms", "100"}, env());
  json running = wait_for_flow_run("Running");
  ASSERT_FALSE(running.is_null()) << "the flow run never showed as Running";
  const std::string id = running["id"];
  // Wait until some task runs are recorded (they are written once final or after
  // a short delay), so there are unfinished ones to mark.
  ASSERT_TRUE(eventually([&] { return task_runs(id).size() >= 3; }));
  flow.kill(SIGKILL);
  EXPECT_EQ(flow.wait(), -SIGKILL);

  json after = flow_runs();  // the CLI marks the runs of dead processes on start
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["state"], "Crashed");
  EXPECT_NE(after[0]["state_message"].get<std::string>().find(std::to_string(flow.pid())), std::string::npos)
      << after[0].dump();
  for (const auto& t : task_runs(id)) {
    std::string s = t["state"];
    EXPECT_TRUE(s == "Completed" || s == "Crashed") << t.dump();
  }
}

TEST_F(Examples, CancelFromAnotherTerminal) {
  auto e = env();
  e["BATON_WORKERS"] = "1";
  Background flow({SLOW_FLOW_PATH, "--steps", "40", "--step-ms", "200"}, e);
  json running = wait_for_flow_run("Running");
  ASSERT_FALSE(running.is_null());
  const std::string id = running["id"];
  Output cancel = baton({"flow-run", "cancel", id.substr(0, 8)});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_EQ(flow.wait(), 1);  // the program reports the flow run did not complete

  json runs = flow_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["state"], "Cancelled");
  json tasks = task_runs(id);
  int cancelled = 0;
  for (const auto& t : tasks) {
    std::string s = t["state"];
    EXPECT_TRUE(s == "Completed" || s == "Cancelled") << t.dump();
    cancelled += s == "Cancelled";
  }
  EXPECT_GT(cancelled, 0);
  Output again = baton({"flow-run", "cancel", id});
  EXPECT_NE(again.exit_code, 0);  // already final
}

TEST_F(Examples, SeveralProcessesWriteOneStoreAndLoseNothing) {
  std::vector<std::unique_ptr<Background>> flows;
  for (int i = 0; i < 4; ++i) {
    flows.push_back(std::make_unique<Background>(
        std::vector<std::string>{HELLO_FLOW_PATH, "--name", "p" + std::to_string(i), "--count", "50"}, env()));
  }
  for (auto& f : flows) EXPECT_EQ(f->wait(), 0);
  json runs = flow_runs();
  ASSERT_EQ(runs.size(), 4u);
  std::set<std::string> names;
  for (const auto& r : runs) {
    EXPECT_EQ(r["state"], "Completed");
    EXPECT_EQ(r["task_run_count"], 52);
    names.insert(r["parameters"]["name"].get<std::string>());
    EXPECT_EQ(task_runs(r["id"]).size(), 52u);
  }
  EXPECT_EQ(names.size(), 4u);
}

TEST_F(Examples, TaxiEtlSecondRunIsServedFromCache) {
  const std::string data = home_.str() + "/data";
  std::vector<std::string> cmd = {TAXI_ETL_PATH, "--months", "2", "--data-dir", data, "--rows", "20000"};
  Output first = run(cmd, env());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("tip_fraction"), std::string::npos);  // info() of the transformed table
  Output second = run(cmd, env());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto summary = [](const std::string& out) {  // the per-month lines
    std::string lines;
    for (std::size_t p = out.find("\n2024-"); p != std::string::npos; p = out.find("\n2024-", p + 1)) {
      lines += out.substr(p + 1, out.find('\n', p + 1) - p);
    }
    return lines;
  };
  EXPECT_FALSE(summary(first.out).empty()) << first.out;
  EXPECT_EQ(summary(first.out), summary(second.out));

  json runs = flow_runs();  // newest first
  ASSERT_EQ(runs.size(), 2u);
  int cached = 0;
  for (const auto& t : task_runs(runs[0]["id"])) {
    if (t["run_name"].get<std::string>().rfind("transform", 0) == 0) {
      EXPECT_EQ(t["state"], "Cached") << t.dump();
      ++cached;
    }
  }
  EXPECT_EQ(cached, 2);
  json inspect = baton_json({"flow-run", "inspect", runs[0]["id"]});
  int from_cache = 0;
  for (const auto& r : inspect["results"]) from_cache += r["from_cache"].get<bool>();
  EXPECT_EQ(from_cache, 2) << inspect["results"].dump(2);
  Output cache_ls = baton({"cache", "ls"});
  EXPECT_EQ(cache_ls.exit_code, 0);
  EXPECT_NE(cache_ls.out.find("transform"), std::string::npos) << cache_ls.out;
}

TEST_F(Examples, AHistoryCopiedAsTheSingleFileBatonDbAfterTheProgramEndsIsComplete) {
  Output o = run({HELLO_FLOW_PATH, "--name", "copy", "--count", "30"}, env());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::filesystem::path db = home_.str() + "/baton.db";
  const std::filesystem::path wal = home_.str() + "/baton.db-wal";
  EXPECT_TRUE(!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0)
      << "the WAL still holds " << std::filesystem::file_size(wal) << " bytes after the program ended";
  TempDir elsewhere;
  std::filesystem::copy_file(db, elsewhere.str() + "/baton.db");
  Output ls = run({BATON_CLI_PATH, "flow-run", "ls", "--json"}, {{"BATON_HOME", elsewhere.str()}});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  json runs = json::parse(ls.out);
  ASSERT_EQ(runs.size(), 1u) << ls.out;
  EXPECT_EQ(runs[0]["state"], "Completed");
  EXPECT_EQ(runs[0]["task_run_count"], 32);  // greet, 30 squares, flaky_sum
}

TEST_F(Examples, TaxiEtlRefusesBadArgumentsBeforeWritingAnything) {
  const std::string data = home_.str() + "/data";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : {Case{{"--months", "13", "--data-dir", data, "--rows", "10"}, "--months must be from 1 to 12"},
                        Case{{"--months", "0", "--data-dir", data}, "--months must be from 1 to 12"},
                        Case{{"--months", "1", "--data-dir", data, "--rows", "-5"}, "--rows must be from 1"},
                        Case{{"--paths", ""}, "--paths"},
                        Case{{"--paths", data + "/none.parquet"}, "none.parquet' does not exist"},
                        Case{{"--paths", data + "/a.parquet,,"}, "--paths"}}) {
    std::vector<std::string> cmd = {TAXI_ETL_PATH};
    cmd.insert(cmd.end(), c.args.begin(), c.args.end());
    Output o = run(cmd, env());
    EXPECT_NE(o.exit_code, 0) << c.message;
    EXPECT_NE(o.err.find(c.message), std::string::npos) << c.message << "\n" << o.err;
    EXPECT_EQ(o.err.find("std::"), std::string::npos) << o.err;
    EXPECT_FALSE(std::filesystem::exists(data)) << "files written for a refused run: " << c.message;
  }
}

TEST_F(Examples, SerializableIsolationComputesOnceAcrossProcesses) {
  auto e = env();
  e["COMPUTE_ONCE_TRACE"] = home_.str() + "/trace";
  Background a({COMPUTE_ONCE_PATH, "--n", "7"}, e);
  Background b({COMPUTE_ONCE_PATH, "--n", "7"}, e);
  EXPECT_EQ(a.wait(), 0);
  EXPECT_EQ(b.wait(), 0);
  std::ifstream trace(e["COMPUTE_ONCE_TRACE"]);
  std::string all((std::istreambuf_iterator<char>(trace)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "computed 7\n");  // one body ran in the two processes
  json runs = flow_runs();
  ASSERT_EQ(runs.size(), 2u);
  std::multiset<std::string> states;
  for (const auto& r : runs) {
    for (const auto& t : task_runs(r["id"])) states.insert(t["state"]);
  }
  EXPECT_EQ(states, (std::multiset<std::string>{"Cached", "Completed"}));
}

}  // namespace
}  // namespace baton::testing

// The MPI task runner end to end: tests/mpi/mpi_flow under mpirun on loopback
// and across two network namespaces, against the same program on the thread
// pool; the `baton` command reads back what each run recorded.
#include "testutil/process.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace baton {
namespace {

using nlohmann::json;
using testing::Output;
using testing::TempDir;

const std::string kLauncherDir = std::string(BATON_SOURCE_DIR) + "/tests/mpi";

class Mpi : public ::testing::Test {
 protected:
  // The program with BATON_TASK_RUNNER=`runner`; "mpi" goes through `launcher`.
  Output run_flow(const std::string& runner, std::vector<std::string> args = {},
                  const std::string& launcher = "mpirun_local.sh", int ranks = 3) {
    std::vector<std::string> argv;
    if (runner == "mpi") argv = {kLauncherDir + "/" + launcher, std::to_string(ranks), "--"};
    argv.push_back(MPI_FLOW_PATH);
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run(argv, env(runner), std::chrono::seconds(180));
  }

  std::map<std::string, std::string> env(const std::string& runner) const {
    // OpenMPI leaves its own allocations behind at exit (LeakSanitizer would
    // report them under the sanitizer build).
    return {{"BATON_HOME", home_.str()}, {"BATON_TASK_RUNNER", runner}, {"BATON_WORKERS", "2"},
            {"BATON_MPI_STATS", "1"},     {"ASAN_OPTIONS", "detect_leaks=0"}};
  }

  json baton_json(std::vector<std::string> args) const {
    args.insert(args.begin(), BATON_CLI_PATH);
    args.push_back("--json");
    Output o = testing::run(args, {{"BATON_HOME", home_.str()}});
    EXPECT_EQ(o.exit_code, 0) << o.err;
    return json::parse(o.out.empty() ? "null" : o.out);
  }
  json latest_flow_run() const { return baton_json({"flow-run", "ls", "--limit", "1"}).at(0); }
  // task name -> final states of its runs, sorted: the shape of a flow run.
  std::map<std::string, std::vector<std::string>> shape(const std::string& flow_run) const {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& t : baton_json({"task-run", "ls", "--flow-run", flow_run})) {
      out[t.at("task_name").get<std::string>()].push_back(t.at("state").get<std::string>());
    }
    for (auto& [name, states] : out) std::sort(states.begin(), states.end());
    return out;
  }

  TempDir home_;
};

// The lines the flow printed that carry its values, in order.
std::vector<std::string> values(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    for (const char* prefix : {"square ", "block-sum ", "greet ", "stage2 "}) {
      if (line.starts_with(prefix)) lines.push_back(line);
    }
  }
  return lines;
}

std::set<std::string> prefixed(const std::string& out, const std::string& prefix) {
  std::set<std::string> found;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) found.insert(line.substr(prefix.size()));
  }
  return found;
}

// The bytes the run's rank 0 exchanged with the worker ranks (BATON_MPI_STATS).
long long bytes_through_rank0(const std::string& err) {
  auto at = err.find("baton mpi: ");
  if (at == std::string::npos) return -1;
  return std::stoll(err.substr(at + 11));
}

TEST_F(Mpi, SameResultsAndHistoryShapeAsTheThreadPool) {
  Output threaded = run_flow("thread");
  ASSERT_EQ(threaded.exit_code, 0) << threaded.err;
  const std::string threaded_run = latest_flow_run().at("id");
  const auto threaded_shape = shape(threaded_run);
  // A fresh history and cache for the MPI run, so both compute everything.
  std::filesystem::remove_all(home_.str());
  std::filesystem::create_directories(home_.str());

  Output mpi = run_flow("mpi");
  ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
  EXPECT_EQ(values(mpi.out), values(threaded.out));
  EXPECT_EQ(values(mpi.out).size(), 12u + 3u + 3u + 4u);
  json flow_run = latest_flow_run();
  EXPECT_EQ(flow_run.at("state"), "Completed");
  EXPECT_EQ(shape(flow_run.at("id")), threaded_shape);

  // Prints of tasks on other ranks are in their runs' logs (log_prints).
  Output logs = testing::run({BATON_CLI_PATH, "flow-run", "logs", flow_run.at("id")}, {{"BATON_HOME", home_.str()}});
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(logs.out.find("hello from item " + std::to_string(i)), std::string::npos) << logs.out;
  }
}

// Requests and replies travel in batches (issue 13): many small tasks give the
// same values as the thread pool, in fewer messages than tasks.
TEST_F(Mpi, ManySmallTasksGiveTheThreadPoolsValuesInFewerMessagesThanTasks) {
  const int n = 3000;
  Output threaded = run_flow("thread", {"--squares", std::to_string(n)});
  ASSERT_EQ(threaded.exit_code, 0) << threaded.err;
  Output mpi = run_flow("mpi", {"--squares", std::to_string(n)});
  ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
  // mpirun merges the ranks' output as it reads it, so another rank's print
  // (greet's) may land inside one of rank 0's long run of value lines.
  std::string merged = mpi.out;
  for (int i = 0; i < 3; ++i) {
    const std::string print = "hello from item " + std::to_string(i) + "\n";
    if (auto at = merged.find(print); at != std::string::npos) merged.erase(at, print.size());
  }
  const auto got = values(merged), want = values(threaded.out);
  EXPECT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    ASSERT_EQ(got[i], want[i]) << "line " << i << "\n" << mpi.err;
  }
  EXPECT_EQ(prefixed(mpi.out, "square ").size(), static_cast<std::size_t>(n));
  EXPECT_EQ(latest_flow_run().at("state"), "Completed");
  const auto at = mpi.err.find(" bytes in ");
  ASSERT_NE(at, std::string::npos) << mpi.err;
  const long long messages = std::stoll(mpi.err.substr(at + 10));
  // Without batches every task took a request and a reply message (2n); how many
  // share one depends on the machine's speed, so only sharing is asserted.
  EXPECT_LT(messages, n) << "messages between rank 0 and the worker ranks";
}

TEST_F(Mpi, LargeResultsStayOnTheirRankAndTasksAreBroughtToThem) {
  // 3 blocks of 32 MiB: none of them may pass through rank 0.
  Output mpi = run_flow("mpi", {"--blocks", "3", "--mib", "32"});
  ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
  EXPECT_EQ(prefixed(mpi.out, "block-sum 2 "), std::set<std::string>{"8388608"});  // 2 * 4 Mi doubles
  const long long moved = bytes_through_rank0(mpi.err);
  ASSERT_GE(moved, 0) << mpi.err;
  EXPECT_LT(moved, 1 << 20) << "bytes between rank 0 and the workers";
}

TEST_F(Mpi, KilledRankLeavesACrashedRunAndAReRunCompletesFromCache) {
  const std::string marker = home_.str() + "/crashed-once";
  Output killed = run_flow("mpi", {"--crash-marker", marker});
  EXPECT_NE(killed.exit_code, 0);
  ASSERT_TRUE(std::filesystem::exists(marker)) << killed.err;
  // The CLI finds the run's process gone and shows the run Crashed.
  json crashed = latest_flow_run();
  EXPECT_EQ(crashed.at("state"), "Crashed");
  // A run is named by its task and arguments; an upstream argument by the
  // upstream's own name (its id differs between runs).
  auto keyed_states = [this](const json& flow_run) {
    json runs = baton_json({"task-run", "ls", "--flow-run", flow_run});
    std::map<std::string, json> by_id;
    for (const auto& t : runs) by_id[t.at("id")] = t;
    std::function<std::string(const json&)> key = [&](const json& t) {
      std::string k = t.at("task_name").get<std::string>() + "(";
      for (const auto& [name, value] : t.at("parameters").items()) {
        k += name + "=" + (value.is_object() && value.contains("upstream") ? key(by_id.at(value.at("upstream")))
                                                                           : value.dump()) + ",";
      }
      return k + ")";
    };
    std::map<std::string, std::string> out;
    for (const auto& t : runs) out[key(t)] = t.at("state");
    return out;
  };
  std::set<std::string> finished;  // the cached tasks that completed before the crash
  for (const auto& [key, state] : keyed_states(crashed.at("id"))) {
    if (state == "Completed" && key.starts_with("stage")) finished.insert(key);
  }
  EXPECT_FALSE(finished.empty());

  Output again = run_flow("mpi", {"--crash-marker", marker});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(prefixed(again.out, "stage2 "), (std::set<std::string>{"0 1", "1 11", "2 21", "3 31"}));
  // Only what was lost ran again: what had completed comes from the cache.
  const auto rerun = keyed_states(latest_flow_run().at("id"));
  auto state_of = [&rerun](const std::string& key) {
    auto it = rerun.find(key);
    return it == rerun.end() ? std::string("missing") : it->second;
  };
  std::string keys;
  for (const auto& [key, state] : rerun) keys += key + " " + state + "\n";
  for (const std::string& key : finished) EXPECT_EQ(state_of(key), "Cached") << key << "\n" << keys;
  EXPECT_EQ(state_of("stage2(v=stage1(i=2,),)"), "Completed") << keys;  // the one that was lost
}

TEST_F(Mpi, TwoHostsInNetworkNamespaces) {
  Output threaded = run_flow("thread");
  ASSERT_EQ(threaded.exit_code, 0) << threaded.err;
  std::filesystem::remove_all(home_.str());
  std::filesystem::create_directories(home_.str());

  Output mpi = run_flow("mpi", {"--mib", "8"}, "mpirun_two_hosts.sh");
  if (mpi.exit_code == 77) GTEST_SKIP() << mpi.out << mpi.err;
  ASSERT_EQ(mpi.exit_code, 0) << mpi.out << mpi.err;
  EXPECT_EQ(prefixed(mpi.out, "square "), prefixed(threaded.out, "square "));
  EXPECT_EQ(prefixed(mpi.out, "stage2 "), prefixed(threaded.out, "stage2 "));
  EXPECT_EQ(prefixed(mpi.out, "block-sum 2 "), std::set<std::string>{"2097152"});  // 2 * 1 Mi doubles
  // Rank 0 on host A; every task on host B.
  auto flow_host = prefixed(mpi.out, "flow-host ");
  auto task_hosts = prefixed(mpi.out, "task-host ");
  ASSERT_EQ(flow_host.size(), 1u);
  ASSERT_EQ(task_hosts.size(), 1u);
  EXPECT_NE(*flow_host.begin(), *task_hosts.begin());
  EXPECT_LT(bytes_through_rank0(mpi.err), 1 << 20);
  EXPECT_EQ(latest_flow_run().at("state"), "Completed");
}

TEST_F(Mpi, WithoutMpirunTheSameProgramRunsOnAThreadPool) {
  Output o = testing::run({MPI_FLOW_PATH}, env("mpi"));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.err.find("running tasks on a thread pool"), std::string::npos) << o.err;
  EXPECT_EQ(prefixed(o.out, "stage2 ").size(), 4u);
}

TEST_F(Mpi, ProcessPoolRunsTheSameProgram) {
  Output threaded = run_flow("thread");
  ASSERT_EQ(threaded.exit_code, 0) << threaded.err;
  std::filesystem::remove_all(home_.str());
  std::filesystem::create_directories(home_.str());
  Output pooled = run_flow("process");
  ASSERT_EQ(pooled.exit_code, 0) << pooled.err;
  EXPECT_EQ(values(pooled.out), values(threaded.out));
}

}  // namespace
}  // namespace baton

// Deployments run by workers, end to end: a real `baton server start` (SQLite and
// PostgreSQL), `baton work-pool create`, `baton deploy` of a real flow program,
// `baton deployment run`, and `baton worker start` processes that claim, execute
// and report. Executions are counted in a marker file the program appends to.
#include "server_fixture.h"
#include "testutil/postgres_cluster.h"
#include "testutil/process.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace baton::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

enum class Db { Sqlite, Postgres };

class WorkerTest : public ::testing::TestWithParam<Db> {
 protected:
  void SetUp() override {
    if (GetParam() == Db::Postgres) {
      std::string why;
      auto* pg = shared_postgres(why);
      if (pg == nullptr) {
        if (why.rfind("failed:", 0) == 0) FAIL() << why;
        GTEST_SKIP() << why;
      }
      server_env_["BATON_DATABASE"] = pg->create_database();
    }
    start_server();
    ASSERT_FALSE(server_->url().empty()) << server_->log();
    marker_ = dir_.str() + "/executions.txt";
  }

  void start_server(int port = 0) {
    std::filesystem::create_directories(dir_.str() + "/server");
    // The fixture reads the address from the log: a restart starts a fresh one.
    std::filesystem::remove(dir_.str() + "/server/server.log");
    server_ = std::make_unique<ServerProcess>(dir_.str() + "/server", server_env_, port);
  }

  std::map<std::string, std::string> cli_env() const {
    return {{"BATON_API_URL", server_->url()}, {"BATON_HOME", dir_.str() + "/home"}};
  }

  Output baton(std::vector<std::string> args) {
    args.insert(args.begin(), BATON_CLI_PATH);
    return run(args, cli_env(), 120s);
  }

  // `baton worker start` in the background, its output in a file.
  std::unique_ptr<Background> start_worker(const std::string& name, int limit = 4, double heartbeat_seconds = 0.5) {
    const std::string log = dir_.str() + "/" + name + ".log";
    const std::string cmd = std::string("exec '") + BATON_CLI_PATH + "' worker start --pool p --name " + name +
                            " --limit " + std::to_string(limit) + " --heartbeat-seconds " + std::to_string(heartbeat_seconds) + " >>'" + log + "' 2>&1";
    return std::make_unique<Background>(std::vector<std::string>{"/bin/sh", "-c", cmd}, cli_env());
  }

  std::string worker_log(const std::string& name) {
    std::ifstream in(dir_.str() + "/" + name + ".log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  void create_pool() {
    auto r = baton({"work-pool", "create", "p"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void deploy(const std::string& name, std::vector<std::string> extra = {}, const std::string& program = WORKER_FLOW_PATH) {
    std::vector<std::string> args{"deploy", name, "--program", program, "--flow", "worker-flow", "--pool", "p",
                                  "--param", "marker=" + marker_, "--param", "sleep_ms=10", "--param", "naps=2"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = baton(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  std::string run_deployment(const std::string& name, std::vector<std::string> params = {}) {
    std::vector<std::string> args{"deployment", "run", name, "--json"};
    for (const auto& p : params) {
      args.push_back("--param");
      args.push_back(p);
    }
    auto r = baton(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j.is_discarded() ? "" : j.value("id", "");
  }

  json flow_run(const std::string& id) { return api_get(server_->url() + "/flow-runs/" + id); }

  // Waits for a final state and returns the run.
  json wait_final(const std::string& id, std::chrono::seconds timeout = 60s) {
    json run;
    eventually(
        [&] {
          run = flow_run(id);
          const std::string s = run.value("state", "");
          return s == "Completed" || s == "Failed" || s == "Crashed" || s == "Cancelled" || s == "TimedOut";
        },
        timeout);
    return run;
  }

  TempDir dir_{"worker-test"};
  std::map<std::string, std::string> server_env_;
  std::unique_ptr<ServerProcess> server_;
  std::string marker_;
};

TEST_P(WorkerTest, ADeploymentRunStartedByHandIsExecutedByAWorkerUnderThePreCreatedRunId) {
  create_pool();
  deploy("hello");
  const std::string id = run_deployment("hello", {"naps=3"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(flow_run(id).value("state", ""), "Scheduled");

  auto worker = start_worker("w1");
  const json run = wait_final(id);
  EXPECT_EQ(run.value("state", ""), "Completed") << run.dump() << worker_log("w1");
  EXPECT_EQ(run.value("deployment", ""), "hello");
  // The engine inside adopted the run: its task runs (mark + 3 naps) are under this id.
  const json tasks = api_get(server_->url() + "/flow-runs/" + id + "/task-runs");
  const auto& list = tasks.contains("task_runs") ? tasks["task_runs"] : tasks;
  EXPECT_EQ(list.size(), 4u) << tasks.dump();
  EXPECT_EQ(read_lines(marker_), std::vector<std::string>{id});
  // The program's output is in the run's logs.
  EXPECT_TRUE(eventually([&] {
    return api_get(server_->url() + "/flow-runs/" + id + "/logs").dump().find("worker-flow starting with 3 naps") !=
           std::string::npos;
  }));
  // Its artifact is listed.
  auto arts = baton({"artifact", "ls", "--flow-run", id});
  EXPECT_EQ(arts.exit_code, 0) << arts.err;
  EXPECT_NE(arts.out.find("worker-report"), std::string::npos) << arts.out;

  worker->kill(SIGTERM);
  EXPECT_EQ(worker->wait(), 0) << worker_log("w1");
}

TEST_P(WorkerTest, TwoWorkersRacingForManyRunsExecuteEachExactlyOnce) {
  create_pool();
  deploy("many", {"--param", "naps=0"});
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(run_deployment("many"));
  auto a = start_worker("wa", 4);
  auto b = start_worker("wb", 4);
  for (const auto& id : ids) {
    EXPECT_EQ(wait_final(id, 120s).value("state", ""), "Completed") << id << worker_log("wa") << worker_log("wb");
  }
  auto lines = read_lines(marker_);
  EXPECT_EQ(lines.size(), ids.size());
  EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()), std::set<std::string>(ids.begin(), ids.end()));
  a->kill(SIGTERM);
  b->kill(SIGTERM);
  a->wait();
  b->wait();
}

TEST_P(WorkerTest, ARunWhoseWorkerAndProgramAreKilledIsCrashedWithinThreeHeartbeats) {
  create_pool();
  deploy("slow", {"--param", "sleep_ms=60000", "--param", "naps=1"});
  const std::string id = run_deployment("slow");
  auto worker = start_worker("wk");
  ASSERT_TRUE(eventually([&] { return flow_run(id).value("state", "") == "Running"; }, 30s)) << worker_log("wk");
  const int pid = flow_run(id).value("pid", 0);
  ASSERT_GT(pid, 0);
  // The machine dies: the worker and the program with it.
  worker->kill(SIGKILL);
  worker->wait();
  ::kill(pid, SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  const json run = wait_final(id, 30s);
  EXPECT_EQ(run.value("state", ""), "Crashed") << run.dump();
  // 3 heartbeat intervals of 0.5 s, plus the server's check interval and slack.
  EXPECT_LT(std::chrono::steady_clock::now() - killed, 15s);
}

TEST_P(WorkerTest, AWorkerReconnectsAfterTheServerRestartsAndNoRunStartsTwice) {
  create_pool();
  deploy("restart", {"--param", "sleep_ms=3000", "--param", "naps=1"});
  const std::string id = run_deployment("restart");
  // Leases (3 heartbeats, 6 s) outlast the server's restart.
  auto worker = start_worker("wr", 4, 2.0);
  ASSERT_TRUE(eventually([&] { return flow_run(id).value("state", "") == "Running"; }, 30s)) << worker_log("wr");
  const int port = server_->port();
  server_->stop();
  std::this_thread::sleep_for(1s);
  start_server(port);
  ASSERT_FALSE(server_->url().empty()) << server_->log();
  const json run = wait_final(id, 60s);
  EXPECT_EQ(run.value("state", ""), "Completed") << run.dump() << worker_log("wr");
  EXPECT_EQ(read_lines(marker_).size(), 1u);
  worker->kill(SIGTERM);
  worker->wait();
}

TEST_P(WorkerTest, AWorkerStoppedWithSigtermLetsItsRunningRunFinish) {
  create_pool();
  deploy("graceful", {"--param", "sleep_ms=2000", "--param", "naps=1"});
  const std::string id = run_deployment("graceful");
  auto worker = start_worker("wg");
  ASSERT_TRUE(eventually([&] { return flow_run(id).value("state", "") == "Running"; }, 30s)) << worker_log("wg");
  worker->kill(SIGTERM);
  EXPECT_EQ(worker->wait(), 0) << worker_log("wg");
  // The run was not cut short: it ended Completed before the worker exited.
  EXPECT_EQ(flow_run(id).value("state", ""), "Completed") << worker_log("wg");
  EXPECT_EQ(read_lines(marker_).size(), 1u);
}

TEST_P(WorkerTest, AProgramThatIsMissingOrNotExecutableOrExits127FailsNamingThePath) {
  create_pool();
  // Deployed while it works, then broken.
  const std::string missing = dir_.str() + "/gone_flow";
  const std::string noexec = dir_.str() + "/noexec_flow";
  std::filesystem::copy_file(WORKER_FLOW_PATH, missing);
  std::filesystem::copy_file(WORKER_FLOW_PATH, noexec);
  deploy("missing", {}, missing);
  deploy("noexec", {}, noexec);
  std::filesystem::remove(missing);
  std::filesystem::permissions(noexec, std::filesystem::perms::owner_read | std::filesystem::perms::group_read);
  // A program that describes itself, then exits 127 as a shell does for a missing command.
  const std::string script = dir_.str() + "/exit127.sh";
  {
    std::ofstream s(script);
    s << "#!/bin/sh\nif [ \"$1\" = --baton-describe ]; then exec '" << WORKER_FLOW_PATH
      << "' --baton-describe; fi\nexit 127\n";
  }
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  deploy("exit127", {}, script);

  const std::string a = run_deployment("missing");
  const std::string b = run_deployment("noexec");
  const std::string c = run_deployment("exit127");
  auto worker = start_worker("wm");
  for (const auto& [id, path] : std::vector<std::pair<std::string, std::string>>{{a, missing}, {b, noexec}, {c, script}}) {
    const json run = wait_final(id);
    EXPECT_EQ(run.value("state", ""), "Failed") << run.dump();
    EXPECT_NE(run.value("state_message", "").find(path), std::string::npos) << run.dump();
  }
  EXPECT_TRUE(read_lines(marker_).empty());
  worker->kill(SIGTERM);
  worker->wait();
}

TEST_P(WorkerTest, FlowRunRetryFromTheCliRunsAFailedDeploymentRunAgainWithItsParameters) {
  create_pool();
  deploy("flaky", {"--param", "fail=true"});
  const std::string id = run_deployment("flaky", {"naps=1"});
  auto worker = start_worker("wr");
  json run = wait_final(id);
  ASSERT_EQ(run.value("state", ""), "Failed") << run.dump() << worker_log("wr");

  auto r = baton({"flow-run", "retry", id.substr(0, 8)});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("attempt 2"), std::string::npos) << r.out;
  // The same run, executed a second time by the worker, with the same parameters
  // (fail=true, naps=1): it fails again, with the flow's own message.
  EXPECT_TRUE(eventually([&] { return read_lines(marker_).size() == 2; }, 60s)) << worker_log("wr");
  run = wait_final(id);
  EXPECT_EQ(run.value("state", ""), "Failed") << run.dump();
  EXPECT_EQ(run.value("run_count", 0), 2) << run.dump();
  EXPECT_NE(run.value("state_message", "").find("asked to fail"), std::string::npos) << run.dump();
  EXPECT_EQ(read_lines(marker_), (std::vector<std::string>{id, id}));

  // A run that is not finished cannot be retried; the message says why. (Created
  // with no worker running, so it stays Scheduled.)
  worker->kill(SIGTERM);
  worker->wait();
  const std::string pending = run_deployment("flaky");
  auto refused = baton({"flow-run", "retry", pending});
  EXPECT_NE(refused.exit_code, 0) << refused.out;
  EXPECT_NE((refused.out + refused.err).find("final"), std::string::npos) << refused.out << refused.err;
}

TEST_P(WorkerTest, InvalidSchedulesAreRefusedAtDeployNamingTheField) {
  create_pool();
  auto base = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"deploy", "bad", "--program", WORKER_FLOW_PATH, "--pool", "p"};
    args.insert(args.end(), extra.begin(), extra.end());
    return baton(args);
  };
  auto cron = base({"--cron", "61 * * * *"});
  EXPECT_NE(cron.exit_code, 0);
  EXPECT_NE(cron.err.find("cron"), std::string::npos) << cron.err;
  auto tz = base({"--cron", "0 3 * * *", "--timezone", "Mars/Olympus"});
  EXPECT_NE(tz.exit_code, 0);
  EXPECT_NE(tz.err.find("timezone"), std::string::npos) << tz.err;
  auto rrule = base({"--rrule", "FREQ=SOMETIMES"});
  EXPECT_NE(rrule.exit_code, 0);
  EXPECT_NE(rrule.err.find("rrule"), std::string::npos) << rrule.err;
  auto interval = base({"--interval", "soon"});
  EXPECT_NE(interval.exit_code, 0);
  EXPECT_NE(interval.err.find("--interval soon"), std::string::npos) << interval.err;
  auto ls = baton({"deployment", "ls", "--json"});
  EXPECT_EQ(ls.out.find("\"bad\""), std::string::npos) << ls.out;
}

TEST_P(WorkerTest, AWrongParameterNameOrTypeIsRefused) {
  create_pool();
  auto name = baton({"deploy", "x", "--program", WORKER_FLOW_PATH, "--pool", "p", "--param", "colour=red"});
  EXPECT_EQ(name.exit_code, 2);
  EXPECT_NE(name.err.find("colour"), std::string::npos) << name.err;
  auto type = baton({"deploy", "x", "--program", WORKER_FLOW_PATH, "--pool", "p", "--param", "naps=many"});
  EXPECT_EQ(type.exit_code, 2);
  EXPECT_NE(type.err.find("naps"), std::string::npos) << type.err;
  auto flow = baton({"deploy", "x", "--program", WORKER_FLOW_PATH, "--flow", "other", "--pool", "p"});
  EXPECT_NE(flow.exit_code, 0);
  EXPECT_NE(flow.err.find("other"), std::string::npos) << flow.err;
  deploy("ok");
  auto run_bad = baton({"deployment", "run", "ok", "--param", "sleep_ms=slow"});
  EXPECT_NE(run_bad.exit_code, 0);
  EXPECT_NE(run_bad.err.find("sleep_ms"), std::string::npos) << run_bad.err;
}

TEST_P(WorkerTest, ADeploymentFileCreatesEveryDeploymentInIt) {
  create_pool();
  const std::string file = dir_.str() + "/baton.yaml";
  {
    std::ofstream f(file);
    f << "deployments:\n"
      << "  - name: nightly\n    program: " << WORKER_FLOW_PATH << "\n    flow: worker-flow\n    pool: p\n"
      << "    parameters:\n      marker: " << marker_ << "\n      naps: 1\n      sleep_ms: 5\n"
      << "    schedules:\n      - cron: \"0 3 * * *\"\n        timezone: Europe/Berlin\n"
      << "  - name: often\n    program: " << WORKER_FLOW_PATH << "\n    pool: p\n"
      << "    parameters:\n      marker: " << marker_ << "\n      naps: 0\n      sleep_ms: 5\n"
      << "    schedules:\n      - interval: 15m\n";
  }
  auto r = baton({"deploy", "--file", file});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ls = baton({"deployment", "ls"});
  EXPECT_NE(ls.out.find("nightly"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("often"), std::string::npos) << ls.out;
  auto inspect = baton({"deployment", "inspect", "nightly", "--json"});
  auto j = json::parse(inspect.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << inspect.out << inspect.err;
  EXPECT_EQ(j["schedules"][0].value("timezone", ""), "Europe/Berlin");
  EXPECT_EQ(j["parameters"].value("naps", 0), 1);
}

TEST_P(WorkerTest, ATagLimitOfOneMakesTheSecondTaggedTaskWaitForASlot) {
  auto r = baton({"concurrency-limit", "create", "db", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ls = baton({"concurrency-limit", "ls"});
  EXPECT_NE(ls.out.find("db"), std::string::npos) << ls.out;
  // Two "nap" tasks tagged db, submitted at once, 700 ms each: one waits.
  auto env = cli_env();
  auto flow = run({WORKER_FLOW_PATH, "--marker", marker_, "--sleep-ms", "700", "--naps", "2"}, env, 120s);
  ASSERT_EQ(flow.exit_code, 0) << flow.err;
  const json runs = api_get(server_->url() + "/flow-runs?limit=1");
  const auto& list = runs.contains("flow_runs") ? runs["flow_runs"] : runs;
  ASSERT_EQ(list.size(), 1u) << runs.dump();
  const std::string id = list[0].value("id", "");
  const json tasks = api_get(server_->url() + "/flow-runs/" + id + "/task-runs");
  const auto& tl = tasks.contains("task_runs") ? tasks["task_runs"] : tasks;
  int waited = 0;
  for (const auto& t : tl) {
    if (t.value("task_name", "") != "nap") continue;
    const json detail = api_get(server_->url() + "/task-runs/" + t.value("id", ""));
    EXPECT_EQ(detail.value("state", ""), "Completed") << detail.dump();
    for (const auto& h : detail.value("history", json::array())) {
      if (h.value("state", "") == "AwaitingConcurrencySlot") ++waited;
    }
  }
  EXPECT_EQ(waited, 1) << tasks.dump();
  // Both slots were released: the limit shows none active.
  auto after = baton({"concurrency-limit", "ls", "--json"});
  auto j = json::parse(after.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << after.out << after.err;
  EXPECT_EQ(j[0].value("active_slots", -1), 0) << after.out;
}

INSTANTIATE_TEST_SUITE_P(Databases, WorkerTest, ::testing::Values(Db::Sqlite, Db::Postgres),
                         [](const auto& info) { return info.param == Db::Sqlite ? "Sqlite" : "Postgres"; });

}  // namespace
}  // namespace baton::testing

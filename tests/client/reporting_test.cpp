// Engines reporting to a server (BATON_API_URL): the example programs run as a
// user runs them, against a real `baton server start`, a closed port, a server
// killed and restarted mid-run, and a wrong key; what they did is read back
// through the API and through the `baton` command.
#include "server_fixture.h"
#include "store/event_json.h"
#include "client/spool.h"
#include "testutil/postgres_cluster.h"
#include "testutil/process.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace baton::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

class Reporting : public ::testing::Test {
 protected:
  // The engine's and the CLI's environment: their own home, reporting to `url`.
  std::map<std::string, std::string> env(const std::string& url, const std::string& key = "") const {
    std::map<std::string, std::string> e = {{"BATON_HOME", engine_home_.str()},
                                            {"BATON_HEARTBEAT_SECONDS", "0.2"},
                                            {"BATON_LOG_LEVEL", "INFO"},
                                            {"BATON_API_URL", url}};
    if (!key.empty()) e["BATON_API_KEY"] = key;
    return e;
  }
  Output baton(const std::string& url, std::vector<std::string> args, const std::string& key = "") const {
    args.insert(args.begin(), BATON_CLI_PATH);
    return run(args, env(url, key));
  }
  json baton_json(const std::string& url, std::vector<std::string> args, const std::string& key = "") const {
    args.push_back("--json");
    Output o = baton(url, args, key);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    auto j = json::parse(o.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << o.out;
    return j.is_discarded() ? json() : j;
  }
  Output hello(const std::string& url, const std::string& name, const std::string& key = "") const {
    return run({HELLO_FLOW_PATH, "--name", name, "--count", "3"}, env(url, key));
  }
  std::vector<fs::path> spools() const { return client::SpoolFile::list(engine_home_.str() + "/spool"); }

  // Checks one hello_flow run (--count 3) as the server has it: its states, its
  // five task runs with theirs, its log lines, each exactly once.
  void expect_complete_hello_run(const std::string& url, const std::string& name) {
    json runs = api_get(url + "/flow-runs?flow=hello&limit=100");
    json run;
    for (const auto& r : runs["flow_runs"]) {
      if (r["parameters"]["name"] == name) {
        EXPECT_TRUE(run.is_null()) << "two flow runs for --name " << name << ": " << runs.dump();
        run = r;
      }
    }
    ASSERT_FALSE(run.is_null()) << "no flow run for --name " << name << ": " << runs.dump();
    EXPECT_EQ(run["state"], "Completed") << run.dump();
    EXPECT_EQ(run["task_run_count"], 5) << run.dump();
    const std::string id = run["id"];

    json detail = api_get(url + "/flow-runs/" + id);
    std::vector<std::string> states;
    for (const auto& h : detail["history"]) states.push_back(h["state"]);
    EXPECT_EQ(states, (std::vector<std::string>{"Pending", "Running", "Completed"})) << detail.dump();

    json tasks = api_get(url + "/flow-runs/" + id + "/task-runs");
    ASSERT_EQ(tasks["task_runs"].size(), 5u) << tasks.dump();
    std::multiset<std::string> names;
    for (const auto& t : tasks["task_runs"]) {
      names.insert(t["task_name"].get<std::string>());
      EXPECT_EQ(t["state"], "Completed") << t.dump();
    }
    EXPECT_EQ(names, (std::multiset<std::string>{"greet", "square", "square", "square", "flaky_sum"}));

    json logs = api_get(url + "/flow-runs/" + id + "/logs?limit=1000");
    int hellos = 0, sums = 0;
    for (const auto& l : logs["logs"]) {
      const std::string m = l["message"];
      hellos += m.find("hello, " + name + "!") != std::string::npos;
      sums += m.find("sum of the first 3 squares: 14") != std::string::npos;
    }
    EXPECT_EQ(hellos, 1) << logs.dump(1);
    EXPECT_EQ(sums, 1) << logs.dump(1);
  }

  TempDir engine_home_;
  TempDir server_home_;
};

// The tests that need a server, on each of its databases: SQLite (server.db in
// its home) and PostgreSQL (a throwaway cluster, one database per test).
class ReportingToServer : public Reporting, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() != "postgresql") return;
    std::string why_not;
    PostgresCluster* cluster = shared_postgres(why_not);
    if (cluster == nullptr && why_not.rfind("failed:", 0) != 0) GTEST_SKIP() << why_not;
    ASSERT_NE(cluster, nullptr) << why_not;
    database_env_["BATON_DATABASE"] = cluster->create_database();
  }

  // The server's environment: its database.
  std::map<std::string, std::string> server_env() const { return database_env_; }

  std::map<std::string, std::string> database_env_;
};

INSTANTIATE_TEST_SUITE_P(Databases, ReportingToServer, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST_F(Reporting, AMalformedApiUrlEndsTheProgramWithItsMessageAndStatusTwo) {
  for (std::string bad : {"localhost:4200/api", "ftp://host/api", "http://", "http://host:99999/api",
                          "http://host:port/api", "http://user:pw@host/api", "http://host/api?x=1"}) {
    Output o = hello(bad, "world");
    EXPECT_EQ(o.exit_code, 2) << bad << ": " << o.err;
    EXPECT_NE(o.err.find("BATON_API_URL=" + bad), std::string::npos) << o.err;
    Output cli = baton(bad, {"flow-run", "ls"});
    EXPECT_EQ(cli.exit_code, 2) << bad << ": " << cli.err;
    EXPECT_NE(cli.err.find("BATON_API_URL"), std::string::npos) << cli.err;
  }
}

// Before any server exists: the events wait in the spool, whole and in order.
TEST_F(Reporting, WithTheServerUnreachableEventsAreSpooledAndTheSpoolIsNamed) {
  const std::string url = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/api";
  Output o = hello(url, "nobody");
  ASSERT_EQ(o.exit_code, 0) << o.err;  // the flow itself is fine
  auto files = spools();
  ASSERT_EQ(files.size(), 1u) << o.err;
  EXPECT_NE(o.err.find("cannot reach " + url), std::string::npos) << o.err;
  EXPECT_NE(o.err.find(files[0].string()), std::string::npos) << "the exit message names the spool: " << o.err;
  EXPECT_NE(o.err.find("next engine start"), std::string::npos) << o.err;

  auto spool = client::SpoolFile::claim(files[0]);
  ASSERT_TRUE(spool.ok() && *spool != nullptr);
  std::uint64_t next_seq = 1;
  std::string source;
  bool created = false, completed = false;
  while (true) {
    auto record = (*spool)->peek();
    ASSERT_TRUE(record.ok());
    if (!record->has_value()) break;
    (*spool)->advance();
    auto batch = store::decode_ingest_batch(**record);
    ASSERT_TRUE(batch.ok()) << batch.status().message();
    if (source.empty()) source = batch->source;
    EXPECT_EQ(batch->source, source) << "one source per process";
    EXPECT_EQ(batch->first_seq, next_seq) << "sequence numbers are consecutive";
    next_seq += batch->events.size();
    for (const auto& e : batch->events) {
      if (auto* f = std::get_if<engine::FlowRunCreated>(&e)) created |= *f->flow_name == "hello";
      if (auto* s = std::get_if<engine::StateChanged>(&e)) {
        completed |= s->kind == engine::RunKind::Flow && s->type == StateType::Completed;
      }
    }
  }
  EXPECT_TRUE(created);
  EXPECT_TRUE(completed) << "the spool holds the run to its end";
  EXPECT_GT(next_seq, 20u);
}

TEST_P(ReportingToServer, AFlowRunIsShownThroughTheApiAndTheCli) {
  ServerProcess server(server_home_.str(), server_env());
  ASSERT_FALSE(server.url().empty()) << server.log();
  Output o = hello(server.url(), "world");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(spools().empty()) << o.err;
  expect_complete_hello_run(server.url(), "world");

  // The same commands as with the SQLite file, read from the server.
  json runs = baton_json(server.url(), {"flow-run", "ls"});
  ASSERT_EQ(runs.size(), 1u) << runs.dump();
  EXPECT_EQ(runs[0]["state"], "Completed");
  EXPECT_EQ(runs[0]["task_run_count"], 5);
  const std::string id = runs[0]["id"];
  json tasks = baton_json(server.url(), {"task-run", "ls", "--flow-run", id.substr(0, 8)});
  ASSERT_EQ(tasks.size(), 5u);
  for (const auto& t : tasks) EXPECT_FALSE(t["state_history"].empty()) << t.dump();
  Output logs = baton(server.url(), {"flow-run", "logs", id});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("hello, world!"), std::string::npos) << logs.out;
  Output inspect = baton(server.url(), {"flow-run", "inspect", id.substr(0, 8)});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("Task runs (5)"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("State history"), std::string::npos) << inspect.out;
  Output config = baton(server.url(), {"config"});
  EXPECT_NE(config.out.find("Run history: server " + server.url()), std::string::npos) << config.out;

  // The JSON has the same shape as the SQLite file's, for the same program.
  auto local_env = env("");
  local_env.erase("BATON_API_URL");
  ASSERT_EQ(run({HELLO_FLOW_PATH, "--name", "world", "--count", "3"}, local_env).exit_code, 0);
  Output local_ls = run({BATON_CLI_PATH, "flow-run", "ls", "--json"}, local_env);
  json local_runs = json::parse(local_ls.out);
  ASSERT_EQ(local_runs.size(), 1u);
  Output local_inspect = run({BATON_CLI_PATH, "flow-run", "inspect", "--json", local_runs[0]["id"]}, local_env);
  json local = json::parse(local_inspect.out);
  json remote = baton_json(server.url(), {"flow-run", "inspect", id});
  for (const auto& [key, value] : local.items()) {
    ASSERT_TRUE(remote.contains(key)) << key;
    if (value.is_array()) {
      EXPECT_EQ(remote[key].size(), value.size()) << key;
    }
    if (key == "state" || key == "flow_name" || key == "parameters" || key == "tags" || key == "task_run_count") {
      EXPECT_EQ(remote[key], value) << key;
    }
  }
  EXPECT_EQ(remote.size(), local.size());
}

// A process that ended while the server was down; the next engine start (any
// program) sends its events: complete history, nothing twice.
TEST_P(ReportingToServer, EventsSpooledWhileTheServerWasDownAreSentByTheNextEngineStart) {
  const int port = free_loopback_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/api";
  ASSERT_EQ(hello(url, "early").exit_code, 0);
  ASSERT_EQ(spools().size(), 1u);
  const fs::path kept = server_home_.str() + "/kept-copy";
  fs::copy_file(spools()[0], kept);

  ServerProcess server(server_home_.str(), server_env(), port);
  ASSERT_EQ(server.url(), url) << server.log();
  Output later = hello(url, "later");
  ASSERT_EQ(later.exit_code, 0) << later.err;
  EXPECT_TRUE(spools().empty()) << later.err;
  expect_complete_hello_run(url, "early");
  expect_complete_hello_run(url, "later");

  // The same spool sent again (as after a crash between sending and removing it)
  // duplicates nothing.
  fs::copy_file(kept, engine_home_.str() + "/spool/sent-before.spool");
  Output again = hello(url, "again");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(spools().empty()) << again.err;
  expect_complete_hello_run(url, "early");
  EXPECT_EQ(api_get(url + "/flow-runs?limit=100")["flow_runs"].size(), 3u);
}

// A spool record the server refuses for good (here: not a batch at all) is set
// aside with the server's reason, and does not block what comes after it.
TEST_P(ReportingToServer, ABatchTheServerRefusesIsSetAsideAndBlocksNothing) {
  {
    auto old = client::SpoolFile::create(engine_home_.str() + "/spool", "an-older-engine");
    ASSERT_TRUE(old.ok()) << old.status().message();
    ASSERT_TRUE((*old)->append(R"({"source": "x", "first_seq": 1, "events": [{"kind": "no_such_kind"}]})").ok());
  }
  ServerProcess server(server_home_.str(), server_env());
  ASSERT_FALSE(server.url().empty()) << server.log();
  Output o = hello(server.url(), "after");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  const std::string rejected = engine_home_.str() + "/spool/rejected/";
  EXPECT_NE(o.err.find("the server refused a batch of events (400 from " + server.url() + "/events"), std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find(rejected), std::string::npos) << o.err;
  EXPECT_TRUE(spools().empty());
  std::ifstream kept(rejected + std::filesystem::directory_iterator(rejected)->path().filename().string());
  std::string line;
  std::getline(kept, line);
  EXPECT_NE(line.find("no_such_kind"), std::string::npos) << line;
  expect_complete_hello_run(server.url(), "after");
}

// The server killed in the middle of a run and started again where it was: the
// running process spools meanwhile and catches up, in order, by itself.
TEST_P(ReportingToServer, AServerRestartedDuringARunEndsWithTheRunsCompleteHistory) {
  auto server = std::make_unique<ServerProcess>(server_home_.str(), server_env());
  ASSERT_FALSE(server->url().empty()) << server->log();
  const std::string url = server->url();
  const int port = server->port();
  auto e = env(url);
  e["BATON_WORKERS"] = "1";
  Background flow({SLOW_FLOW_PATH, "--steps", "30", "--step-ms", "100"}, e);
  ASSERT_TRUE(eventually([&] {
    json runs = api_get(url + "/flow-runs");
    return runs["flow_runs"].size() == 1 && runs["flow_runs"][0]["state"] == "Running";
  }));
  server->kill(SIGKILL);
  std::this_thread::sleep_for(1s);  // steps go on while nobody listens
  server = std::make_unique<ServerProcess>(server_home_.str(), server_env(), port);
  ASSERT_EQ(server->url(), url) << server->log();
  EXPECT_EQ(flow.wait(), 0);

  json runs = api_get(url + "/flow-runs");
  ASSERT_EQ(runs["flow_runs"].size(), 1u);
  EXPECT_EQ(runs["flow_runs"][0]["state"], "Completed") << runs.dump();
  const std::string id = runs["flow_runs"][0]["id"];
  json tasks = api_get(url + "/flow-runs/" + id + "/task-runs?limit=1000");
  ASSERT_EQ(tasks["task_runs"].size(), 30u);
  for (const auto& t : tasks["task_runs"]) EXPECT_EQ(t["state"], "Completed") << t.dump();
  json logs = api_get(url + "/flow-runs/" + id + "/logs?limit=1000");
  std::map<std::string, int> steps;
  for (const auto& l : logs["logs"]) {
    const std::string m = l["message"];
    if (m.rfind("step ", 0) == 0) ++steps[m];
  }
  EXPECT_EQ(steps.size(), 30u) << logs.dump(1);
  for (const auto& [line, n] : steps) EXPECT_EQ(n, 1) << line;
  EXPECT_TRUE(spools().empty());
}

// The spool cannot be written either (its directory is a file here, as a full
// disk would refuse it): the events wait in memory, in order, and reach the
// server when it is back during the run; a process that ends first says what
// was lost, and nothing crashes.
TEST_P(ReportingToServer, WhenTheSpoolCannotBeWrittenEventsWaitInMemory) {
  { std::ofstream(engine_home_.str() + "/spool") << "not a directory"; }
  const int port = free_loopback_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/api";
  Output lost = hello(url, "lost");
  EXPECT_EQ(lost.exit_code, 0) << lost.err;
  EXPECT_NE(lost.err.find("cannot create the spool directory " + engine_home_.str() + "/spool"), std::string::npos)
      << lost.err;
  EXPECT_NE(lost.err.find("reached neither the server"), std::string::npos) << lost.err;

  auto e = env(url);
  e["BATON_WORKERS"] = "1";
  Background flow({SLOW_FLOW_PATH, "--steps", "20", "--step-ms", "100"}, e);
  std::this_thread::sleep_for(700ms);  // steps run while nothing takes their events
  ServerProcess server(server_home_.str(), server_env(), port);
  ASSERT_EQ(server.url(), url) << server.log();
  EXPECT_EQ(flow.wait(), 0);
  json runs = api_get(url + "/flow-runs?flow=slow");
  ASSERT_EQ(runs["flow_runs"].size(), 1u) << runs.dump();
  EXPECT_EQ(runs["flow_runs"][0]["state"], "Completed");
  EXPECT_EQ(runs["flow_runs"][0]["task_run_count"], 20);
}

TEST_P(ReportingToServer, AWrongKeyIsNamedAndItsEventsWaitForTheRightOne) {
  auto with_key = server_env();
  with_key["BATON_API_KEY"] = "right-key";
  ServerProcess server(server_home_.str(), with_key);
  ASSERT_FALSE(server.url().empty()) << server.log();
  Output o = hello(server.url(), "locked", "wrong-key");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.err.find("401 from " + server.url() + "/events: BATON_API_KEY is wrong or missing"), std::string::npos)
      << o.err;
  ASSERT_EQ(spools().size(), 1u) << "nothing is lost to a wrong key";

  Output cli = baton(server.url(), {"flow-run", "ls"}, "wrong-key");
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("BATON_API_KEY is wrong or missing"), std::string::npos) << cli.err;
  Output none = baton(server.url(), {"flow-run", "ls"});
  EXPECT_NE(none.err.find("BATON_API_KEY"), std::string::npos) << none.err;

  Output fixed = hello(server.url(), "unlocked", "right-key");
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_TRUE(spools().empty()) << fixed.err;
  EXPECT_EQ(baton_json(server.url(), {"flow-run", "ls"}, "right-key").size(), 2u);
}

TEST_P(ReportingToServer, CancellationThroughTheServerReachesTheRunningProcess) {
  ServerProcess server(server_home_.str(), server_env());
  ASSERT_FALSE(server.url().empty()) << server.log();
  auto e = env(server.url());
  e["BATON_WORKERS"] = "1";
  Background flow({SLOW_FLOW_PATH, "--steps", "40", "--step-ms", "200"}, e);
  std::string id;
  ASSERT_TRUE(eventually([&] {
    json runs = baton_json(server.url(), {"flow-run", "ls"});
    if (runs.size() == 1 && runs[0]["state"] == "Running") id = runs[0]["id"];
    return !id.empty();
  }));
  Output cancel = baton(server.url(), {"flow-run", "cancel", id.substr(0, 8)});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_EQ(flow.wait(), 1);  // the program reports the flow run did not complete

  json runs = baton_json(server.url(), {"flow-run", "ls"});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["state"], "Cancelled");
  int cancelled = 0;
  for (const auto& t : baton_json(server.url(), {"task-run", "ls", "--flow-run", id})) {
    cancelled += t["state"] == "Cancelled";
  }
  EXPECT_GT(cancelled, 0);
  Output again = baton(server.url(), {"flow-run", "cancel", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("Cancelled"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace baton::testing

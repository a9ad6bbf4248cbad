// The server under faults: killed and restarted, its PostgreSQL stopped and
// started again, two replicas on one database, signals, and refusing to start
// off loopback without a key.
#include "server_test_util.h"

#include <sqlite3.h>

#include <atomic>
#include <csignal>

namespace baton::server::testing {
namespace {

using nlohmann::json;

constexpr std::int64_t kT0 = 1'765'000'000'000'000;

class ServerFaultTest : public ServerTest {};

TEST(ServerStart, OffLoopbackWithoutAKeyTheServerRefusesToStart) {
  baton::testing::TempDir dir;
  ServerOptions o;
  o.host = "0.0.0.0";
  o.database = dir.str() + "/server.db";
  auto s = Server::create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("without an API key"), std::string::npos) << s.status().message();
  // The command says so and fails; with a key it would start.
  auto out = baton::testing::run({BATON_CLI_PATH, "server", "start", "--host", "0.0.0.0", "--port", "0", "--database",
                                  dir.str() + "/server.db"},
                                 {{"BATON_API_KEY", ""}, {"BATON_HOME", dir.str()}}, std::chrono::seconds(30));
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_NE(out.err.find("BATON_API_KEY"), std::string::npos) << out.err;
  o.api_key = "k";
  EXPECT_TRUE(Server::create(o).ok());
}

TEST(ServerStart, DatabaseUpgradeMigratesAndReportsTheVersion) {
  baton::testing::TempDir dir;
  auto out = baton::testing::run({BATON_CLI_PATH, "server", "database", "upgrade"}, {{"BATON_HOME", dir.str()},
                                                                                     {"BATON_DATABASE", ""}});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("server.db: schema version 4"), std::string::npos) << out.out;
}

TEST_P(ServerFaultTest, SigtermStopsTheServerCleanlyAfterAnsweringWhatItAccepted) {
  ServerProcess p(database_);
  auto c = p.client();
  const RunId flow = RunId::random();
  ASSERT_EQ(post_events(*c, "s", 1, flow_with_tasks(flow, 20, kT0)).status, 200);
  p.process().kill(SIGTERM);
  EXPECT_EQ(p.process().wait(), 0);
  EXPECT_NE(p.output().find("baton server stopped"), std::string::npos) << p.output();
  ServerProcess again(database_);
  auto c2 = again.client();
  EXPECT_EQ(get(*c2, "/api/flow-runs/" + flow.str()).body["task_run_count"], 20);
}

TEST_P(ServerFaultTest, ASigkilledServerRestartedKeepsEverythingAndReplaysDuplicateNothing) {
  // 4 engines post batches while the server is killed; each resends what was not
  // acknowledged (as the engines' spools do) to the restarted server.
  struct Engine {
    std::string source;
    RunId flow;
    std::vector<engine::Event> events;
    std::size_t acked = 0;  // events acknowledged by the server
  };
  std::vector<Engine> engines(4);
  for (int i = 0; i < 4; ++i) {
    engines[static_cast<std::size_t>(i)].source = "engine-" + std::to_string(i);
    engines[static_cast<std::size_t>(i)].flow = RunId::random();
    engines[static_cast<std::size_t>(i)].events = flow_with_tasks(engines[static_cast<std::size_t>(i)].flow, 300, kT0 + i);
  }
  auto send_some = [&](ServerProcess& server, std::atomic<bool>& stop) {
    std::vector<std::thread> threads;
    for (auto& e : engines) {
      threads.emplace_back([&server, &e, &stop] {
        auto c = server.client();
        c->set_connection_timeout(1, 0);
        while (!stop && e.acked < e.events.size()) {
          const std::size_t n = std::min<std::size_t>(37, e.events.size() - e.acked);
          const std::vector<engine::Event> batch(e.events.begin() + static_cast<long>(e.acked),
                                                 e.events.begin() + static_cast<long>(e.acked + n));
          // Sometimes resend an acknowledged tail too (an overlapping replay).
          const Reply r = post_events(*c, e.source, e.acked + 1, batch);
          if (r.status != 200) return;  // the server is gone: keep the rest for later
          e.acked += n;
        }
      });
    }
    for (auto& t : threads) t.join();
  };
  {
    ServerProcess server(database_);
    std::atomic<bool> stop{false};
    std::thread killer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      server.process().kill(SIGKILL);
      stop = true;
    });
    send_some(server, stop);
    killer.join();
    server.process().wait();
  }
  // Replays start from an earlier point than acknowledged: overlap on purpose.
  for (auto& e : engines) e.acked = e.acked > 50 ? e.acked - 50 : 0;
  ServerProcess restarted(database_);
  std::atomic<bool> never{false};
  send_some(restarted, never);
  auto c = restarted.client();
  for (const auto& e : engines) {
    ASSERT_EQ(e.acked, e.events.size());
    const Reply r = get(*c, "/api/flow-runs/" + e.flow.str());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body["state"], "Completed");
    EXPECT_EQ(r.body["task_run_count"], 300);
    EXPECT_EQ(r.body["task_run_counts"]["Completed"], 300);
    EXPECT_EQ(r.body["history"].size(), 3u);
    std::size_t logs = 0;
    std::string cursor;
    do {
      const Reply page = get(*c, "/api/flow-runs/" + e.flow.str() + "/logs?limit=1000" +
                                     (cursor.empty() ? "" : "&cursor=" + cursor));
      logs += page.body["logs"].size();
      cursor = page.body["next_cursor"].is_null() ? "" : page.body["next_cursor"].get<std::string>();
    } while (!cursor.empty());
    EXPECT_EQ(logs, 300u);
    EXPECT_EQ(get(*c, "/api/flow-runs/" + e.flow.str() + "/graph?limit=0").body["total_edges"], 299);
  }
}

TEST_P(ServerFaultTest, WhilePostgresIsDownRequestsAre503AndAfterItIsBackTheyWork) {
  if (GetParam() != Backend::Postgres) GTEST_SKIP() << "a PostgreSQL fault";
  auto s = start();
  auto c = s->client();
  const RunId flow = RunId::random();
  ASSERT_EQ(post_events(*c, "s", 1, {flow_created(flow, "etl", kT0)}).status, 200);
  postgres_->stop();
  const Reply down = get(*c, "/api/flow-runs");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_NE(down.body["error"]["message"].get<std::string>().find("unavailable"), std::string::npos);
  EXPECT_EQ(post_events(*c, "s", 2, {flow_state(flow, StateType::Running, kT0 + 1)}).status, 503);
  EXPECT_EQ(get(*c, "/api/ready").status, 503);
  EXPECT_EQ(get(*c, "/api/health").status, 200);  // the process is up
  postgres_->restart();
  ASSERT_TRUE(postgres_->running());
  const bool back = baton::testing::eventually([&] { return get(*c, "/api/ready").status == 200; });
  ASSERT_TRUE(back);
  EXPECT_EQ(post_events(*c, "s", 2, {flow_state(flow, StateType::Running, kT0 + 1)}).status, 200);
  EXPECT_EQ(get(*c, "/api/flow-runs/" + flow.str()).body["state"], "Running");
}

TEST_P(ServerFaultTest, TwoServersOnOneDatabaseBothAcceptAndNothingIsWrittenTwice) {
  if (GetParam() != Backend::Postgres) GTEST_SKIP() << "replicas share a PostgreSQL database";
  auto a = start();
  auto b = start();
  const RunId flow = RunId::random();
  const auto events = flow_with_tasks(flow, 200, kT0);
  // Both replicas get every batch (a balancer retrying on the other one), at once.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (TestServer* s : {a.get(), b.get()}) {
    threads.emplace_back([s, &events, &failures] {
      auto c = s->client();
      for (std::size_t i = 0; i < events.size(); i += 50) {
        const std::size_t n = std::min<std::size_t>(50, events.size() - i);
        const std::vector<engine::Event> batch(events.begin() + static_cast<long>(i),
                                               events.begin() + static_cast<long>(i + n));
        if (post_events(*c, "engine", i + 1, batch).status != 200) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  auto c = a->client();
  const Reply r = get(*c, "/api/flow-runs/" + flow.str());
  EXPECT_EQ(r.body["task_run_count"], 200);
  EXPECT_EQ(r.body["history"].size(), 3u);
  EXPECT_EQ(get(*c, "/api/flow-runs/" + flow.str() + "/graph?limit=0").body["total_edges"], 199);
  EXPECT_EQ(get(*c, "/api/flow-runs/" + flow.str() + "/logs?limit=1000").body["logs"].size(), 200u);
}

TEST_P(ServerFaultTest, AnotherProcessHoldingTheSqliteWriteLockDelaysAWriteButNeverFailsIt) {
  if (GetParam() != Backend::Sqlite) GTEST_SKIP() << "a SQLite lock";
  auto s = start();
  auto c = s->client();
  ASSERT_EQ(post_events(*c, "s", 1, {}).status, 200);  // the schema exists
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(database_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Reply reply;
  std::atomic<bool> answered{false};
  std::thread writer([&] {
    reply = post_events(*c, "s", 1, {flow_created(RunId::random(), "etl", kT0)});
    answered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_FALSE(answered);  // still waiting for the lock
  sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  writer.join();
  sqlite3_close(other);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(get(*c, "/api/flow-runs").body["flow_runs"].size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Databases, ServerFaultTest, ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         backend_name);

}  // namespace
}  // namespace baton::server::testing

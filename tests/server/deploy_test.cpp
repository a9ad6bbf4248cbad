// Deployments, schedules, work pools, workers, concurrency limits and artifacts
// (issue 16), each test on SQLite and on PostgreSQL: over HTTP where a user
// would go through it, on the stores with a fake clock where a test would
// otherwise wait for a real schedule.
#include "server_test_util.h"

#include "server/api/json_codec.h"
#include "server/db/deployment_store.h"
#include "server/db/store_util.h"
#include "server/services/notify_listener.h"
#include "server/services/scheduler.h"
#include "server/services/work_model.h"

#include <atomic>
#include <set>

namespace baton::server::testing {
namespace {

using nlohmann::json;

Reply put(httplib::Client& c, const std::string& path, const json& body) {
  auto r = c.Put(path.c_str(), body.dump(), "application/json");
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.body = json::parse(r->body, nullptr, false);
  return out;
}

Reply post_json(httplib::Client& c, const std::string& path, const json& body) { return post(c, path, body.dump()); }

std::int64_t at(const char* rfc3339) { return api::parse_time(rfc3339, "test"); }

json deployment(const std::string& pool, json schedules = json::array()) {
  return {{"flow_name", "etl"},
          {"command", {"/opt/flows/etl", "--fast"}},
          {"work_pool", pool},
          {"parameters", {{"month", 1}}},
          {"parameter_specs", {{{"name", "month"}, {"type", "int64"}}, {{"name", "city"}, {"type", "string"}}}},
          {"schedules", std::move(schedules)}};
}

// The flow runs of a deployment, as the API lists them.
std::vector<json> runs_of(httplib::Client& c, const std::string& deployment) {
  std::vector<json> out;
  const Reply all = get(c, "/api/flow-runs?limit=1000");
  EXPECT_EQ(all.status, 200) << all.body;
  for (const auto& r : all.body["flow_runs"]) {
    if (r["deployment"] == deployment) out.push_back(r);
  }
  return out;
}

class DeployTest : public ServerTest {
 protected:
  // A model over this test's database without an HTTP server (a fake clock).
  std::unique_ptr<db::ServerDatabase> open_db() {
    db::ServerDatabaseOptions o;
    o.database = database_;
    o.max_connections = 4;
    return std::make_unique<db::ServerDatabase>(o);
  }
};

TEST_P(DeployTest, ApplyingTheSameDeploymentTwiceCreatesOneRunPerScheduledTime) {
  auto s = start();
  auto c = s->client();
  EXPECT_EQ(put(*c, "/api/work-pools/night", json::object()).status, 201);
  const json d = deployment("night", {{{"kind", "cron"}, {"cron", "*/5 * * * *"}}});
  const Reply first = put(*c, "/api/deployments/etl-nightly", d);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_FALSE(first.body["next_runs"].empty());
  const auto before = runs_of(*c, "etl-nightly");
  // A day of 5-minute runs, at most 100 ahead.
  EXPECT_EQ(before.size(), 100u);
  const Reply second = put(*c, "/api/deployments/etl-nightly", d);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body["id"], first.body["id"]);
  const auto after = runs_of(*c, "etl-nightly");
  ASSERT_EQ(after.size(), before.size());
  std::set<std::string> times;
  for (const auto& r : after) {
    EXPECT_EQ(r["state"], "Scheduled");
    EXPECT_EQ(r["work_pool"], "night");
    EXPECT_EQ(r["parameters"], json({{"month", 1}}));
    times.insert(r["expected_start_time"].get<std::string>());
  }
  EXPECT_EQ(times.size(), after.size());
}

TEST_P(DeployTest, AnUpdatedScheduleKeepsTheRunsOfTimesStillInItAndDeletesTheOthers) {
  auto s = start();
  auto c = s->client();
  put(*c, "/api/work-pools/p", json::object());
  ASSERT_EQ(put(*c, "/api/deployments/d", deployment("p", {{{"kind", "cron"}, {"cron", "*/10 * * * *"}}})).status, 201);
  std::map<std::string, std::string> before;  // time -> id
  for (const auto& r : runs_of(*c, "d")) before[r["expected_start_time"]] = r["id"];
  ASSERT_EQ(put(*c, "/api/deployments/d", deployment("p", {{{"kind", "cron"}, {"cron", "*/20 * * * *"}}})).status, 200);
  const auto after = runs_of(*c, "d");
  ASSERT_FALSE(after.empty());
  std::set<std::string> times;
  for (const auto& r : after) {
    const std::string t = r["expected_start_time"];
    EXPECT_TRUE(times.insert(t).second) << "two runs at " << t;
    const int minute = std::stoi(t.substr(14, 2));
    EXPECT_EQ(minute % 20, 0) << t;
    // A time in both schedules keeps its run.
    if (before.count(t)) {
      EXPECT_EQ(before[t], r["id"]) << t;
    }
  }
}

TEST_P(DeployTest, TwoSchedulersOnOneDatabaseCreateOneRunPerTime) {
  {
    auto setup = open_db();
    services::WorkModel m(*setup);
    const std::int64_t now = at("2026-06-01T00:00:00Z");
    db::WorkPoolRow pool;
    pool.name = "p";
    m.deployments.apply_work_pool(pool, now);
    for (int i = 0; i < 20; ++i) {
      db::DeploymentRow d;
      d.name = "d" + std::to_string(i);
      d.flow_name = "f";
      d.command_json = R"(["/bin/true"])";
      d.work_pool = "p";
      d.paused = true;  // its runs are created by the schedulers below, not here
      db::ScheduleRow s;
      s.kind = "cron";
      s.expression = "* * * * *";
      d.schedules.push_back(s);
      m.deployments.apply_deployment(d, now);
    }
    setup->run_write([](db::Connection& c) { c.query("UPDATE deployments SET paused = 0"); });
  }
  auto a = open_db();
  auto b = open_db();
  services::WorkModel ma(*a), mb(*b);
  const std::int64_t now = at("2026-06-01T00:00:00Z");
  std::atomic<std::int64_t> created{0};
  auto run = [&](services::WorkModel& m) {
    for (int k = 0; k < 3; ++k) created += m.deployments.schedule_runs(now).created;
  };
  std::thread ta([&] { run(ma); });
  std::thread tb([&] { run(mb); });
  ta.join();
  tb.join();
  // Each of the 20 deployments has 100 runs ahead, whichever scheduler made them.
  std::int64_t rows = 0;
  std::set<std::pair<std::string, std::int64_t>> keys;
  a->run_read([&](db::Connection& c) {
    auto r = c.query("SELECT schedule, expected_start_time FROM flow_runs WHERE schedule IS NOT NULL");
    rows = static_cast<std::int64_t>(r.size());
    for (std::size_t i = 0; i < r.size(); ++i) keys.insert({r.text(i, 0), r.int64(i, 1)});
  });
  EXPECT_EQ(rows, 20 * 100);
  EXPECT_EQ(static_cast<std::int64_t>(keys.size()), rows);
  EXPECT_EQ(created.load(), rows);
}

TEST_P(DeployTest, ADailyCronInAZoneThatSkipsItsTimeRunsOnceAtTheFirstValidInstant) {
  auto database = open_db();
  services::WorkModel m(*database);
  // 2026-03-29: Europe/Berlin jumps from 02:00 CET to 03:00 CEST; 02:30 does not exist.
  const std::int64_t now = at("2026-03-28T12:00:00Z");
  db::WorkPoolRow pool;
  pool.name = "p";
  m.deployments.apply_work_pool(pool, now);
  db::DeploymentRow d;
  d.name = "berlin";
  d.flow_name = "f";
  d.command_json = R"(["/bin/true"])";
  d.work_pool = "p";
  db::ScheduleRow s;
  s.kind = "cron";
  s.expression = "30 2 * * *";
  s.timezone = "Europe/Berlin";
  d.schedules.push_back(s);
  m.deployments.apply_deployment(d, now);
  std::vector<std::int64_t> times;
  database->run_read([&](db::Connection& c) {
    auto r = c.query("SELECT expected_start_time FROM flow_runs WHERE deployment = 'berlin' ORDER BY 1");
    for (std::size_t i = 0; i < r.size(); ++i) times.push_back(r.int64(i, 0));
  });
  // The horizon (a day) holds the 29th only: one run, at 03:00 CEST.
  ASSERT_EQ(times.size(), 1u);
  EXPECT_EQ(api::format_time(times[0]), "2026-03-29T01:00:00.000000Z");
}

TEST_P(DeployTest, ARunNotClaimed15SecondsAfterItsTimeBecomesLateInItsHistory) {
  auto database = open_db();
  services::WorkModel m(*database);
  std::int64_t clock = at("2026-06-01T10:00:30Z");
  services::SchedulerOptions so;
  so.now_us = [&] { return clock; };
  services::Scheduler scheduler(m, so);
  db::WorkPoolRow pool;
  pool.name = "p";
  m.deployments.apply_work_pool(pool, clock);
  db::DeploymentRow d;
  d.name = "every-minute";
  d.flow_name = "f";
  d.command_json = R"(["/bin/true"])";
  d.work_pool = "p";
  db::ScheduleRow s;
  s.kind = "interval";
  s.expression = "60";
  d.schedules.push_back(s);
  m.deployments.apply_deployment(d, clock);
  EXPECT_EQ(scheduler.tick().late, 0);
  clock = at("2026-06-01T10:01:14Z");  // the 10:01 run is 14 s past its time
  EXPECT_EQ(scheduler.tick().late, 0);
  clock = at("2026-06-01T10:01:16Z");
  EXPECT_EQ(scheduler.tick().late, 1);
  std::string id;
  database->run_read([&](db::Connection& c) {
    id = c.query("SELECT id FROM flow_runs WHERE state = 'Late'").text(0, 0);
  });
  const json j = api::to_json(database->read_flow_run(id));
  EXPECT_EQ(j["state"], "Late");
  EXPECT_EQ(j["expected_start_time"], "2026-06-01T10:01:00.000000Z");
  ASSERT_EQ(j["history"].size(), 2u) << j;
  EXPECT_EQ(j["history"][0]["state"], "Scheduled");
  EXPECT_EQ(j["history"][1]["state"], "Late");
  db::FlowRunFilter late_only;
  late_only.late = true;
  const auto listed = database->list_flow_runs(late_only);
  ASSERT_EQ(listed.items.size(), 1u);
  EXPECT_EQ(listed.items[0].id.str(), id);
  // A Late run is still handed out.
  db::WorkerInfo w;
  w.id = "w1";
  auto claimed = m.queue.claim("p", w, 10, std::chrono::seconds(30), clock);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].run.id.str(), id);
}

TEST_P(DeployTest, TwoWorkersOnTwoServersRacingForAThousandRunsClaimEachOnce) {
  auto s = start();
  auto c = s->client();
  put(*c, "/api/work-pools/race", json::object());
  ASSERT_EQ(put(*c, "/api/deployments/d", deployment("race")).status, 201);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(post_json(*c, "/api/deployments/d/runs", json::object()).status, 201);
  // The second worker asks a second server on the same database.
  auto s2 = start();
  std::mutex mu;
  std::vector<std::string> claimed;
  auto worker = [&](const std::string& id) {
    auto wc = (id == "w-a" ? s : s2)->client();
    for (;;) {
      const Reply r = post_json(*wc, "/api/work-pools/race/claim", {{"worker_id", id}, {"limit", 7}});
      ASSERT_EQ(r.status, 200) << r.body;
      if (r.body["runs"].empty()) return;
      std::lock_guard lock(mu);
      for (const auto& run : r.body["runs"]) {
        EXPECT_EQ(run["worker"], id);
        EXPECT_EQ(run["state"], "Pending");
        EXPECT_EQ(run["command"], json({"/opt/flows/etl", "--fast"}));
        claimed.push_back(run["id"]);
      }
    }
  };
  std::thread a(worker, "w-a"), b(worker, "w-b");
  a.join();
  b.join();
  const std::set<std::string> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), 1000u);
  EXPECT_EQ(unique.size(), 1000u);
}

TEST_P(DeployTest, AClaimWaitingForWorkIsWokenWhenARunIsCreated) {
  auto s = start();
  auto c = s->client();
  put(*c, "/api/work-pools/p", json::object());
  ASSERT_EQ(put(*c, "/api/deployments/d", deployment("p")).status, 201);
  Reply claimed;
  std::thread waiter([&] {
    auto wc = s->client();
    claimed = post_json(*wc, "/api/work-pools/p/claim", {{"worker_id", "w"}, {"wait_ms", 30000}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const Reply created = post_json(*c, "/api/deployments/d/runs", {{"parameters", {{"city", "Oslo"}}}});
  ASSERT_EQ(created.status, 201);
  waiter.join();
  ASSERT_EQ(claimed.status, 200);
  ASSERT_EQ(claimed.body["runs"].size(), 1u);
  EXPECT_EQ(claimed.body["runs"][0]["id"], created.body["id"]);
  EXPECT_EQ(claimed.body["runs"][0]["parameters"], json({{"month", 1}, {"city", "Oslo"}}));
}

TEST_P(DeployTest, AnExpiredLeaseCrashesTheRunNamingTheWorkerAndRetriesIt) {
  auto o = options();
  o.lease_check_every = std::chrono::milliseconds(50);
  auto s = start(o);
  auto c = s->client();
  put(*c, "/api/work-pools/p", json::object());
  json d = deployment("p");
  d["retries"] = 1;
  ASSERT_EQ(put(*c, "/api/deployments/d", d).status, 201);
  const std::string id = post_json(*c, "/api/deployments/d/runs", json::object()).body["id"];
  auto claim = [&] {
    return post_json(*c, "/api/work-pools/p/claim",
                     {{"worker_id", "w-1"}, {"worker_name", "box-worker"}, {"lease_seconds", 1}});
  };
  ASSERT_EQ(claim().body["runs"].size(), 1u);
  // No heartbeat: the lease expires, the run is Crashed, then Scheduled again.
  ASSERT_TRUE(baton::testing::eventually([&] { return get(*c, "/api/flow-runs/" + id).body["run_count"] == 2; },
                                         std::chrono::seconds(15)));
  json run = get(*c, "/api/flow-runs/" + id).body;
  EXPECT_EQ(run["state"], "Scheduled");
  EXPECT_TRUE(run["worker"].is_null());
  bool crashed_named = false;
  for (const auto& h : run["history"]) {
    if (h["state"] == "Crashed" && h.value("message", "").find("box-worker") != std::string::npos) crashed_named = true;
  }
  EXPECT_TRUE(crashed_named) << run;
  // The worker's heartbeat says it lost the run.
  const Reply hb = post_json(*c, "/api/workers/heartbeat", {{"worker_id", "w-1"}, {"work_pool", "p"}, {"runs", {id}}});
  EXPECT_EQ(hb.body["lost"], json({id}));
  // The second attempt expires too; no retries are left.
  ASSERT_EQ(claim().body["runs"].size(), 1u);
  ASSERT_TRUE(baton::testing::eventually([&] { return get(*c, "/api/flow-runs/" + id).body["state"] == "Crashed"; },
                                         std::chrono::seconds(15)));
  run = get(*c, "/api/flow-runs/" + id).body;
  EXPECT_NE(run["state_message"].get<std::string>().find("box-worker"), std::string::npos) << run;
  EXPECT_FALSE(run["end_time"].is_null());
}

TEST_P(DeployTest, AHeartbeatRenewsTheLeaseAndReportsCancellation) {
  auto o = options();
  o.lease_check_every = std::chrono::milliseconds(50);
  auto s = start(o);
  auto c = s->client();
  put(*c, "/api/work-pools/p", json::object());
  ASSERT_EQ(put(*c, "/api/deployments/d", deployment("p")).status, 201);
  const std::string id = post_json(*c, "/api/deployments/d/runs", json::object()).body["id"];
  ASSERT_EQ(post_json(*c, "/api/work-pools/p/claim", {{"worker_id", "w"}, {"lease_seconds", 1}}).body["runs"].size(), 1u);
  for (int i = 0; i < 8; ++i) {
    const Reply hb = post_json(*c, "/api/workers/heartbeat",
                               {{"worker_id", "w"}, {"work_pool", "p"}, {"runs", {id}}, {"lease_seconds", 1}});
    ASSERT_EQ(hb.status, 200);
    EXPECT_TRUE(hb.body["lost"].empty()) << hb.body;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(get(*c, "/api/flow-runs/" + id).body["state"], "Pending");
  ASSERT_EQ(post(*c, "/api/flow-runs/" + id + "/cancel", "").status, 202);
  const Reply hb = post_json(*c, "/api/workers/heartbeat", {{"worker_id", "w"}, {"work_pool", "p"}, {"runs", {id}}});
  EXPECT_EQ(hb.body["cancel"], json({id}));
  const Reply workers = get(*c, "/api/work-pools/p/workers");
  ASSERT_EQ(workers.body["workers"].size(), 1u);
  EXPECT_EQ(workers.body["workers"][0]["status"], "online");
  EXPECT_EQ(workers.body["workers"][0]["runs"], json({id}));
  // Another worker cannot hand it back or report its exit.
  EXPECT_EQ(post_json(*c, "/api/flow-runs/" + id + "/release", {{"worker_id", "other"}}).status, 409);
  const Reply back = post_json(*c, "/api/flow-runs/" + id + "/release", {{"worker_id", "w"}});
  EXPECT_EQ(back.body["state"], "Scheduled");
}

TEST_P(DeployTest, AProgramThatCannotStartIsFailedNamingItsPathAndASignalIsCrashedAndRetried) {
  auto s = start();
  auto c = s->client();
  put(*c, "/api/work-pools/p", json::object());
  json d = deployment("p");
  d["retries"] = 2;
  ASSERT_EQ(put(*c, "/api/deployments/d", d).status, 201);
  const std::string id = post_json(*c, "/api/deployments/d/runs", json::object()).body["id"];
  ASSERT_EQ(post_json(*c, "/api/work-pools/p/claim", {{"worker_id", "w"}}).body["runs"].size(), 1u);
  const Reply failed = post_json(*c, "/api/flow-runs/" + id + "/exit", {{"worker_id", "w"}, {"exit_code", 127}});
  ASSERT_EQ(failed.status, 200) << failed.body;
  EXPECT_EQ(failed.body["state"], "Failed");
  EXPECT_NE(failed.body["state_message"].get<std::string>().find("/opt/flows/etl"), std::string::npos) << failed.body;
  EXPECT_EQ(failed.body["run_count"], 1);  // not retried: it would fail the same way

  const std::string id2 = post_json(*c, "/api/deployments/d/runs", json::object()).body["id"];
  ASSERT_EQ(post_json(*c, "/api/work-pools/p/claim", {{"worker_id", "w"}}).body["runs"].size(), 1u);
  const Reply killed = post_json(*c, "/api/flow-runs/" + id2 + "/exit", {{"worker_id", "w"}, {"signal", 9}});
  EXPECT_EQ(killed.body["state"], "Scheduled");
  EXPECT_EQ(killed.body["run_count"], 2);
  const json history = get(*c, "/api/flow-runs/" + id2).body["history"];
  ASSERT_GE(history.size(), 2u);
  EXPECT_EQ(history[history.size() - 2]["state"], "Crashed");
  EXPECT_NE(history[history.size() - 2]["message"].get<std::string>().find("SIGKILL"), std::string::npos);
}

TEST_P(DeployTest, RetryReschedulesAFinishedDeploymentRunAndRefusesOthers) {
  auto s = start();
  auto c = s->client();
  put(*c, "/api/work-pools/p", json::object());
  ASSERT_EQ(put(*c, "/api/deployments/d", deployment("p")).status, 201);
  const std::string id = post_json(*c, "/api/deployments/d/runs", json::object()).body["id"];
  EXPECT_EQ(post(*c, "/api/flow-runs/" + id + "/retry", "").status, 409);  // not final yet
  ASSERT_EQ(post_json(*c, "/api/work-pools/p/claim", {{"worker_id", "w"}}).body["runs"].size(), 1u);
  post_json(*c, "/api/flow-runs/" + id + "/exit", {{"worker_id", "w"}, {"exit_code", 127}});
  const Reply again = post(*c, "/api/flow-runs/" + id + "/retry", "");
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(again.body["state"], "Scheduled");
  EXPECT_EQ(again.body["run_count"], 2);
  EXPECT_TRUE(again.body["end_time"].is_null());
  // A run an engine reported by itself has no deployment to start it again.
  const RunId plain = RunId::random();
  ASSERT_EQ(post_events(*c, "s", 1, flow_with_tasks(plain, 1, 1'765'000'000'000'000)).status, 200);
  const Reply refused = post(*c, "/api/flow-runs/" + plain.str() + "/retry", "");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("not created from a deployment"),
            std::string::npos)
      << refused.body;
}

TEST_P(DeployTest, InvalidSchedulesAndParametersAre422NamingTheField) {
  auto s = start();
  auto c = s->client();
  put(*c, "/api/work-pools/p", json::object());
  auto field_of = [&](const json& d) {
    const Reply r = put(*c, "/api/deployments/bad", d);
    EXPECT_EQ(r.status, 422) << r.body;
    return r.body["error"].value("field", std::string());
  };
  EXPECT_EQ(field_of(deployment("p", {{{"kind", "cron"}, {"cron", "0 25 * * *"}}})), "schedules[0].cron");
  EXPECT_EQ(field_of(deployment("p", {{{"kind", "cron"}, {"cron", "0 3 * * *"}},
                                      {{"kind", "cron"}, {"cron", "0 3 * * *"}, {"timezone", "Mars/Olympus"}}})),
            "schedules[1].timezone");
  EXPECT_EQ(field_of(deployment("p", {{{"kind", "interval"}, {"interval_seconds", 0}}})), "schedules[0].interval_seconds");
  EXPECT_EQ(field_of(deployment("p", {{{"kind", "rrule"}, {"rrule", "FREQ=SOMETIMES"}}})), "schedules[0].rrule");
  json wrong_default = deployment("p");
  wrong_default["parameters"] = {{"month", "May"}};
  EXPECT_EQ(field_of(wrong_default), "parameters.month");
  EXPECT_EQ(put(*c, "/api/deployments/bad", deployment("nowhere")).status, 404);

  ASSERT_EQ(put(*c, "/api/deployments/d", deployment("p")).status, 201);
  const Reply wrong_type = post_json(*c, "/api/deployments/d/runs", {{"parameters", {{"month", "May"}}}});
  EXPECT_EQ(wrong_type.status, 422);
  EXPECT_EQ(wrong_type.body["error"]["field"], "parameters.month");
  EXPECT_NE(wrong_type.body["error"]["message"].get<std::string>().find("int64"), std::string::npos);
  const Reply unknown = post_json(*c, "/api/deployments/d/runs", {{"parameters", {{"mnth", 5}}}});
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(unknown.body["error"]["field"], "parameters.mnth");
  EXPECT_TRUE(runs_of(*c, "d").empty());
}

TEST_P(DeployTest, ConcurrencySlotsAreAllOrNoneAndAnExpiredHolderFreesItsSlot) {
  auto s = start();
  auto c = s->client();
  ASSERT_EQ(put(*c, "/api/concurrency-limits/db", {{"limit", 2}}).status, 201);
  auto acquire = [&](const std::string& holder, json tags, int wait_ms, double lease = 30) {
    auto ac = s->client();
    return post_json(*ac, "/api/concurrency-limits/acquire",
                     {{"holder", holder}, {"tags", std::move(tags)}, {"wait_ms", wait_ms}, {"lease_seconds", lease}});
  };
  const Reply a = acquire("t-a", {"db", "untracked"}, 0);
  const Reply b = acquire("t-b", {"db"}, 0);
  ASSERT_TRUE(a.body["granted"].get<bool>());
  ASSERT_TRUE(b.body["granted"].get<bool>());
  const Reply c1 = acquire("t-c", {"db"}, 0);
  EXPECT_FALSE(c1.body["granted"].get<bool>());
  EXPECT_EQ(c1.body["blocked_by"], "db");
  EXPECT_EQ(get(*c, "/api/concurrency-limits/db").body["active_slots"], 2);
  // The third waits, and gets the slot a releases.
  Reply waited;
  std::thread t([&] { waited = acquire("t-c", {"db"}, 30000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(post_json(*c, "/api/concurrency-limits/release", {{"lease_id", a.body["lease_id"]}}).status, 204);
  t.join();
  EXPECT_TRUE(waited.body["granted"].get<bool>()) << waited.body;

  // A holder that stops renewing loses its slot when the lease expires.
  ASSERT_EQ(put(*c, "/api/concurrency-limits/gpu", {{"limit", 1}}).status, 201);
  const Reply dead = acquire("t-dead", {"gpu"}, 0, 1);
  ASSERT_TRUE(dead.body["granted"].get<bool>());
  const Reply next = acquire("t-next", {"gpu"}, 30000);
  EXPECT_TRUE(next.body["granted"].get<bool>()) << next.body;
  const Reply renew = post_json(*c, "/api/concurrency-limits/renew", {{"lease_ids", {dead.body["lease_id"]}}});
  EXPECT_EQ(renew.body["lost"], json({dead.body["lease_id"]}));
}

TEST_P(DeployTest, ArtifactsAreVersionedByKey) {
  auto s = start();
  auto c = s->client();
  const RunId run = RunId::random();
  const Reply v1 = post_json(*c, "/api/artifacts", {{"key", "report"}, {"type", "markdown"}, {"data", "# one"},
                                                    {"flow_run", run.str()}});
  ASSERT_EQ(v1.status, 201) << v1.body;
  EXPECT_EQ(v1.body["version"], 1);
  const Reply v2 = post_json(*c, "/api/artifacts",
                             {{"key", "report"}, {"type", "table"},
                              {"data", {{"columns", {"a", "b"}}, {"rows", {{1, 2}, {3, 4}}}}}});
  EXPECT_EQ(v2.body["version"], 2);
  post_json(*c, "/api/artifacts", {{"key", "docs"}, {"type", "link"}, {"data", {{"url", "https://example.org"}}}});
  const Reply latest = get(*c, "/api/artifacts");
  ASSERT_EQ(latest.body["artifacts"].size(), 2u);
  EXPECT_EQ(latest.body["artifacts"][0]["key"], "docs");
  EXPECT_EQ(latest.body["artifacts"][1]["version"], 2);
  const Reply all = get(*c, "/api/artifacts?key=report");
  ASSERT_EQ(all.body["artifacts"].size(), 2u);
  EXPECT_EQ(all.body["artifacts"][0]["data"]["rows"], json({{1, 2}, {3, 4}}));
  EXPECT_EQ(all.body["artifacts"][1]["data"], "# one");
  EXPECT_EQ(get(*c, "/api/artifacts?flow_run=" + run.str()).body["artifacts"].size(), 1u);

  const Reply big = post_json(*c, "/api/artifacts",
                              {{"key", "big"}, {"type", "markdown"}, {"data", std::string((1u << 20) + 1, 'x')}});
  EXPECT_EQ(big.status, 413);
  const Reply bad_key = post_json(*c, "/api/artifacts", {{"key", "Bad Key"}, {"type", "markdown"}, {"data", "x"}});
  EXPECT_EQ(bad_key.status, 400);
  EXPECT_EQ(bad_key.body["error"]["field"], "key");
  const Reply ragged = post_json(*c, "/api/artifacts", {{"key", "t"}, {"type", "table"},
                                                        {"data", {{"columns", {"a", "b"}}, {"rows", {{1}}}}}});
  EXPECT_EQ(ragged.body["error"]["field"], "data.rows[0]");
}

TEST_P(DeployTest, PoolAndDeploymentConcurrencyLimitsCapClaimedRuns) {
  auto s = start();
  auto c = s->client();
  ASSERT_EQ(put(*c, "/api/work-pools/p", {{"concurrency_limit", 3}}).status, 201);
  json d = deployment("p");
  d["concurrency_limit"] = 2;
  ASSERT_EQ(put(*c, "/api/deployments/d", d).status, 201);
  ASSERT_EQ(put(*c, "/api/deployments/e", deployment("p")).status, 201);
  for (int i = 0; i < 4; ++i) {
    post_json(*c, "/api/deployments/d/runs", json::object());
    post_json(*c, "/api/deployments/e/runs", json::object());
  }
  const Reply r = post_json(*c, "/api/work-pools/p/claim", {{"worker_id", "w"}, {"limit", 10}});
  ASSERT_EQ(r.body["runs"].size(), 3u) << r.body;
  int of_d = 0;
  for (const auto& run : r.body["runs"]) of_d += run["deployment"] == "d" ? 1 : 0;
  EXPECT_LE(of_d, 2);
  EXPECT_TRUE(post_json(*c, "/api/work-pools/p/claim", {{"worker_id", "w2"}}).body["runs"].empty());
  const Reply pool = get(*c, "/api/work-pools/p");
  EXPECT_EQ(pool.body["runs_running"], 3);
  EXPECT_EQ(pool.body["runs_scheduled"], 5);
  EXPECT_EQ(pool.body["workers_online"], 2);
  EXPECT_EQ(c->Delete("/api/work-pools/p")->status, 409);
}

TEST_P(DeployTest, TheEngineAdoptsAClaimedRunAndItsFinalStateStandsAfterTheExit) {
  auto s = start();
  auto c = s->client();
  put(*c, "/api/work-pools/p", json::object());
  ASSERT_EQ(put(*c, "/api/deployments/d", deployment("p")).status, 201);
  const std::string id = post_json(*c, "/api/deployments/d/runs", json::object()).body["id"];
  ASSERT_EQ(post_json(*c, "/api/work-pools/p/claim", {{"worker_id", "w"}}).body["runs"].size(), 1u);
  // The program's engine reports the pre-created run as its own, in one batch.
  const RunId run = *RunId::parse(id);
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  auto created = flow_created(run, "etl", now);
  created.pid = 4242;
  ASSERT_EQ(post_events(*c, "engine-1", 1,
                        {created, flow_state(run, StateType::Running, now + 1),
                         flow_state(run, StateType::Completed, now + 2)})
                .status,
            200);
  const Reply exit = post_json(*c, "/api/flow-runs/" + id + "/exit", {{"worker_id", "w"}, {"exit_code", 0}});
  ASSERT_EQ(exit.status, 200) << exit.body;
  const json r = get(*c, "/api/flow-runs/" + id).body;
  EXPECT_EQ(r["state"], "Completed");
  EXPECT_EQ(r["deployment"], "d");
  EXPECT_EQ(r["pid"], 4242);
  std::vector<std::string> states;
  for (const auto& h : r["history"]) states.push_back(h["state"]);
  EXPECT_EQ(states, (std::vector<std::string>{"Scheduled", "Pending", "Running", "Completed"}));
}

TEST_P(DeployTest, ARunCreatedThroughAnotherServerWakesThisServersClaimsByNotification) {
  if (GetParam() == Backend::Sqlite) GTEST_SKIP() << "one server per SQLite file: nothing to notify";
  auto here_db = open_db();
  auto there_db = open_db();
  services::WorkModel here(*here_db), there(*there_db);
  services::NotifyListener listener(here);
  const std::int64_t now = db::util::now_us();
  db::WorkPoolRow pool;
  pool.name = "p";
  there.deployments.apply_work_pool(pool, now);
  db::DeploymentRow d;
  d.name = "d";
  d.flow_name = "f";
  d.command_json = R"(["/bin/true"])";
  d.work_pool = "p";
  const auto applied = there.deployments.apply_deployment(d, now).first;
  // Only the other server's store is told directly; this one hears of it by
  // PostgreSQL NOTIFY (retried until the listener's LISTEN is in place).
  const bool woken = baton::testing::eventually([&] {
    const auto seen = here.runs_ready.generation();
    there.deployments.create_run(applied, "{}", std::nullopt, std::nullopt, "", db::util::now_us());
    return here.runs_ready.wait(seen, std::chrono::steady_clock::now() + std::chrono::milliseconds(500)) != seen;
  }, std::chrono::seconds(20));
  EXPECT_TRUE(woken);
}

INSTANTIATE_TEST_SUITE_P(Databases, DeployTest, ::testing::Values(Backend::Sqlite, Backend::Postgres), backend_name);

}  // namespace
}  // namespace baton::server::testing

// The server's API over HTTP: every route of openapi.json answers as documented,
// bad input is a 4xx naming the field, and ingest is idempotent. Each test runs
// on SQLite and on PostgreSQL.
#include "server_test_util.h"

#include "server/db/sql.h"
#include "store/event_json.h"

#include <zlib.h>

#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

namespace baton::server::testing {
namespace {

using nlohmann::json;

constexpr std::int64_t kT0 = 1'765'000'000'000'000;  // 2025-12-06, microseconds

TEST(ServerRoutes, TheRoutesTheServerRegistersAreThePathsOfOpenApiJson) {
  std::ifstream in(BATON_OPENAPI_PATH);
  std::stringstream ss;
  ss << in.rdbuf();
  const json doc = json::parse(ss.str());
  std::set<std::string> documented;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      std::string m = method;
      for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.insert(m + " " + path);
    }
  }
  baton::testing::TempDir dir;
  ServerOptions o;
  o.database = dir.str() + "/server.db";
  TestServer s(o);
  const auto routes = s.server().registered_routes();
  const std::set<std::string> registered(routes.begin(), routes.end());
  EXPECT_EQ(registered, documented);
  // And the document served is the one in the repository.
  auto c = s.client();
  auto r = c->Get("/api/openapi.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body), doc);
}

TEST_P(ServerTest, EveryRouteAnswersWithTheDocumentedShape) {
  auto s = start();
  auto c = s->client();
  EXPECT_EQ(get(*c, "/api/health").body["status"], "ok");
  const Reply ready = get(*c, "/api/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body["database"], GetParam() == Backend::Sqlite ? "sqlite" : "postgresql");
  EXPECT_EQ(ready.body["schema_version"], 4);

  const RunId flow = RunId::random();
  auto events = flow_with_tasks(flow, 4, kT0);
  const RunId first_task = std::get<engine::TaskRunCreated>(events[2]).id;
  events.push_back(engine::ResultRecorded{first_task, flow, "key-1", "/results/abc", 123, "json", first_task, false});
  const std::string awkward = "tab\there\nnew line \\N back\\slash \u00fc \"quoted\"";
  events.push_back(engine::LogRecorded{flow, {}, LogLevel::Error, at_us(kT0 + 5), awkward});
  const Reply ingested = post_events(*c, "engine-a", 1, events);
  ASSERT_EQ(ingested.status, 200) << ingested.body;
  EXPECT_EQ(ingested.body["accepted"], events.size());
  EXPECT_EQ(ingested.body["duplicates"], 0);

  const Reply list = get(*c, "/api/flow-runs");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["flow_runs"].size(), 1u);
  const json& fr = list.body["flow_runs"][0];
  EXPECT_EQ(fr["id"], flow.str());
  EXPECT_EQ(fr["flow_name"], "etl");
  EXPECT_EQ(fr["state"], "Completed");
  EXPECT_EQ(fr["task_run_count"], 4);
  EXPECT_EQ(fr["parameters"]["month"], "2024-01");
  EXPECT_EQ(fr["tags"], json::array({"nightly"}));
  EXPECT_EQ(fr["created"], "2025-12-06T05:46:40.000000Z");
  EXPECT_TRUE(list.body["next_cursor"].is_null());

  const Reply detail = get(*c, "/api/flow-runs/" + flow.str().substr(0, 8));  // a prefix is enough
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(detail.body["task_run_counts"]["Completed"], 4);
  ASSERT_EQ(detail.body["history"].size(), 3u);
  EXPECT_EQ(detail.body["history"][1]["state"], "Running");

  const Reply tasks = get(*c, "/api/flow-runs/" + flow.str() + "/task-runs?name=LOAD");
  ASSERT_EQ(tasks.status, 200) << tasks.body;
  EXPECT_EQ(tasks.body["task_runs"].size(), 2u);

  const Reply graph = get(*c, "/api/flow-runs/" + flow.str() + "/graph");
  ASSERT_EQ(graph.status, 200) << graph.body;
  EXPECT_EQ(graph.body["total_nodes"], 4);
  EXPECT_EQ(graph.body["total_edges"], 3);
  EXPECT_EQ(graph.body["nodes"].size(), 4u);
  EXPECT_EQ(graph.body["edges"].size(), 3u);
  ASSERT_EQ(graph.body["groups"].size(), 2u);
  EXPECT_EQ(graph.body["groups"][1]["task_name"], "transform");
  EXPECT_EQ(graph.body["groups"][1]["upstream_groups"], json::array({"load"}));

  const Reply logs = get(*c, "/api/flow-runs/" + flow.str() + "/logs?q=TASK%202&level=INFO");
  ASSERT_EQ(logs.status, 200) << logs.body;
  ASSERT_EQ(logs.body["logs"].size(), 1u);
  EXPECT_EQ(logs.body["logs"][0]["message"], "task 2 works");
  const Reply errors = get(*c, "/api/flow-runs/" + flow.str() + "/logs?level=ERROR");
  ASSERT_EQ(errors.body["logs"].size(), 1u);
  EXPECT_EQ(errors.body["logs"][0]["message"], awkward);  // byte for byte, through COPY on PostgreSQL
  EXPECT_TRUE(errors.body["logs"][0]["task_run"].is_null());

  const Reply results = get(*c, "/api/flow-runs/" + flow.str() + "/results");
  ASSERT_EQ(results.body["results"].size(), 1u);
  EXPECT_EQ(results.body["results"][0]["location"], "/results/abc");
  EXPECT_EQ(get(*c, "/api/results?cache_key=key-1").body["results"].size(), 1u);
  EXPECT_EQ(get(*c, "/api/results?task=load").body["results"].size(), 1u);
  EXPECT_EQ(get(*c, "/api/results?task=transform").body["results"].size(), 0u);

  const Reply task = get(*c, "/api/task-runs/" + first_task.str());
  ASSERT_EQ(task.status, 200) << task.body;
  EXPECT_EQ(task.body["task_name"], "load");
  EXPECT_EQ(task.body["downstream"].size(), 1u);
  EXPECT_EQ(task.body["result"]["size"], 123);
  EXPECT_EQ(task.body["history"].size(), 3u);
  EXPECT_EQ(get(*c, "/api/task-runs/" + first_task.str() + "/logs").body["logs"].size(), 1u);

  const Reply stats = get(*c, "/api/flow-runs/stats?since=2025-12-06T00:00:00Z&until=2025-12-07T00:00:00Z&bucket_seconds=21600");
  ASSERT_EQ(stats.status, 200) << stats.body;
  ASSERT_EQ(stats.body["buckets"].size(), 4u);
  EXPECT_EQ(stats.body["buckets"][0]["counts"]["Completed"], 1);

  // A run still going: cancel it, and its engine learns at the next heartbeat.
  const RunId running = RunId::random();
  ASSERT_EQ(post_events(*c, "engine-a", events.size() + 1, {flow_created(running, "etl", kT0 + 100),
                                                           flow_state(running, StateType::Running, kT0 + 101)})
                .status,
            200);
  const Reply cancel = post(*c, "/api/flow-runs/" + running.str() + "/cancel", "");
  EXPECT_EQ(cancel.status, 202) << cancel.body;
  EXPECT_FALSE(cancel.body["cancel_requested"].is_null());
  const Reply beat = post(*c, "/api/heartbeat", json{{"flow_runs", {running.str()}}, {"interval_seconds", 5}}.dump());
  ASSERT_EQ(beat.status, 200) << beat.body;
  EXPECT_EQ(beat.body["cancel_requested"], json::array({running.str()}));
  // A final run cannot be cancelled: 409 naming its state.
  const Reply late = post(*c, "/api/flow-runs/" + flow.str() + "/cancel", "");
  EXPECT_EQ(late.status, 409);
  EXPECT_NE(late.body["error"]["message"].get<std::string>().find("Completed"), std::string::npos);

  // The live stream answers with server-sent events.
  std::mutex received_mu;  // the reader appends while this thread looks
  std::string received;
  auto streamed_text = [&] {
    std::lock_guard lock(received_mu);
    return received;
  };
  auto sc = s->client();
  std::thread reader([&] {
    sc->Get(("/api/stream?flow_run=" + running.str()).c_str(), [&](const char* data, std::size_t n) {
      std::lock_guard lock(received_mu);
      received.append(data, n);
      return received.find("event: task_run") == std::string::npos;  // stop after the first task run
    });
  });
  // Until the stream is subscribed, posted changes are not streamed: post new
  // task runs until one arrives.
  std::vector<RunId> posted;
  const bool streamed = baton::testing::eventually([&] {
    posted.push_back(RunId::random());
    post_events(*c, "engine-b", posted.size(), {task_created(posted.back(), running, "live", kT0 + 200)});
    return streamed_text().find("event: task_run") != std::string::npos;
  }, std::chrono::seconds(10));
  if (!streamed) sc->stop();
  reader.join();
  ASSERT_TRUE(streamed);
  bool named = false;
  for (const auto& id : posted) named = named || received.find(id.str()) != std::string::npos;
  EXPECT_TRUE(named) << received;
}

TEST_P(ServerTest, ReplayedAndOverlappingBatchesDuplicateNothing) {
  auto s = start();
  auto c = s->client();
  const RunId flow = RunId::random();
  const auto events = flow_with_tasks(flow, 10, kT0);  // 2 + 10*5 - 1 + 1 = 52 events
  const std::vector<engine::Event> first(events.begin(), events.begin() + 30);
  const std::vector<engine::Event> overlap(events.begin() + 20, events.end());  // seq 21..52
  ASSERT_EQ(post_events(*c, "src", 1, first).body["accepted"], 30);
  Reply again = post_events(*c, "src", 1, first);
  EXPECT_EQ(again.body["accepted"], 0);
  EXPECT_EQ(again.body["duplicates"], 30);
  Reply rest = post_events(*c, "src", 21, overlap);
  EXPECT_EQ(rest.body["accepted"], static_cast<int>(events.size()) - 30);
  EXPECT_EQ(rest.body["duplicates"], 10);
  // Another source's sequence numbers are its own.
  EXPECT_EQ(post_events(*c, "other", 1, {}).status, 200);

  const Reply detail = get(*c, "/api/flow-runs/" + flow.str());
  EXPECT_EQ(detail.body["task_run_count"], 10);
  EXPECT_EQ(detail.body["task_run_counts"]["Completed"], 10);
  EXPECT_EQ(detail.body["history"].size(), 3u);
  EXPECT_EQ(get(*c, "/api/flow-runs/" + flow.str() + "/logs").body["logs"].size(), 10u);
  const Reply graph = get(*c, "/api/flow-runs/" + flow.str() + "/graph");
  EXPECT_EQ(graph.body["total_edges"], 9);
  // Edges whose ends arrived in different batches still join their groups.
  ASSERT_EQ(graph.body["groups"].size(), 2u);
  EXPECT_EQ(graph.body["groups"][0]["upstream_groups"], json::array({"transform"}));
  EXPECT_EQ(graph.body["groups"][1]["upstream_groups"], json::array({"load"}));
  const Reply task_list = get(*c, "/api/flow-runs/" + flow.str() + "/task-runs");
  for (const auto& t : task_list.body["task_runs"]) {
    const Reply one = get(*c, "/api/task-runs/" + t["id"].get<std::string>());
    EXPECT_EQ(one.body["history"].size(), 3u) << one.body;  // Pending, Running, Completed: once each
  }
}

TEST_P(ServerTest, CursorsWalkEveryRunOnceInOrder) {
  auto s = start();
  auto c = s->client();
  std::vector<engine::Event> events;
  std::set<std::string> ids;
  for (int i = 0; i < 25; ++i) {
    const RunId f = RunId::random();
    ids.insert(f.str());
    // Pairs of runs created at the same microsecond: the key breaks the tie.
    events.push_back(flow_created(f, i % 3 ? "etl" : "report", kT0 + (i / 2) * 1000));
  }
  ASSERT_EQ(post_events(*c, "src", 1, events).status, 200);
  std::set<std::string> seen;
  std::string cursor;
  std::string last_created = "9999";
  int pages = 0;
  for (;;) {
    Reply page = get(*c, "/api/flow-runs?limit=7" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(page.status, 200) << page.body;
    ++pages;
    for (const auto& r : page.body["flow_runs"]) {
      EXPECT_TRUE(seen.insert(r["id"].get<std::string>()).second);
      EXPECT_LE(r["created"].get<std::string>(), last_created);  // newest first
      last_created = r["created"].get<std::string>();
    }
    if (page.body["next_cursor"].is_null()) break;
    cursor = page.body["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(get(*c, "/api/flow-runs?flow=report&limit=1000").body["flow_runs"].size(), 9u);
  EXPECT_EQ(get(*c, "/api/flow-runs?tag=nightly").body["flow_runs"].size(), 25u);
  EXPECT_EQ(get(*c, "/api/flow-runs?tag=weekly").body["flow_runs"].size(), 0u);
  EXPECT_EQ(get(*c, "/api/flow-runs?state=Pending,Running").body["flow_runs"].size(), 25u);
  EXPECT_EQ(get(*c, "/api/flow-runs?since=2025-12-06T05:46:40.005Z").body["flow_runs"].size(), 15u);
}

TEST_P(ServerTest, BadInputIsA400NamingTheField) {
  auto s = start();
  auto c = s->client();
  auto expect_400 = [&](const Reply& r, const std::string& field, const std::string& needle) {
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.body["error"]["status"], 400);
    EXPECT_EQ(r.body["error"]["field"], field) << r.body;
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find(needle), std::string::npos) << r.body;
  };
  expect_400(post(*c, "/api/events", "{\"source\": \"s\", \"first_seq\": 1, \"events\": ["), "body", "malformed JSON");
  expect_400(post(*c, "/api/events", R"({"source": 7, "first_seq": 1, "events": []})"), "source", "expected a string");
  expect_400(post(*c, "/api/events", R"({"source": "s", "first_seq": 1, "events": [], "extra": true})"), "extra",
             "unknown field");
  const std::string id = RunId::random().str();
  expect_400(post(*c, "/api/events",
                  R"({"source":"s","first_seq":1,"events":[{"kind":"state_changed","run":")" + id +
                      R"(","run_kind":"task","state":"Runing","at_us":1}]})"),
             "events[0].state", "unknown state 'Runing'");
  expect_400(post(*c, "/api/heartbeat", R"({"flow_runs": "all", "interval_seconds": 5})"), "flow_runs",
             "expected an array");
  expect_400(post(*c, "/api/heartbeat", R"({"flow_runs": [], "interval_seconds": "5"})"), "interval_seconds",
             "number of seconds");
  expect_400(post(*c, "/api/heartbeat", R"({"flow_runs": [], "interval_seconds": 5, "pid": 3})"), "pid",
             "unknown field");
  expect_400(get(*c, "/api/flow-runs?state=Runing"), "state", "unknown state 'Runing'");
  expect_400(get(*c, "/api/flow-runs?limit=0"), "limit", "from 1 to 1000");
  expect_400(get(*c, "/api/flow-runs?limit=5000"), "limit", "from 1 to 1000");
  expect_400(get(*c, "/api/flow-runs?since=yesterday"), "since", "RFC 3339");
  expect_400(get(*c, "/api/flow-runs?cursor=abc"), "cursor", "not a cursor");
  expect_400(get(*c, "/api/flow-runs?colour=red"), "colour", "unknown query parameter");
  expect_400(get(*c, "/api/flow-runs?parent=xyz"), "parent", "not a run id");
  expect_400(get(*c, "/api/flow-runs/stats"), "since", "missing");
  expect_400(get(*c, "/api/flow-runs/stats?since=2025-01-01T00:00:00Z&bucket_seconds=10"), "bucket_seconds", "from 60");
  const RunId flow = RunId::random();
  ASSERT_EQ(post_events(*c, "s", 1, {flow_created(flow, "etl", kT0)}).status, 200);
  expect_400(get(*c, "/api/flow-runs/" + flow.str() + "/logs?level=LOUD"), "level", "expected DEBUG");
  expect_400(get(*c, "/api/flow-runs/" + flow.str() + "/graph?limit=9000"), "limit", "from 0 to 5000");
}

TEST_P(ServerTest, AnUnknownIdIsA404NamingIt) {
  auto s = start();
  auto c = s->client();
  const std::string id = RunId::random().str();
  for (const std::string& path : {"/api/flow-runs/" + id, "/api/flow-runs/" + id + "/task-runs",
                                 "/api/flow-runs/" + id + "/graph", "/api/flow-runs/" + id + "/logs",
                                 "/api/flow-runs/" + id + "/results", "/api/task-runs/" + id,
                                 "/api/task-runs/" + id + "/logs", "/api/stream?flow_run=" + id}) {
    const Reply r = get(*c, path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find(id), std::string::npos) << r.body;
  }
  EXPECT_EQ(post(*c, "/api/flow-runs/" + id + "/cancel", "").status, 404);
  const Reply no_route = get(*c, "/api/flow-run");
  EXPECT_EQ(no_route.status, 404);
  EXPECT_EQ(no_route.body["error"]["message"], "no route GET /api/flow-run");
}

TEST_P(ServerTest, ABodyOverTheLimitIsA413AndAGzipBodyIsAccepted) {
  auto o = options();
  o.max_body_bytes = 64 * 1024;
  auto s = start(o);
  auto c = s->client();
  const RunId flow = RunId::random();
  std::vector<engine::Event> big = {flow_created(flow, "etl", kT0)};
  for (int i = 0; i < 2000; ++i) {
    big.push_back(engine::LogRecorded{flow, {}, LogLevel::Info, at_us(kT0 + i), std::string(100, 'x')});
  }
  const std::string body = store::encode_ingest_batch("s", 1, big);
  ASSERT_GT(body.size(), o.max_body_bytes);
  const Reply too_big = reply_of_post_raw(*c, body, false);
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(too_big.body["error"]["status"], 413);
  // The same batch compressed fits (it is decompressed by the server).
  const Reply gz = reply_of_post_raw(*c, body, true);
  EXPECT_EQ(gz.status, 200) << gz.body;
  EXPECT_EQ(gz.body["accepted"], big.size());
}

// Browsers accept brotli and gzip; the brotli of Debian's cpp-httplib runs at its
// slowest quality (about 25 times gzip's time), so such a client gets gzip.
TEST_P(ServerTest, AClientAcceptingBrotliAndGzipIsAnsweredInGzip) {
  auto s = start(options());
  auto c = s->client();
  c->set_decompress(false);
  auto browser = c->Get("/api/openapi.json", {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(browser);
  EXPECT_EQ(browser->status, 200);
  EXPECT_EQ(browser->get_header_value("Content-Encoding"), "gzip");
  auto brotli_only = c->Get("/api/openapi.json", {{"Accept-Encoding", "br"}});
  ASSERT_TRUE(brotli_only);
  EXPECT_EQ(brotli_only->status, 200);
  EXPECT_EQ(brotli_only->get_header_value("Content-Encoding"), "");
  EXPECT_EQ(json::parse(brotli_only->body)["openapi"], "3.0.3");
}

TEST_P(ServerTest, TheApiKeyIsRequiredWhenSet) {
  auto o = options();
  o.api_key = "s3cret";
  auto s = start(o);
  auto c = s->client();
  const Reply missing = get(*c, "/api/flow-runs");
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.body["error"]["message"].get<std::string>().find("BATON_API_KEY"), std::string::npos);
  c->set_bearer_token_auth("wrong");
  EXPECT_EQ(get(*c, "/api/flow-runs").status, 401);
  EXPECT_EQ(post_events(*c, "s", 1, {}).status, 401);
  c->set_bearer_token_auth("s3cret");
  EXPECT_EQ(get(*c, "/api/flow-runs").status, 200);
  EXPECT_EQ(post_events(*c, "s", 1, {}).status, 200);
  auto anonymous = s->client();
  EXPECT_EQ(get(*anonymous, "/api/health").status, 200);
  EXPECT_EQ(get(*anonymous, "/api/ready").status, 200);
}

TEST_P(ServerTest, HeartbeatSilenceMarksTheFlowRunCrashed) {
  auto o = options();
  o.crash_check_every = std::chrono::milliseconds(50);
  auto s = start(o);
  auto c = s->client();
  const RunId silent = RunId::random(), alive = RunId::random(), task = RunId::random();
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_EQ(post_events(*c, "s", 1,
                        {flow_created(silent, "etl", now), flow_state(silent, StateType::Running, now + 1),
                         task_created(task, silent, "load", now + 2), task_state(task, StateType::Running, now + 3),
                         flow_created(alive, "etl", now), flow_state(alive, StateType::Running, now + 1)})
                .status,
            200);
  ASSERT_EQ(post(*c, "/api/heartbeat", json{{"flow_runs", {silent.str(), alive.str()}}, {"interval_seconds", 0.2}}.dump())
                .status,
            200);
  // `alive` keeps sending heartbeats; `silent` stops.
  const bool crashed = baton::testing::eventually([&] {
    post(*c, "/api/heartbeat", json{{"flow_runs", {alive.str()}}, {"interval_seconds", 0.2}}.dump());
    return get(*c, "/api/flow-runs/" + silent.str()).body["state"] == "Crashed";
  }, std::chrono::seconds(15));
  ASSERT_TRUE(crashed);
  const Reply r = get(*c, "/api/flow-runs/" + silent.str());
  EXPECT_NE(r.body["state_message"].get<std::string>().find("no heartbeat"), std::string::npos) << r.body;
  EXPECT_EQ(r.body["history"].back()["state"], "Crashed");
  EXPECT_EQ(get(*c, "/api/task-runs/" + task.str()).body["state"], "Crashed");
  EXPECT_EQ(r.body["task_run_counts"], json({{"Crashed", 1}}));
  const Reply graph = get(*c, "/api/flow-runs/" + silent.str() + "/graph");
  EXPECT_EQ(graph.body["groups"][0]["counts_by_state"], json({{"Crashed", 1}}));
  EXPECT_FALSE(graph.body["groups"][0]["end_time"].is_null());
  EXPECT_EQ(get(*c, "/api/flow-runs/" + alive.str()).body["state"], "Running");
}

TEST_P(ServerTest, RetentionDeletesOldRunsWithTheirTaskRunsAndLogs) {
  auto o = options();
  o.retention = std::chrono::hours(24 * 30);
  o.retention_every = std::chrono::milliseconds(50);
  {
    // Old (a year ago) and new runs.
    auto s = start();
    auto c = s->client();
    const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    auto old_runs = flow_with_tasks(RunId::random(), 3, now - 365LL * 86400 * 1'000'000);
    auto more_old = flow_with_tasks(RunId::random(), 3, now - 300LL * 86400 * 1'000'000);
    old_runs.insert(old_runs.end(), more_old.begin(), more_old.end());
    ASSERT_EQ(post_events(*c, "s", 1, old_runs).status, 200);
    ASSERT_EQ(post_events(*c, "t", 1, flow_with_tasks(RunId::random(), 3, now)).status, 200);
    EXPECT_EQ(get(*c, "/api/flow-runs").body["flow_runs"].size(), 3u);
  }
  auto s = start(o);
  auto c = s->client();
  EXPECT_TRUE(baton::testing::eventually([&] { return get(*c, "/api/flow-runs").body["flow_runs"].size() == 1u; }));
  const auto left = get(*c, "/api/flow-runs").body["flow_runs"][0]["id"].get<std::string>();
  EXPECT_EQ(get(*c, "/api/flow-runs/" + left + "/logs").body["logs"].size(), 3u);
  // The old lines are gone from the database (on PostgreSQL their days' partitions were dropped).
  auto conn = db::make_factory(database_)->connect();
  EXPECT_TRUE(baton::testing::eventually([&] { return conn->query("SELECT count(*) FROM logs").int64(0, 0) == 3; }));
  EXPECT_EQ(conn->query("SELECT count(*) FROM task_runs").int64(0, 0), 3);
  if (GetParam() == Backend::Postgres) {
    EXPECT_EQ(conn->query("SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
                          "WHERE p.relname = 'logs'")
                  .int64(0, 0),
              1);  // today's
  }
}

TEST_P(ServerTest, TheWebUiIsServedWithAnIndexFallbackOrAPageSayingItIsNotBuilt) {
  {
    auto s = start();
    auto c = s->client();
    auto r = c->Get("/flow-runs/abc");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("web UI is not built"), std::string::npos);
  }
  auto o = options();
  const std::string ui = dir_.str() + "/ui";
  std::filesystem::create_directories(ui + "/assets");
  std::ofstream(ui + "/index.html") << "<html>baton ui</html>";
  std::ofstream(ui + "/assets/app.js") << "console.log(1)";
  o.ui_dir = ui;
  auto s = start(o);
  auto c = s->client();
  auto index = c->Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->body, "<html>baton ui</html>");
  auto js = c->Get("/assets/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->body, "console.log(1)");
  auto deep = c->Get("/flow-runs/abc");  // a client-side route
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->body, "<html>baton ui</html>");
  EXPECT_EQ(get(*c, "/api/nothing").status, 404);  // the API never falls back to the UI
}

INSTANTIATE_TEST_SUITE_P(Databases, ServerTest, ::testing::Values(Backend::Sqlite, Backend::Postgres), backend_name);

}  // namespace
}  // namespace baton::server::testing

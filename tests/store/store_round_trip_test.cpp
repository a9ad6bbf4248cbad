// Writing every event kind and reading it back; batching across transactions;
// id prefixes; list filters; cancellation through the heartbeat.
#include "store/id_blob.h"
#include "store/run_store_reader.h"
#include "store/sqlite_db.h"
#include "store/sqlite_run_store.h"
#include "store_test_util.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <ctime>

namespace baton::store {
namespace {

using namespace baton::store::testing;
using engine::Event;

// Writes every run in the batch that touches it, so tests can read in between.
std::unique_ptr<SqliteRunStore> open_store(const TempDir& dir) {
  SqliteRunStoreOptions o;
  o.path = db_path(dir);
  o.task_run_write_delay = std::chrono::milliseconds(0);
  auto s = SqliteRunStore::open(o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(s).value();
}

std::unique_ptr<RunStoreReader> open_reader(const TempDir& dir) {
  SqliteRunStoreOptions o;
  o.path = db_path(dir);
  auto r = RunStoreReader::open(o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return std::move(r).value();
}

TEST(StoreRoundTrip, EveryEventKindComesBack) {
  TempDir dir;
  const RunId flow = RunId::random();
  const RunId load = RunId::random();
  const RunId transform = RunId::random();
  const RunId child = RunId::random();
  {
    auto store = open_store(dir);
    engine::FlowRunCreated child_created = flow_created(child, "child", at_second(1012));
    child_created.parent_flow_run = flow;
    std::vector<Event> batch = {
        flow_created(flow, "etl", at_second(1000)),
        flow_state(flow, StateType::Running, at_second(1001)),
        task_created(load, flow, "load", at_second(1002)),
        task_state(load, StateType::Running, at_second(1003)),
        engine::LogRecorded{flow, {}, LogLevel::Info, at_second(1001), "flow starts"},
        engine::LogRecorded{flow, load, LogLevel::Warning, at_second(1004), "loading \"x\"\nline two"},
        task_state(load, StateType::Completed, at_second(1005)),
        task_created(transform, flow, "transform", at_second(1006)),
        engine::EdgeAdded{flow, load, transform, engine::EdgeKind::Data},
        engine::EdgeAdded{flow, load, transform, engine::EdgeKind::WaitFor},
        task_state(transform, StateType::Running, at_second(1007)),
        task_state(transform, StateType::AwaitingRetry, at_second(1008), "attempt 1 failed"),
        task_state(transform, StateType::Retrying, at_second(1009)),
        task_state(transform, StateType::Failed, at_second(1010), "division by zero"),
        engine::LogRecorded{flow, transform, LogLevel::Error, at_second(1010), "boom"},
        child_created,
        flow_state(child, StateType::Running, at_second(1013)),
        flow_state(child, StateType::Completed, at_second(1014)),
        flow_state(flow, StateType::Failed, at_second(1015), "1 task run failed"),
    };
    store->write(batch);
  }
  auto reader = open_reader(dir);
  auto f = reader->flow_run(flow);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->flow_name, "etl");
  EXPECT_EQ(f->run_name, "etl-run");
  EXPECT_EQ(f->parameters_json, R"({"path": "taxi.parquet", "n": 3})");
  EXPECT_EQ(f->tags_json, R"(["nightly"])");
  EXPECT_EQ(f->version, "1.0");
  EXPECT_EQ(f->created, at_second(1000));
  EXPECT_EQ(f->state, StateType::Failed);
  EXPECT_EQ(f->state_message, "1 task run failed");
  EXPECT_EQ(f->start_time, at_second(1001));
  EXPECT_EQ(f->end_time, at_second(1015));
  EXPECT_EQ(f->pid, ::getpid());
  EXPECT_NE(f->process_started, 0u);
  EXPECT_FALSE(f->hostname.empty());
  EXPECT_TRUE(f->heartbeat.has_value());
  EXPECT_FALSE(f->cancel_requested.has_value());
  EXPECT_EQ(f->task_run_count, 2);
  EXPECT_TRUE(f->parent_flow_run.empty());
  ASSERT_EQ(f->history.size(), 3u);
  EXPECT_EQ(f->history[0].type, StateType::Pending);
  EXPECT_EQ(f->history[0].at, at_second(1000));
  EXPECT_EQ(f->history[1].type, StateType::Running);
  EXPECT_EQ(f->history[2].type, StateType::Failed);
  EXPECT_EQ(f->history[2].message, "1 task run failed");

  auto c = reader->flow_run(child);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->parent_flow_run, flow);
  EXPECT_EQ(c->state, StateType::Completed);
  EXPECT_EQ(c->task_run_count, 0);

  auto tasks = reader->task_runs(flow);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 2u);
  const TaskRunRecord& t0 = (*tasks)[0];
  EXPECT_EQ(t0.id, load);
  EXPECT_EQ(t0.flow_run, flow);
  EXPECT_EQ(t0.task_name, "load");
  EXPECT_EQ(t0.run_name, "load-0");
  EXPECT_EQ(t0.parameters_json, R"({"x": 1})");
  EXPECT_EQ(t0.state, StateType::Completed);
  EXPECT_EQ(t0.start_time, at_second(1003));
  EXPECT_EQ(t0.end_time, at_second(1005));
  ASSERT_EQ(t0.history.size(), 3u);
  const TaskRunRecord& t1 = (*tasks)[1];
  EXPECT_EQ(t1.state, StateType::Failed);
  EXPECT_EQ(t1.state_message, "division by zero");
  EXPECT_EQ(t1.start_time, at_second(1007));  // the first Running, not the retry
  ASSERT_EQ(t1.history.size(), 5u);
  EXPECT_EQ(t1.history[2].type, StateType::AwaitingRetry);
  EXPECT_EQ(t1.history[2].message, "attempt 1 failed");
  EXPECT_EQ(t1.history[3].type, StateType::Retrying);

  auto edges = reader->edges(flow);
  ASSERT_TRUE(edges.ok());
  ASSERT_EQ(edges->size(), 2u);
  EXPECT_EQ((*edges)[0].upstream, load);
  EXPECT_EQ((*edges)[0].downstream, transform);
  EXPECT_EQ((*edges)[0].kind, engine::EdgeKind::Data);
  EXPECT_EQ((*edges)[1].kind, engine::EdgeKind::WaitFor);

  auto logs = reader->logs(flow);
  ASSERT_TRUE(logs.ok());
  ASSERT_EQ(logs->size(), 3u);
  EXPECT_EQ((*logs)[0].message, "flow starts");
  EXPECT_TRUE((*logs)[0].task_run.empty());
  EXPECT_EQ((*logs)[1].task_run, load);
  EXPECT_EQ((*logs)[1].level, LogLevel::Warning);
  EXPECT_EQ((*logs)[1].message, "loading \"x\"\nline two");
  EXPECT_EQ((*logs)[1].at, at_second(1004));
  EXPECT_EQ((*logs)[2].level, LogLevel::Error);
  auto task_logs = reader->task_run_logs(t1);
  ASSERT_TRUE(task_logs.ok());
  ASSERT_EQ(task_logs->size(), 1u);
  EXPECT_EQ((*task_logs)[0].message, "boom");

  auto by_prefix = reader->find_task_run(transform.str().substr(0, 13));  // a scan, but it works
  ASSERT_TRUE(by_prefix.ok()) << by_prefix.status().message();
  EXPECT_EQ(by_prefix->id, transform);
}

TEST(StoreRoundTrip, StateTransitionsViewUnfoldsHistories) {
  TempDir dir;
  const RunId flow = RunId::random();
  const RunId task = RunId::random();
  {
    auto store = open_store(dir);
    std::vector<Event> batch = {flow_created(flow, "f", at_second(10)), task_created(task, flow, "t", at_second(11)),
                                task_state(task, StateType::Running, at_second(12)),
                                task_state(task, StateType::Failed, at_second(13), "oops")};
    store->write(batch);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path(dir).c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT run_kind, state, time, message FROM state_transitions ORDER BY run_kind, time",
                               -1, &st, nullptr),
            SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    rows.push_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) + " " +
                   reinterpret_cast<const char*>(sqlite3_column_text(st, 1)) + " " +
                   std::to_string(sqlite3_column_int64(st, 2)) + " " +
                   reinterpret_cast<const char*>(sqlite3_column_text(st, 3)));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(rows, (std::vector<std::string>{"flow Pending 10000000 ", "task Pending 11000000 ", "task Running 12000000 ",
                                            "task Failed 13000000 oops"}));
}

// Task runs final within their first batch are packed (task_run_packs), the
// others get rows: both must read back alike, every transition in order, through
// the reader and through the SQL views.
TEST(StoreRoundTrip, PackedAndRowTaskRunsReadBackAlikeWithEveryTransition) {
  struct Script {
    std::string name;
    std::vector<std::pair<StateType, std::string>> states;  // after the implied Pending
  };
  const std::vector<Script> scripts = {
      {"retried", {{StateType::Running, ""}, {StateType::AwaitingRetry, "attempt 1 failed: boom"},
                   {StateType::Retrying, ""}, {StateType::Completed, ""}}},
      {"failed", {{StateType::Running, ""}, {StateType::Failed, "division by \"zero\"\n"}}},
      {"cancelled", {{StateType::Cancelled, "its flow run was cancelled"}}},
  };
  // One flow run written batch by batch (rows), one written in a single batch (packs).
  TempDir dir;
  const RunId row_flow = RunId::random();
  const RunId pack_flow = RunId::random();
  {
    auto store = open_store(dir);
    std::vector<Event> packed = {flow_created(pack_flow, "f", at_second(1))};
    std::vector<Event> first = {flow_created(row_flow, "f", at_second(1))};
    store->write(first);
    for (std::size_t i = 0; i < scripts.size(); ++i) {
      const RunId as_row = RunId::random();
      const RunId as_pack = RunId::random();
      const long long t0 = 10 + 10 * static_cast<long long>(i);
      std::vector<Event> created = {task_created(as_row, row_flow, scripts[i].name, at_second(t0))};
      store->write(created);
      packed.emplace_back(task_created(as_pack, pack_flow, scripts[i].name, at_second(t0)));
      long long t = t0;
      for (const auto& [type, message] : scripts[i].states) {
        ++t;
        std::vector<Event> one = {task_state(as_row, type, at_second(t), message)};
        store->write(one);
        packed.emplace_back(task_state(as_pack, type, at_second(t), message));
      }
    }
    store->write(packed);
  }
  auto reader = open_reader(dir);
  auto rows = reader->task_runs(row_flow);
  auto packs = reader->task_runs(pack_flow);
  ASSERT_TRUE(rows.ok() && packs.ok());
  ASSERT_EQ(rows->size(), scripts.size());
  ASSERT_EQ(packs->size(), scripts.size());
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    for (const TaskRunRecord* r : {&(*rows)[i], &(*packs)[i]}) {
      SCOPED_TRACE(scripts[i].name);
      EXPECT_EQ(r->task_name, scripts[i].name);
      ASSERT_EQ(r->history.size(), scripts[i].states.size() + 1);
      EXPECT_EQ(r->history[0].type, StateType::Pending);
      for (std::size_t k = 0; k < scripts[i].states.size(); ++k) {
        EXPECT_EQ(r->history[k + 1].type, scripts[i].states[k].first);
        EXPECT_EQ(r->history[k + 1].message, scripts[i].states[k].second);
        EXPECT_EQ(r->history[k + 1].at, r->history[0].at + std::chrono::seconds(k + 1));
      }
    }
    const TaskRunRecord& a = (*rows)[i];
    const TaskRunRecord& b = (*packs)[i];
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.state_time, b.state_time);
    EXPECT_EQ(a.state_message, b.state_message);
    EXPECT_EQ(a.start_time, b.start_time);
    EXPECT_EQ(a.end_time, b.end_time);
    EXPECT_EQ(a.created, b.created);
    EXPECT_EQ(a.run_name, b.run_name);
    EXPECT_EQ(a.parameters_json, b.parameters_json);
    EXPECT_EQ(a.tags_json, b.tags_json);
  }
  EXPECT_FALSE((*packs)[2].start_time);  // cancelled before it ran
  // The flow run list counts both kinds; an id prefix finds a packed run.
  auto listed = reader->list_flow_runs({});
  ASSERT_TRUE(listed.ok());
  for (const auto& f : *listed) EXPECT_EQ(f.task_run_count, static_cast<std::int64_t>(scripts.size()));
  auto found = reader->find_task_run((*packs)[1].id.str().substr(0, 12));
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(found->id, (*packs)[1].id);
  EXPECT_EQ(found->state_message, "division by \"zero\"\n");

  // SQL sees the same: all_task_runs has task_runs' columns for both kinds, and
  // state_transitions unfolds both.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path(dir).c_str(), &db), SQLITE_OK);
  auto column_rows = [&](const char* sql, const RunId& flow) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    const IdBlob b = to_blob(flow);
    sqlite3_bind_blob(st, 1, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const unsigned char* text = sqlite3_column_text(st, c);
        row += (text != nullptr ? reinterpret_cast<const char*>(text) : "NULL") + std::string("|");
      }
      out.push_back(row);
    }
    sqlite3_finalize(st);
    return out;
  };
  const char* kAll =
      "SELECT task_name, created, state, state_time, state_message, start_time, end_time, length(id), "
      "json_array_length(history) FROM all_task_runs WHERE flow_run = ?1 ORDER BY created";
  const char* kTransitions =
      "SELECT t.seq, t.state, t.time - r.created, t.message FROM state_transitions t "
      "JOIN all_task_runs r ON r.id = t.run_id WHERE t.run_kind = 'task' AND r.flow_run = ?1 ORDER BY r.created, t.seq";
  EXPECT_EQ(column_rows(kAll, row_flow), column_rows(kAll, pack_flow));
  EXPECT_EQ(column_rows(kAll, pack_flow).size(), scripts.size());
  const auto transitions = column_rows(kTransitions, pack_flow);
  EXPECT_EQ(transitions, column_rows(kTransitions, row_flow));
  EXPECT_EQ(transitions.size(), 5u + 3u + 2u);  // every transition, the implied Pending included
  sqlite3_close(db);
}

TEST(StoreRoundTrip, PackedEdgesReadBackInOrderThroughTheReaderAndTheView) {
  TempDir dir;
  const RunId flow = RunId::random();
  std::vector<RunId> tasks(300);
  {
    auto store = open_store(dir);
    std::vector<Event> b1 = {flow_created(flow, "f", at_second(1))};
    for (auto& t : tasks) {
      t = RunId::random();
      b1.emplace_back(task_created(t, flow, "t", at_second(2)));
    }
    store->write(b1);
    // A chain across two batches, every third edge a wait_for; one edge outside any flow.
    for (std::size_t half = 0; half < 2; ++half) {
      std::vector<Event> b;
      for (std::size_t i = 1 + half * 150; i < 150 + half * 150 && i < tasks.size(); ++i) {
        b.emplace_back(engine::EdgeAdded{flow, tasks[i - 1], tasks[i], i % 3 == 0 ? engine::EdgeKind::WaitFor
                                                                                 : engine::EdgeKind::Data});
      }
      b.emplace_back(engine::EdgeAdded{RunId{}, tasks[0], tasks[1], engine::EdgeKind::Data});
      store->write(b);
    }
  }
  auto reader = open_reader(dir);
  auto edges = reader->edges(flow);
  ASSERT_TRUE(edges.ok()) << edges.status().message();
  ASSERT_EQ(edges->size(), 298u);
  for (std::size_t k = 0; k < edges->size(); ++k) {
    const std::size_t i = k < 149 ? k + 1 : k + 2;  // the chain skips tasks[149] -> tasks[150]
    EXPECT_EQ((*edges)[k].upstream, tasks[i - 1]);
    EXPECT_EQ((*edges)[k].downstream, tasks[i]);
    EXPECT_EQ((*edges)[k].kind, i % 3 == 0 ? engine::EdgeKind::WaitFor : engine::EdgeKind::Data);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path(dir).c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT count(*), sum(kind = 'wait_for'), sum(length(upstream) = 16 AND "
                               "length(downstream) = 16), sum(flow_run IS NULL) FROM all_task_run_edges",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), 300);
  EXPECT_EQ(sqlite3_column_int64(st, 1), 98);
  EXPECT_EQ(sqlite3_column_int64(st, 2), 300);
  EXPECT_EQ(sqlite3_column_int64(st, 3), 2);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(StoreBatching, RunsSpanBatchesAndImpliedPendingIsRecordedOnce) {
  TempDir dir;
  const RunId flow = RunId::random();
  const RunId task = RunId::random();
  auto store = open_store(dir);
  std::vector<Event> b1 = {flow_created(flow, "f", at_second(1)), flow_state(flow, StateType::Pending, at_second(1)),
                           flow_state(flow, StateType::Running, at_second(2)),
                           task_created(task, flow, "t", at_second(3)),
                           task_state(task, StateType::Pending, at_second(3))};
  store->write(b1);
  auto reader = open_reader(dir);
  auto mid = reader->task_runs(flow);
  ASSERT_TRUE(mid.ok());
  ASSERT_EQ(mid->size(), 1u);
  EXPECT_EQ((*mid)[0].state, StateType::Pending);
  EXPECT_EQ((*mid)[0].history.size(), 1u);
  EXPECT_FALSE((*mid)[0].end_time);

  std::vector<Event> b2 = {task_state(task, StateType::Running, at_second(4))};
  store->write(b2);
  std::vector<Event> b3 = {engine::LogRecorded{flow, task, LogLevel::Info, at_second(5), "hello"},
                           task_state(task, StateType::Completed, at_second(6))};
  store->write(b3);
  std::vector<Event> empty;
  store->write(empty);
  std::vector<Event> b4 = {flow_state(flow, StateType::Completed, at_second(7))};
  store->write(b4);

  auto t = reader->task_runs(flow);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ((*t)[0].state, StateType::Completed);
  ASSERT_EQ((*t)[0].history.size(), 3u);
  EXPECT_EQ((*t)[0].history[1].type, StateType::Running);
  auto f = reader->flow_run(flow);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->state, StateType::Completed);
  ASSERT_EQ(f->history.size(), 3u);
  EXPECT_EQ(f->history[0].type, StateType::Pending);
  EXPECT_EQ(f->history[1].type, StateType::Running);
}

// Runs another connection's SQL on the database (a trigger that makes SQLite
// refuse the store's next write, as a full disk would, and its removal).
void exec_elsewhere(const TempDir& dir, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path(dir).c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(StoreBatching, ABatchResentAfterARefusedWriteRecordsEachTransitionOnce) {
  TempDir dir;
  const RunId flow = RunId::random();
  const RunId task = RunId::random();
  auto store = open_store(dir);
  // Written by an earlier batch: both runs have rows.
  std::vector<Event> b1 = {flow_created(flow, "f", at_second(1)), flow_state(flow, StateType::Running, at_second(2)),
                           task_created(task, flow, "t", at_second(3)),
                           task_state(task, StateType::Running, at_second(4))};
  store->write(b1);
  exec_elsewhere(dir,
                 "CREATE TRIGGER refuse_flow BEFORE UPDATE ON flow_runs BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
                 "CREATE TRIGGER refuse_task BEFORE UPDATE ON task_runs BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
  std::vector<Event> b2 = {task_state(task, StateType::Completed, at_second(5)),
                           flow_state(flow, StateType::Completed, at_second(6))};
  EXPECT_THROW(store->write(b2), SqliteError);
  EXPECT_THROW(store->write(b2), SqliteError);  // the event stream resends it as long as it is refused
  exec_elsewhere(dir, "DROP TRIGGER refuse_flow; DROP TRIGGER refuse_task;");
  store->write(b2);

  auto reader = open_reader(dir);
  auto t = reader->task_runs(flow);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ((*t)[0].state, StateType::Completed);
  ASSERT_EQ((*t)[0].history.size(), 3u);
  EXPECT_EQ((*t)[0].history[0].type, StateType::Pending);
  EXPECT_EQ((*t)[0].history[1].type, StateType::Running);
  EXPECT_EQ((*t)[0].history[2].type, StateType::Completed);
  EXPECT_EQ((*t)[0].history[2].at, at_second(5));
  auto f = reader->flow_run(flow);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->state, StateType::Completed);
  ASSERT_EQ(f->history.size(), 3u);
  EXPECT_EQ(f->history[1].type, StateType::Running);
  EXPECT_EQ(f->history[2].type, StateType::Completed);
}

TEST(StoreBatching, RunsThatOutliveTheirCreationsBatchOneAfterAnotherKeepTheirOwnCreationData) {
  TempDir dir;
  SqliteRunStoreOptions o;
  o.path = db_path(dir);
  o.task_run_write_delay = std::chrono::seconds(60);  // written when final only
  auto opened = SqliteRunStore::open(o);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto store = std::move(opened).value();
  const RunId flow = RunId::random();
  std::vector<Event> b0 = {flow_created(flow, "f", at_second(1))};
  store->write(b0);
  // Each run is created in one batch and final in the next, so the store keeps
  // a copy of its creation in between; the second run's copy reuses the first's.
  std::vector<RunId> tasks;
  for (int i = 0; i < 3; ++i) {
    tasks.push_back(RunId::random());
    engine::TaskRunCreated created = task_created(tasks.back(), flow, "t" + std::to_string(i), at_second(2 + i));
    created.run_name = "a-much-longer-run-name-than-fits-in-place-" + std::to_string(i);
    created.parameters_json = R"({"i": )" + std::to_string(i) + "}";
    created.tags_json = i == 1 ? R"(["one"])" : "[]";
    std::vector<Event> create = {created, task_state(tasks.back(), StateType::Running, at_second(2 + i))};
    store->write(create);
    std::vector<Event> finish = {task_state(tasks.back(), StateType::Completed, at_second(3 + i))};
    store->write(finish);
  }
  auto t = open_reader(dir)->task_runs(flow);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->size(), 3u);
  for (const TaskRunRecord& r : *t) {
    const int i = static_cast<int>(std::find(tasks.begin(), tasks.end(), r.id) - tasks.begin());
    ASSERT_LT(i, 3);
    EXPECT_EQ(r.task_name, "t" + std::to_string(i));
    EXPECT_EQ(r.run_name, "a-much-longer-run-name-than-fits-in-place-" + std::to_string(i));
    EXPECT_EQ(r.parameters_json, R"({"i": )" + std::to_string(i) + "}");
    EXPECT_EQ(r.tags_json, i == 1 ? R"(["one"])" : "[]");
    EXPECT_EQ(r.state, StateType::Completed);
    EXPECT_EQ(r.history.size(), 3u);
  }
}

TEST(StoreBatching, ANewTaskRunIsWrittenOnceFinalOrAfterTheDelay) {
  TempDir dir;
  SqliteRunStoreOptions o;
  o.path = db_path(dir);
  o.task_run_write_delay = std::chrono::hours(1);
  auto store = SqliteRunStore::open(o);
  ASSERT_TRUE(store.ok());
  const RunId flow = RunId::random();
  const RunId quick = RunId::random();
  const RunId slow = RunId::random();
  const RunId slower = RunId::random();
  std::vector<Event> b1 = {flow_created(flow, "f", at_second(1)), task_created(quick, flow, "quick", at_second(2)),
                           task_created(slow, flow, "slow", at_second(2)),
                           task_state(slow, StateType::Running, at_second(3))};
  (*store)->write(b1);
  auto reader = open_reader(dir);
  EXPECT_TRUE(reader->flow_run(flow).ok());          // flow runs: at once
  EXPECT_EQ(reader->task_runs(flow)->size(), 0u);  // young open task runs: held back
  std::vector<Event> b2 = {task_state(quick, StateType::Running, at_second(3)),
                           task_state(quick, StateType::Completed, at_second(4))};
  (*store)->write(b2);
  auto after_b2 = reader->task_runs(flow);
  ASSERT_EQ(after_b2->size(), 1u);  // final: written, as one row
  EXPECT_EQ((*after_b2)[0].id, quick);
  EXPECT_EQ((*after_b2)[0].history.size(), 3u);
  const std::vector<RunId> active = {flow};
  (*store)->heartbeat(active);  // writes what is held back
  EXPECT_EQ(reader->task_runs(flow)->size(), 2u);
  std::vector<Event> b3 = {task_created(slower, flow, "slower", at_second(5))};
  (*store)->write(b3);
  EXPECT_EQ(reader->task_runs(flow)->size(), 2u);
  store->reset();  // closing writes the rest
  auto all = reader->task_runs(flow);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].state, StateType::Running);
  EXPECT_EQ((*all)[2].state, StateType::Pending);
}

TEST(StoreBatching, ADeferredRunTouchedAfterTheDelayIsWrittenOnce) {
  TempDir dir;
  SqliteRunStoreOptions o;
  o.path = db_path(dir);
  o.task_run_write_delay = std::chrono::milliseconds(20);
  auto store = SqliteRunStore::open(o);
  ASSERT_TRUE(store.ok());
  const RunId flow = RunId::random();
  std::vector<RunId> tasks(50);
  std::vector<Event> b1 = {flow_created(flow, "f", at_second(1))};
  for (auto& t : tasks) {
    t = RunId::random();
    b1.emplace_back(task_created(t, flow, "t", at_second(2)));
  }
  (*store)->write(b1);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  // Past the delay, touched again: written by this batch, and only once.
  std::vector<Event> b2;
  for (const auto& t : tasks) b2.emplace_back(task_state(t, StateType::Running, at_second(3)));
  (*store)->write(b2);
  std::vector<Event> b3;
  for (const auto& t : tasks) b3.emplace_back(task_state(t, StateType::Completed, at_second(4)));
  (*store)->write(b3);
  store->reset();
  auto reader = open_reader(dir);
  auto rows = reader->task_runs(flow);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), tasks.size());
  for (const auto& r : *rows) {
    EXPECT_EQ(r.state, StateType::Completed);
    EXPECT_EQ(r.history.size(), 3u);
  }
}

TEST(StoreBatching, AnotherStoreObjectContinuesARunItDoesNotHold) {
  TempDir dir;
  const RunId flow = RunId::random();
  const RunId task = RunId::random();
  {
    auto first = open_store(dir);
    std::vector<Event> b = {flow_created(flow, "f", at_second(1)), task_created(task, flow, "t", at_second(2)),
                            task_state(task, StateType::Running, at_second(3))};
    first->write(b);
  }
  auto second = open_store(dir);
  // A state for a run this writer never saw created, and a run created twice.
  std::vector<Event> b = {task_state(task, StateType::Completed, at_second(4), "done"),
                          flow_created(flow, "f", at_second(1)), flow_state(flow, StateType::Completed, at_second(5)),
                          task_state(RunId::random(), StateType::Running, at_second(6))};
  second->write(b);
  auto reader = open_reader(dir);
  auto t = reader->task_runs(flow);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ((*t)[0].state, StateType::Completed);
  EXPECT_EQ((*t)[0].end_time, at_second(4));
  EXPECT_EQ((*t)[0].start_time, at_second(3));
  ASSERT_EQ((*t)[0].history.size(), 3u);
  EXPECT_EQ((*t)[0].history[2].message, "done");
  auto f = reader->flow_run(flow);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->state, StateType::Completed);
  EXPECT_EQ(f->history.back().type, StateType::Completed);
  auto all = reader->list_flow_runs({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST(StoreReader, ListFiltersByFlowAndStateNewestFirstWithLimit) {
  TempDir dir;
  auto store = open_store(dir);
  std::vector<Event> b;
  std::vector<RunId> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(RunId::random());
    b.emplace_back(flow_created(ids.back(), i % 2 == 0 ? "even" : "odd", at_second(100 + i)));
    b.emplace_back(flow_state(ids.back(), i % 3 == 0 ? StateType::Failed : StateType::Completed, at_second(200 + i)));
  }
  store->write(b);
  auto reader = open_reader(dir);
  auto all = reader->list_flow_runs({"", std::nullopt, 0});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 6u);
  EXPECT_EQ((*all)[0].id, ids[5]);
  EXPECT_EQ((*all)[5].id, ids[0]);
  auto even = reader->list_flow_runs({"even", std::nullopt, 0});
  ASSERT_TRUE(even.ok());
  ASSERT_EQ(even->size(), 3u);
  for (const auto& r : *even) EXPECT_EQ(r.flow_name, "even");
  auto failed = reader->list_flow_runs({"", StateType::Failed, 0});
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->size(), 2u);  // 0 and 3
  EXPECT_EQ((*failed)[0].id, ids[3]);
  auto odd_failed = reader->list_flow_runs({"odd", StateType::Failed, 10});
  ASSERT_TRUE(odd_failed.ok());
  ASSERT_EQ(odd_failed->size(), 1u);
  EXPECT_EQ((*odd_failed)[0].id, ids[3]);
  auto two = reader->list_flow_runs({"", std::nullopt, 2});
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
  auto none = reader->list_flow_runs({"nosuch", std::nullopt, 10});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(StoreReader, IdPrefixesResolveOrSayWhatIsWrong) {
  TempDir dir;
  auto store = open_store(dir);
  const RunId a{0x1234567800004000ull, 0x8000000000000001ull};
  const RunId b{0x1234567900004000ull, 0x8000000000000002ull};
  const RunId c{0xffffffff00004000ull, 0x8000000000000003ull};
  std::vector<Event> batch = {flow_created(a, "f", at_second(1)), flow_created(b, "f", at_second(2)),
                              flow_created(c, "f", at_second(3))};
  store->write(batch);
  auto reader = open_reader(dir);
  EXPECT_EQ(reader->find_flow_run("12345678")->id, a);
  EXPECT_EQ(reader->find_flow_run("123456790000")->id, b);
  EXPECT_EQ(reader->find_flow_run(b.str())->id, b);
  EXPECT_EQ(reader->find_flow_run("1234567900004000")->id, b);  // without dashes
  EXPECT_EQ(reader->find_flow_run("FFFF")->id, c);               // any case, no upper bound

  auto ambiguous = reader->find_flow_run("1234567");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.status().message().find("ambiguous"), std::string::npos) << ambiguous.status().message();
  EXPECT_NE(ambiguous.status().message().find(a.str()), std::string::npos);
  EXPECT_NE(ambiguous.status().message().find(b.str()), std::string::npos);

  auto unknown = reader->find_flow_run("abc");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("no flow run with id abc"), std::string::npos)
      << unknown.status().message();

  auto bad = reader->find_flow_run("not-an-id");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not a flow run id"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(reader->find_flow_run("").ok());
}

TEST(StoreCancel, RequestTravelsThroughTheHeartbeat) {
  TempDir dir;
  auto store = open_store(dir);
  const RunId flow = RunId::random();
  const RunId other = RunId::random();
  const RunId task = RunId::random();
  std::vector<Event> b = {flow_created(flow, "f", at_second(1)), flow_state(flow, StateType::Running, at_second(2)),
                          task_created(task, flow, "t", at_second(2)),
                          flow_created(other, "f", at_second(1)), flow_state(other, StateType::Running, at_second(2))};
  store->write(b);
  const std::vector<RunId> active = {flow, other};
  EXPECT_TRUE(store->heartbeat(active).empty());

  auto reader = open_reader(dir);
  ASSERT_TRUE(reader->request_cancellation(flow).ok());
  ASSERT_TRUE(reader->request_cancellation(flow).ok());  // twice is harmless
  EXPECT_EQ(store->heartbeat(active), std::vector<RunId>{flow});
  EXPECT_EQ(store->heartbeat(active), std::vector<RunId>{flow});  // until the run is final
  EXPECT_TRUE(store->heartbeat({}).empty());
  EXPECT_TRUE(reader->flow_run(flow)->cancel_requested.has_value());

  std::vector<Event> done = {task_state(task, StateType::Cancelled, at_second(3), "flow run cancelled"),
                             flow_state(flow, StateType::Cancelled, at_second(3), "cancelled by request")};
  store->write(done);
  const std::vector<RunId> still_active = {other};
  EXPECT_TRUE(store->heartbeat(still_active).empty());

  Status again = reader->request_cancellation(flow);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("already Cancelled"), std::string::npos) << again.message();
  Status unknown = reader->request_cancellation(RunId::random());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("no flow run"), std::string::npos);
  EXPECT_EQ(reader->task_runs(flow)->at(0).state, StateType::Cancelled);
}

TEST(StoreHeartbeat, RefreshesTheHeartbeatTime) {
  TempDir dir;
  FakeClock clock(at_second(5000));
  SqliteRunStoreOptions o;
  o.path = db_path(dir);
  o.clock = &clock;
  auto store = SqliteRunStore::open(o);
  ASSERT_TRUE(store.ok());
  const RunId flow = RunId::random();
  std::vector<Event> b = {flow_created(flow, "f", at_second(1))};
  (*store)->write(b);
  auto reader = open_reader(dir);
  EXPECT_EQ(reader->flow_run(flow)->heartbeat, at_second(5000));
  clock.advance(std::chrono::seconds(7));
  const std::vector<RunId> active = {flow};
  (*store)->heartbeat(active);
  EXPECT_EQ(reader->flow_run(flow)->heartbeat, at_second(5007));
}

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Prints how long 100,000 task runs (created, Running, Completed) take to write
// in batches, as the engine's writer would send them, next to plain SQLite
// inserts of 300,000 small rows measured in the same run. Measures, never
// asserts a time (this machine is shared); the task-overhead benchmark owns speed.
TEST(StoreBatching, HundredThousandTaskRuns) {
  TempDir dir;
  SqliteRunStoreOptions o;
  o.path = db_path(dir);  // the default write delay, as the engine uses it
  auto store = std::move(SqliteRunStore::open(o)).value();
  const RunId flow = RunId::random();
  constexpr int kTasks = 100'000;
  constexpr int kBatch = 4096;
  std::vector<Event> events;
  events.reserve(3 * kTasks + 3);
  events.emplace_back(flow_created(flow, "fanout", at_second(1)));
  events.emplace_back(flow_state(flow, StateType::Running, at_second(1)));
  std::vector<RunId> ids(kTasks);
  for (auto& id : ids) id = RunId::random();
  // Fan-out then gather: all created first, then each runs and completes.
  for (const RunId& id : ids) events.emplace_back(task_created(id, flow, "inc", at_second(2)));
  for (const RunId& id : ids) {
    events.emplace_back(task_state(id, StateType::Running, at_second(3)));
    events.emplace_back(task_state(id, StateType::Completed, at_second(4)));
  }
  events.emplace_back(flow_state(flow, StateType::Completed, at_second(5)));
  double cpu0 = cpu_seconds();
  auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < events.size(); i += kBatch) {
    store->write(std::span<const Event>(events).subspan(i, std::min<std::size_t>(kBatch, events.size() - i)));
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu0;

  // The peer: 300,000 plain two-column inserts, same batches, same settings.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "plain.db").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t(a INTEGER, b TEXT)", nullptr,
               nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, 'Completed')", -1, &st, nullptr);
  cpu0 = cpu_seconds();
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3 * kTasks;) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (int k = 0; k < kBatch && i < 3 * kTasks; ++k, ++i) {
      sqlite3_bind_int64(st, 1, i);
      sqlite3_step(st);
      sqlite3_reset(st);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  const double plain_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double plain_cpu = cpu_seconds() - cpu0;
  sqlite3_finalize(st);
  sqlite3_close(db);

  std::printf("bench store_write_100k_task_runs_wall %.3f s\n", wall);
  std::printf("bench store_write_100k_task_runs_cpu %.3f s\n", cpu);
  std::printf("bench store_write_per_task_run %.2f us\n", wall * 1e6 / kTasks);
  std::printf("bench sqlite_plain_300k_rows_wall %.3f s\n", plain_wall);
  std::printf("bench sqlite_plain_300k_rows_cpu %.3f s\n", plain_cpu);
  std::printf("bench store_vs_plain_300k_rows_cpu_ratio %.2f x\n", cpu / plain_cpu);

  store.reset();
  SqliteRunStoreOptions ro;
  ro.path = db_path(dir);
  auto reader = std::move(RunStoreReader::open(ro)).value();
  auto f = reader->flow_run(flow);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->task_run_count, kTasks);
  EXPECT_EQ(f->state, StateType::Completed);
}

}  // namespace
}  // namespace baton::store

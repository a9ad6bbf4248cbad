// The server's ingest and query figures.
//
// Ingest: task runs per second recorded through the server (each task run:
// created, three state changes, one log line), with 4 engines posting batches
// at once over HTTP (threads of this process, each encoding its own batches as
// an engine's writer thread does), into SQLite and into PostgreSQL (a throwaway
// cluster; skipped when PostgreSQL is not installed). The peer, in the same run:
// the same events written by the engine's own SQLite run store directly.
//
// Queries: p50 and p99 latency of the flow-run list, one flow run with its
// counts, and the first graph page of a 100,000-task-run flow run, over HTTP,
// with 10,000 flow runs in the database.
//
// BATON_BENCH_QUICK=1: 4 x 5,000 task runs, a 10,000-task-run flow run among
// 1,000 flow runs, 50 queries each.
#include "bench_support.h"
#include "server/server.h"
#include "store/event_json.h"
#include "store/sqlite_run_store.h"
#include "testutil/postgres_cluster.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <thread>
#include <vector>

namespace {

using namespace baton;
using Clock = std::chrono::steady_clock;

const std::string* intern(const std::string& s) {
  static std::deque<std::string> names;
  for (const auto& n : names) {
    if (n == s) return &n;
  }
  return &names.emplace_back(s);
}

TimePoint at_us(std::int64_t us) { return TimePoint(std::chrono::microseconds(us)); }

// One engine's stream: a flow run and `tasks` task runs, each created, Pending,
// Running, Completed, with one log line.
std::vector<engine::Event> engine_events(RunId flow, int tasks, std::int64_t t0, int task_names = 20) {
  std::vector<engine::Event> out;
  out.reserve(static_cast<std::size_t>(tasks) * 5 + 3);
  engine::FlowRunCreated f;
  f.id = flow;
  f.flow_name = intern("bench-flow");
  f.run_name = "bench";
  f.parameters_json = "{}";
  f.tags_json = "[]";
  f.created = at_us(t0);
  f.hostname = "bench";
  out.push_back(f);
  out.push_back(engine::StateChanged{flow, engine::RunKind::Flow, StateType::Running, at_us(t0 + 1), {}});
  for (int i = 0; i < tasks; ++i) {
    const RunId t = RunId::random();
    const std::int64_t at = t0 + 10 + i;
    engine::TaskRunCreated c;
    c.id = t;
    c.flow_run = flow;
    c.task_name = intern("task-" + std::to_string(i % task_names));
    c.run_name = "task-" + std::to_string(i);
    c.parameters_json = R"({"i":)" + std::to_string(i) + "}";
    c.tags_json = "[]";
    c.created = at_us(at);
    out.push_back(std::move(c));
    out.push_back(engine::StateChanged{t, engine::RunKind::Task, StateType::Pending, at_us(at), {}});
    out.push_back(engine::StateChanged{t, engine::RunKind::Task, StateType::Running, at_us(at + 1), {}});
    out.push_back(engine::LogRecorded{flow, t, LogLevel::Info, at_us(at + 2), "processed a partition of the data"});
    out.push_back(engine::StateChanged{t, engine::RunKind::Task, StateType::Completed, at_us(at + 3), {}});
  }
  out.push_back(engine::StateChanged{flow, engine::RunKind::Flow, StateType::Completed, at_us(t0 + 20 + tasks), {}});
  return out;
}

struct Running {
  std::unique_ptr<server::Server> server;
  std::thread thread;
  int port = 0;
  explicit Running(const std::string& database) {
    server::ServerOptions o;
    o.port = 0;
    o.database = database;
    o.crash_check_every = std::chrono::hours(1);
    auto s = server::Server::create(o);
    if (!s.ok()) throw std::runtime_error(s.status().message());
    server = std::move(s).value();
    port = *server->bind();
    thread = std::thread([this] { server->run(); });
  }
  ~Running() {
    server->stop();
    thread.join();
  }
};

constexpr std::size_t kBatchEvents = 5000;  // an engine's flush: 1,000 task runs

// 4 engines posting at once; returns task runs per second.
double ingest_through_server(int port, const std::vector<std::vector<engine::Event>>& streams, int tasks_total) {
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (std::size_t e = 0; e < streams.size(); ++e) {
    threads.emplace_back([&, e] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(300, 0);
      const auto& events = streams[e];
      const std::string source = "bench-engine-" + std::to_string(e) + "-" + RunId::random().str();
      for (std::size_t i = 0; i < events.size(); i += kBatchEvents) {
        const std::size_t n = std::min(kBatchEvents, events.size() - i);
        const std::string body = store::encode_ingest_batch(source, i + 1, std::span(events).subspan(i, n));
        auto r = c.Post("/api/events", body, "application/json");
        if (!r || r->status != 200) {
          std::fprintf(stderr, "ingest failed: %s\n", r ? r->body.c_str() : httplib::to_string(r.error()).c_str());
          std::exit(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return tasks_total / std::chrono::duration<double>(Clock::now() - start).count();
}

double ingest_direct_sqlite(const std::filesystem::path& path, const std::vector<std::vector<engine::Event>>& streams,
                            int tasks_total) {
  store::SqliteRunStoreOptions o;
  o.path = path;
  auto s = store::SqliteRunStore::open(o);
  if (!s.ok()) throw std::runtime_error(s.status().message());
  const auto start = Clock::now();
  // The engine's writer hands the store batches of whatever is queued; the four
  // streams interleave batch by batch.
  std::size_t longest = 0;
  for (const auto& st : streams) longest = std::max(longest, st.size());
  for (std::size_t i = 0; i < longest; i += kBatchEvents) {
    for (const auto& st : streams) {
      if (i >= st.size()) continue;
      (*s)->write(std::span(st).subspan(i, std::min(kBatchEvents, st.size() - i)));
    }
  }
  s->reset();  // flushes deferred task runs
  return tasks_total / std::chrono::duration<double>(Clock::now() - start).count();
}

struct Latency {
  double p50_ms = 0, p99_ms = 0;
};

Latency measure(httplib::Client& c, const std::string& path, int n) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const auto t = Clock::now();
    auto r = c.Get(path.c_str());
    if (!r || r->status != 200) {
      std::fprintf(stderr, "query %s failed\n", path.c_str());
      std::exit(1);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]};
}

void run_backend(const std::string& label, const std::string& database, const std::vector<std::vector<engine::Event>>& streams,
                 int tasks_total, double direct_rate) {
  Running s(database);
  const double rate = ingest_through_server(s.port, streams, tasks_total);
  std::printf("bench server_ingest_%s_task_runs_per_s %.0f task_runs/s\n", label.c_str(), rate);
  std::printf("bench server_ingest_%s_vs_direct_sqlite %.2f x\n", label.c_str(), rate / direct_rate);
  std::fflush(stdout);

  // Query latency: one big flow run among many small ones.
  const int big_tasks = bench::pick(100000, 10000);
  const int flows = bench::pick(10000, 1000);
  const RunId big = RunId::random();
  std::vector<std::vector<engine::Event>> fill(1, engine_events(big, big_tasks, 1'760'000'000'000'000, 200));
  std::vector<engine::Event> small;
  for (int i = 0; i < flows - 1 - static_cast<int>(streams.size()); ++i) {
    auto e = engine_events(RunId::random(), 5, 1'760'000'000'000'000 + i * 1000LL);
    small.insert(small.end(), e.begin(), e.end());
  }
  fill.push_back(std::move(small));
  ingest_through_server(s.port, fill, 1);
  httplib::Client c("127.0.0.1", s.port);
  c.set_read_timeout(300, 0);
  const int n = bench::pick(200, 50);
  const auto list = measure(c, "/api/flow-runs?limit=100", n);
  const auto one = measure(c, "/api/flow-runs/" + big.str(), n);
  const auto graph = measure(c, "/api/flow-runs/" + big.str() + "/graph", n);
  std::printf("# %s: %d flow runs, the big one with %d task runs\n", label.c_str(), flows, big_tasks);
  std::printf("bench server_query_%s_flow_run_list_p50 %.2f ms\n", label.c_str(), list.p50_ms);
  std::printf("bench server_query_%s_flow_run_list_p99 %.2f ms\n", label.c_str(), list.p99_ms);
  std::printf("bench server_query_%s_flow_run_p50 %.2f ms\n", label.c_str(), one.p50_ms);
  std::printf("bench server_query_%s_flow_run_p99 %.2f ms\n", label.c_str(), one.p99_ms);
  std::printf("bench server_query_%s_graph_first_page_p50 %.2f ms\n", label.c_str(), graph.p50_ms);
  std::printf("bench server_query_%s_graph_first_page_p99 %.2f ms\n", label.c_str(), graph.p99_ms);
  std::fflush(stdout);
}

}  // namespace

int main() {
  const int per_engine = bench::pick(50000, 5000);
  const int engines = 4;
  std::vector<std::vector<engine::Event>> streams;
  for (int e = 0; e < engines; ++e) {
    streams.push_back(engine_events(RunId::random(), per_engine, 1'765'000'000'000'000 + e));
  }
  const int total = per_engine * engines;

  const char* tmp_env = std::getenv("BATON_BENCH_TMP");
  const auto tmp = std::filesystem::path(tmp_env && *tmp_env ? tmp_env : "/tmp") /
                   ("server-ingest-" + std::to_string(::getpid()));
  std::filesystem::create_directories(tmp);

  const double direct = ingest_direct_sqlite(tmp / "direct.db", streams, total);
  std::printf("# %d engines x %d task runs, batches of %zu events\n", engines, per_engine, kBatchEvents);
  std::printf("bench server_ingest_direct_sqlite_store_task_runs_per_s %.0f task_runs/s\n", direct);
  std::fflush(stdout);

  run_backend("sqlite", (tmp / "server.db").string(), streams, total, direct);

  std::string why;
  auto pg = baton::testing::PostgresCluster::start(why);
  if (pg) {
    run_backend("postgres", pg->create_database(), streams, total, direct);
  } else {
    std::printf("# postgres skipped: %s\n", why.c_str());
  }
  pg.reset();
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  return 0;
}

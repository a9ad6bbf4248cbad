// The scheduler's figures (issue 16), on SQLite and on PostgreSQL (a throwaway
// cluster; skipped when PostgreSQL is not installed):
//
//  - scheduled runs created per second: 1,000 deployments with a minute cron
//    schedule, their runs ahead (100 each: the horizon's cap) created by one
//    scheduler pass; the peer, in the same run, inserts the same rows one
//    statement per run (what a scheduler without multi-row, conflict-skipping
//    inserts does);
//  - runs handed out per second: every one of them claimed by a worker, 100
//    per claim, through the work queue (the claim route's model, without HTTP);
//  - scheduler CPU per simulated minute: with every deployment's runs ahead in
//    place, the clock advances one minute and a pass creates the next run of
//    each schedule, marks the missed ones Late and looks for expired leases;
//    the CPU time of this process (the server's side; PostgreSQL's own work is
//    in its processes) per pass, median of 10.
//
// BATON_BENCH_QUICK=1: 100 deployments, 3 simulated minutes.
#include "bench_support.h"
#include "server/db/deployment_store.h"
#include "server/db/store_util.h"
#include "server/services/scheduler.h"
#include "server/services/work_model.h"
#include "testutil/postgres_cluster.h"
#include "testutil/temp_dir.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using namespace baton;
using namespace baton::server;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

constexpr std::int64_t kMinute = 60'000'000;

void run_backend(const char* name, const std::string& database, int deployments, int minutes) {
  db::ServerDatabaseOptions o;
  o.database = database;
  o.max_connections = 4;
  db::ServerDatabase dbase(o);
  services::WorkModel m(dbase);
  const std::int64_t t0 = 1'780'000'020LL * 1'000'000;  // an instant 20 s into a minute
  db::WorkPoolRow pool;
  pool.name = "bench";
  m.deployments.apply_work_pool(pool, t0);
  for (int i = 0; i < deployments; ++i) {
    db::DeploymentRow d;
    d.name = "d" + std::to_string(i);
    d.flow_name = "bench-flow";
    d.command_json = R"(["/usr/bin/true"])";
    d.work_pool = "bench";
    d.paused = true;  // its runs are created by the measured pass
    db::ScheduleRow s;
    s.kind = "cron";
    s.expression = "* * * * *";
    d.schedules.push_back(s);
    m.deployments.apply_deployment(d, t0);
  }
  dbase.run_write([](db::Connection& c) { c.query("UPDATE deployments SET paused = 0"); });

  // Creation.
  auto start = Clock::now();
  const std::int64_t created = m.deployments.schedule_runs(t0).created;
  const double create_s = seconds_since(start);
  std::printf("bench scheduler_runs_created_per_s_%s %.0f runs/s\n", name, static_cast<double>(created) / create_s);

  // The peer: the same number of rows, one INSERT per run, one transaction.
  start = Clock::now();
  dbase.run_write([&](db::Connection& c) {
    for (std::int64_t i = 0; i < created; ++i) {
      const std::vector<db::SqlValue> p = {RunId::random().str(), std::string("peer"), t0, t0, i};
      c.query("INSERT INTO flow_runs (id, flow_name, created, state, state_time, history, schedule, "
              "expected_start_time) VALUES (?, ?, ?, 'Scheduled', ?, '[]', 'peer', ?)",
              p);
    }
  });
  const double peer_s = seconds_since(start);
  std::printf("bench scheduler_runs_created_per_s_%s_peer_row_at_a_time %.0f runs/s\n", name,
              static_cast<double>(created) / peer_s);
  dbase.run_write([](db::Connection& c) { c.query("DELETE FROM flow_runs WHERE flow_name = 'peer'"); });

  // Handing out: everything is due two hours later.
  db::WorkerInfo w;
  w.id = "bench-worker";
  start = Clock::now();
  std::int64_t handed = 0;
  for (;;) {
    auto runs = m.queue.claim("bench", w, 100, std::chrono::seconds(60), t0 + 120 * kMinute);
    if (runs.empty()) break;
    handed += static_cast<std::int64_t>(runs.size());
  }
  const double claim_s = seconds_since(start);
  std::printf("bench scheduler_runs_handed_out_per_s_%s %.0f runs/s\n", name, static_cast<double>(handed) / claim_s);
  if (handed != created) std::printf("# %s: handed out %lld of %lld runs\n", name, static_cast<long long>(handed),
                                     static_cast<long long>(created));

  // Steady state: a fresh set of runs ahead, then one pass per simulated minute.
  dbase.run_write([](db::Connection& c) { c.query("DELETE FROM flow_runs"); });
  std::int64_t clock = t0 + 200 * kMinute;
  services::SchedulerOptions so;
  so.now_us = [&] { return clock; };
  services::Scheduler scheduler(m, so);
  scheduler.tick();
  std::vector<double> cpu_ms, wall_ms, create_cpu_ms;
  std::int64_t per_minute = 0;
  for (int i = 0; i < minutes; ++i) {
    clock += kMinute;
    const double c0 = cpu_seconds();
    const auto w0 = Clock::now();
    per_minute = scheduler.create_runs();
    const double c1 = cpu_seconds();
    scheduler.check();
    wall_ms.push_back(seconds_since(w0) * 1e3);
    cpu_ms.push_back((cpu_seconds() - c0) * 1e3);
    create_cpu_ms.push_back((c1 - c0) * 1e3);
  }
  std::printf("bench scheduler_cpu_per_simulated_minute_%s %.1f ms\n", name, bench::median(cpu_ms));
  std::printf("bench scheduler_cpu_per_simulated_minute_%s_creating_runs %.1f ms\n", name,
              bench::median(create_cpu_ms));
  std::printf("bench scheduler_wall_per_simulated_minute_%s %.1f ms\n", name, bench::median(wall_ms));
  std::printf("# %s: %d deployments, %lld runs created per simulated minute\n", name, deployments,
              static_cast<long long>(per_minute));
}

}  // namespace

int main() {
  const int deployments = bench::pick(1000, 100);
  const int minutes = bench::pick(10, 3);
  {
    baton::testing::TempDir dir;
    run_backend("sqlite", dir.str() + "/server.db", deployments, minutes);
  }
  std::string why;
  auto pg = baton::testing::PostgresCluster::start(why);
  if (pg) {
    run_backend("postgres", pg->create_database(), deployments, minutes);
  } else {
    std::printf("# postgres skipped: %s\n", why.c_str());
  }
  return 0;
}

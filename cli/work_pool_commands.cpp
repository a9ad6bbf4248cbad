// `baton work-pool create | ls | inspect | delete` and `baton worker start`.
#include "api_client.h"
#include "cli_output.h"
#include "commands.h"
#include "engine/settings.h"
#include "worker/worker.h"

#include <fmt/format.h>

#include <csignal>
#include <iostream>
#include <pthread.h>
#include <thread>

namespace baton::cli {
namespace {

std::string count_or(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? std::to_string(j[key].get<long long>()) : "-";
}

void pool_ls(bool json) {
  auto page = api_call("GET", "/work-pools");
  const auto& list = page.contains("work_pools") ? page["work_pools"] : page;
  if (json) {
    print_json(list);
    return;
  }
  if (!list.is_array() || list.empty()) {
    std::cout << "No work pools.\n";
    return;
  }
  Table t({"NAME", "CONCURRENCY", "PAUSED", "WORKERS", "SCHEDULED", "RUNNING"});
  for (const auto& p : list) {
    t.add({p.value("name", ""), count_or(p, "concurrency_limit"), p.value("paused", false) ? "yes" : "no",
           count_or(p, "workers_online"), count_or(p, "runs_scheduled"), count_or(p, "runs_running")});
  }
  t.print(std::cout);
}

void pool_inspect(const std::string& name, bool json) {
  auto p = api_call("GET", "/work-pools/" + url_part(name));
  auto workers = api_call("GET", "/work-pools/" + url_part(name) + "/workers");
  const auto& wl = workers.contains("workers") ? workers["workers"] : workers;
  if (json) {
    p["workers"] = wl;
    print_json(p);
    return;
  }
  Table head({"Work pool", p.value("name", "")});
  head.add({"Concurrency", count_or(p, "concurrency_limit")});
  head.add({"Paused", p.value("paused", false) ? "yes" : "no"});
  head.add({"Runs scheduled", count_or(p, "runs_scheduled")});
  head.add({"Runs running", count_or(p, "runs_running")});
  head.print(std::cout);
  std::cout << "\nWorkers:\n";
  if (!wl.is_array() || wl.empty()) {
    std::cout << "  (none)\n";
    return;
  }
  Table t({"NAME", "STATUS", "HOST", "PID", "RUNS", "LAST HEARTBEAT"});
  for (const auto& w : wl) {
    t.add({w.value("name", ""), w.value("status", ""), w.value("hostname", ""), count_or(w, "pid"),
           std::to_string(w.value("runs", nlohmann::json::array()).size()), w.value("last_heartbeat", "-")});
  }
  t.print(std::cout, "  ");
}

void worker_start(const std::string& pool, int limit, const std::string& name, double heartbeat_seconds) {
  worker::WorkerOptions o;
  o.http = api().base_url().empty() ? client::HttpClient::Options{} : client::HttpClient::options_from_settings();
  o.pool = pool;
  o.limit = limit;
  o.name = name;
  o.spool_dir = settings::spool_dir().string();
  o.heartbeat_interval = std::chrono::milliseconds(static_cast<long long>(heartbeat_seconds * 1000));
  // The pool must exist: say so now rather than on the first claim.
  api_call("GET", "/work-pools/" + url_part(pool));

  // SIGINT/SIGTERM go to one thread that asks the worker to stop (blocked before
  // any thread starts, so every thread inherits the mask; children get a clean one).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  worker::Worker w(o);
  std::thread signals([&w, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    w.request_stop();
  });
  const int rc = w.run();
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  if (rc != 0) throw CommandError(fmt::format("work pool '{}' is gone", pool));
}

}  // namespace
}  // namespace baton::cli

void add_work_pool_commands(CLI::App& app) {
  using namespace baton::cli;
  auto* pool = app.add_subcommand("work-pool", "Work pools on the server: where deployments' runs wait for workers.");
  pool->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto concurrency = std::make_shared<int>(0);
  auto* create = pool->add_subcommand("create", "Create (or update) a work pool");
  create->add_option("name", *name, "Pool name")->required();
  create->add_option("--concurrency", *concurrency, "At most this many runs of the pool at once")->check(CLI::PositiveNumber);
  create->callback([name, concurrency] {
    nlohmann::json body{{"name", *name}};
    if (*concurrency > 0) body["concurrency_limit"] = *concurrency;
    api_call("PUT", "/work-pools/" + url_part(*name), body);
    std::cout << fmt::format("Work pool '{}' ready{}. Start a worker: baton worker start --pool {}\n", *name,
                             *concurrency > 0 ? fmt::format(" (at most {} runs at once)", *concurrency) : "", *name);
  });
  auto* ls_cmd = pool->add_subcommand("ls", "List work pools");
  ls_cmd->add_flag("--json", *json, "Print JSON");
  ls_cmd->callback([json] { pool_ls(*json); });
  auto* inspect = pool->add_subcommand("inspect", "Show a work pool and its workers");
  inspect->add_option("name", *name, "Pool name")->required();
  inspect->add_flag("--json", *json, "Print JSON");
  inspect->callback([name, json] { pool_inspect(*name, *json); });
  auto* del = pool->add_subcommand("delete", "Delete a work pool no deployment uses");
  del->add_option("name", *name, "Pool name")->required();
  del->callback([name] {
    api_call("DELETE", "/work-pools/" + url_part(*name));
    std::cout << "Deleted work pool '" << *name << "'.\n";
  });

  auto* worker = app.add_subcommand("worker", "Run a worker: it claims its pool's due runs and runs their programs.");
  worker->require_subcommand(1);
  auto limit = std::make_shared<int>(4);
  auto worker_name = std::make_shared<std::string>();
  auto heartbeat = std::make_shared<double>(5.0);
  auto* start = worker->add_subcommand(
      "start", "Run in the foreground until SIGINT/SIGTERM (then: no new runs, running ones get 30 s to finish, "
               "claimed ones are handed back)");
  start->add_option("--pool", *name, "Work pool to serve")->required();
  start->add_option("--limit", *limit, "At most this many runs at once")->capture_default_str()->check(CLI::PositiveNumber);
  start->add_option("--name", *worker_name, "Worker name (default HOST-PID)");
  start->add_option("--heartbeat-seconds", *heartbeat, "Heartbeat interval; a worker silent for 3 loses its runs")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 300.0));
  start->callback([name, limit, worker_name, heartbeat] { worker_start(*name, *limit, *worker_name, *heartbeat); });
}

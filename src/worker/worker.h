#pragma once
// A worker of a work pool (`baton worker start --pool NAME`): claims due runs
// from the server with a lease (a long poll, so a run starts milliseconds after
// it is due), starts each as a subprocess (argv = the deployment's command plus
// `--name value` per parameter; env BATON_FLOW_RUN_ID, BATON_FLOW_RUN_COUNT,
// BATON_API_URL, BATON_API_KEY) so the engine inside adopts the pre-created run,
// streams the child's stdout and stderr into the run's logs, heartbeats the runs
// it holds (stopping those whose lease was lost, cancelling those whose
// cancellation was requested: SIGTERM, then SIGKILL after a grace period) and
// reports each exit.
//
// Faults: with the server unreachable the children keep running and every
// request is retried with backoff (logs are kept in memory meanwhile, exits
// until they are delivered). request_stop() (SIGTERM): no more claims; running
// children get `stop_grace` to finish, then are terminated; runs claimed but
// not started are released.
#include "client/http_client.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace baton::worker {

struct WorkerOptions {
  client::HttpClient::Options http;  // the server
  std::string pool;
  std::string name;                  // shown in the UI; default: hostname-pid
  int limit = 4;                     // concurrent runs at most
  std::chrono::milliseconds heartbeat_interval{5'000};
  std::chrono::milliseconds claim_wait{10'000};  // the long poll's wait_ms
  std::chrono::milliseconds cancel_grace{10'000};  // SIGTERM → SIGKILL for a cancelled run
  std::chrono::milliseconds stop_grace{30'000};    // on request_stop, for running children
  bool quiet = false;                // no progress lines on stdout
  // The engines' spool directory ($BATON_HOME/spool): a program that ended while
  // the server was away left its last events there; the worker sends them
  // before it reports the exit, so the run's own final state is not lost.
  std::string spool_dir;
};

class Worker {
 public:
  explicit Worker(WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs until request_stop(); returns 0, or 1 when the pool does not exist.
  int run();
  // Thread-safe and async-friendly (no allocation): stop claiming, then finish.
  void request_stop();

  const std::string& id() const { return id_; }

 private:
  struct Run;
  void claim_loop();
  void heartbeat_loop();
  void start_run(const std::string& claimed_json);
  void supervise(std::shared_ptr<Run> run);
  void post_logs(Run& run, client::HttpClient& http, bool final);
  void deliver_spools(client::HttpClient& http);
  void report_exit(Run& run, client::HttpClient& http, int exit_code, int term_signal, const std::string& message);
  std::vector<std::shared_ptr<Run>> running_runs();
  void say(const std::string& line);
  bool stopping() const { return stop_.load(); }
  void sleep_for(std::chrono::milliseconds d);

  WorkerOptions options_;
  std::string id_;
  std::string hostname_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> pool_missing_{false};
  std::atomic<bool> done_{false};  // every run reported: the heartbeat ends
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<Run>> runs_;  // started, not yet reported
};

}  // namespace baton::worker

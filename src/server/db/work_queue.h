#pragma once
// Work pools' queues: workers claim due runs with a lease, renew it by
// heartbeat, hand runs back, and report how their processes ended; leases that
// expire make their runs Crashed (retried when the deployment allows).
//
// Claims are atomic: on PostgreSQL the due rows are taken with
// SELECT ... FOR UPDATE SKIP LOCKED (two workers, or two servers, never get the
// same run; a pool or deployment with a concurrency limit has its row locked so
// the count of running runs is exact); on SQLite the claim is one write of the
// server's single writer. A claimed run is Pending with `worker` and
// `lease_expires` set.
//
// Errors: NotFound, Conflict (the worker does not hold the run), DbError.
// Thread safety: every member may be called from any thread.
#include "server/db/deployment_records.h"
#include "server/db/server_database.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace baton::server::db {

// A generation counter with a condition variable: waiters sleep until it moves
// (something was created, released, freed) or their deadline passes.
class WakeUp {
 public:
  std::uint64_t generation() const;
  void notify();
  // Waits until the generation differs from `seen` or `until` passes; returns
  // the current generation.
  std::uint64_t wait(std::uint64_t seen, std::chrono::steady_clock::time_point until);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
};

struct WorkerInfo {
  std::string id;
  std::string name;
  std::string hostname;
  std::int64_t pid = 0;
  std::optional<std::int64_t> limit;
};

struct ClaimedRun {
  store::FlowRunRecord run;
  std::string command_json;
};

struct WorkerHeartbeatReply {
  std::vector<std::string> lost;
  std::vector<std::string> cancel;
};

struct ExitReport {
  std::string worker_id;
  std::optional<std::int64_t> exit_code;
  std::optional<std::int64_t> signal;
  std::string message;
};

// What expire_leases did, for the live stream and the tests.
struct ExpiredLeases {
  std::vector<RunId> crashed;  // final Crashed
  std::vector<RunId> retried;  // Crashed, then Scheduled again
};

class WorkQueue {
 public:
  // `on_runs_ready(pool)`: runs became claimable (a retry, a release).
  WorkQueue(ServerDatabase& db, std::function<void(const std::string&)> on_runs_ready = {});

  // Claims up to `limit` due runs of `pool` (NotFound when it does not exist)
  // and records the worker's heartbeat.
  std::vector<ClaimedRun> claim(const std::string& pool, const WorkerInfo& worker, int limit,
                                std::chrono::microseconds lease, std::int64_t now_us);
  // The earliest due time of a claimable run of the pool in the future, if any
  // (a long poll sleeps until then at most).
  std::optional<std::int64_t> next_due(const std::string& pool, std::int64_t now_us);
  // Renews the leases of `runs` the worker holds.
  WorkerHeartbeatReply heartbeat(const std::string& pool, const WorkerInfo& worker, const std::vector<std::string>& runs,
                                 std::chrono::microseconds lease, std::int64_t now_us);
  // A claimed run the worker has not started becomes Scheduled again.
  store::FlowRunRecord release(std::string_view id_or_prefix, const std::string& worker_id, std::int64_t now_us);
  // Decides the final state when the engine reported none.
  store::FlowRunRecord report_exit(std::string_view id_or_prefix, const ExitReport& report, std::int64_t now_us);
  // Runs whose lease expired become Crashed naming the worker; retried when
  // their deployment has retries left.
  ExpiredLeases expire_leases(std::int64_t now_us);
  // Workers heard from in the last hour (NotFound for an unknown pool).
  std::vector<WorkerRow> list_workers(const std::string& pool, std::int64_t now_us);

 private:
  ServerDatabase& db_;
  std::function<void(const std::string&)> on_runs_ready_;
};

// Ends a run that is not final as Crashed or Failed (with its unfinished task
// runs Crashed), or, when its deployment has retries left and `may_retry`,
// Crashed/Failed then Scheduled again after the retry delay. Inside a write.
// Returns true when it was scheduled again.
bool end_or_retry(Connection& c, const std::string& id, StateType final_state, const std::string& message,
                  bool may_retry, std::int64_t now_us);

}  // namespace baton::server::db

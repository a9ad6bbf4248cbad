#include "server/db/work_queue.h"

#include "schedule/schedule.h"
#include "server/db/store_util.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstring>
#include <map>
#include <set>

namespace baton::server::db {

// ---------------------------------------------------------------- WakeUp

std::uint64_t WakeUp::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

void WakeUp::notify() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

std::uint64_t WakeUp::wait(std::uint64_t seen, std::chrono::steady_clock::time_point until) {
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, until, [&] { return generation_ != seen; });
  return generation_;
}

// ---------------------------------------------------------------- helpers

namespace {

std::string format_us(std::int64_t us) {
  return schedule::format_utc(schedule::TimePoint(
      std::chrono::duration_cast<schedule::TimePoint::duration>(std::chrono::microseconds(us))));
}

std::string worker_label(const std::string& id, const std::string& name, const std::string& hostname) {
  std::string out = name.empty() ? fmt::format("worker {}", id) : fmt::format("worker '{}' ({})", name, id);
  if (!hostname.empty()) out += " on " + hostname;
  return out;
}

void upsert_worker(Connection& c, const std::string& pool, const WorkerInfo& w, std::chrono::microseconds lease,
                   std::int64_t now_us) {
  const std::vector<SqlValue> p = {w.id, w.name, pool, w.hostname, w.pid,
                                   w.limit ? SqlValue(*w.limit) : SqlValue(nullptr), now_us,
                                   static_cast<std::int64_t>(lease.count())};
  c.query("INSERT INTO workers (id, name, work_pool, hostname, pid, run_limit, last_heartbeat, lease_us) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
          "work_pool = excluded.work_pool, hostname = excluded.hostname, pid = excluded.pid, "
          "run_limit = coalesce(excluded.run_limit, workers.run_limit), last_heartbeat = excluded.last_heartbeat, "
          "lease_us = excluded.lease_us",
          p);
}

std::string signal_name(std::int64_t sig) {
  switch (sig) {
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGINT: return "SIGINT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    default: return fmt::format("signal {}", sig);
  }
}

}  // namespace

bool end_or_retry(Connection& c, const std::string& id, StateType final_state, const std::string& message,
                  bool may_retry, std::int64_t now_us) {
  const SqlValue fid = id;
  auto r = c.query("SELECT f.deployment, f.run_count, d.retries, d.retry_delay_us, f.work_pool FROM flow_runs f "
                   "LEFT JOIN deployments d ON d.name = f.deployment WHERE f.id = ? AND f.end_time IS NULL",
                   std::span(&fid, 1));
  if (r.empty()) return false;
  crash_open_task_runs(c, id, "its flow run ended: " + message, now_us);
  // Slots held by the run or its task runs are free at once, not when their
  // leases would have expired.
  c.query("DELETE FROM concurrency_leases WHERE holder = ? OR holder IN (SELECT id FROM task_runs WHERE flow_run = ?)",
          std::vector<SqlValue>{id, id});
  const std::int64_t attempt = r.int64(0, 1);
  const std::int64_t retries = r.int64(0, 2);
  const bool retry = may_retry && r.at(0, 0) && attempt <= retries;
  std::string history = util::transition(final_state, now_us, message);
  if (!retry) {
    const std::vector<SqlValue> p = {std::string(to_string(final_state)), now_us, message, now_us, history, id};
    c.query(fmt::format("UPDATE flow_runs SET state = ?, state_time = ?, state_message = ?, end_time = ?, {}, "
                        "lease_expires = NULL WHERE id = ?",
                        util::kAppendHistory),
            p);
    return false;
  }
  const std::int64_t delay = r.int64(0, 3);
  const std::string again = fmt::format("retry {} of {} after: {}", attempt, retries, message);
  history += "," + util::transition(StateType::Scheduled, now_us, again);
  const std::vector<SqlValue> p = {now_us, again, history, now_us + delay, id};
  c.query(fmt::format("UPDATE flow_runs SET state = 'Scheduled', state_time = ?, state_message = ?, {}, "
                      "end_time = NULL, worker = NULL, lease_expires = NULL, heartbeat = NULL, "
                      "cancel_requested = NULL, due_time = ?, run_count = run_count + 1 WHERE id = ?",
                      util::kAppendHistory),
          p);
  util::notify_channel(c, util::kRunsChannel, r.text(0, 4));
  return true;
}

// ---------------------------------------------------------------- WorkQueue

WorkQueue::WorkQueue(ServerDatabase& db, std::function<void(const std::string&)> on_runs_ready)
    : db_(db), on_runs_ready_(std::move(on_runs_ready)) {}

std::vector<ClaimedRun> WorkQueue::claim(const std::string& pool, const WorkerInfo& worker, int limit,
                                         std::chrono::microseconds lease, std::int64_t now_us) {
  std::vector<std::string> ids;
  std::map<std::string, std::string> commands;  // by deployment
  db_.run_write([&](Connection& c) {
    ids.clear();
    const bool pg = c.dialect() == Dialect::Postgres;
    const SqlValue name = pool;
    auto p = c.query("SELECT concurrency_limit, paused FROM work_pools WHERE name = ?", std::span(&name, 1));
    if (p.empty()) throw NotFound(fmt::format("no work pool named '{}'", pool));
    const auto pool_limit = p.opt_int64(0, 0);
    upsert_worker(c, pool, worker, lease, now_us);
    if (p.int64(0, 1) != 0) return;  // paused
    std::int64_t capacity = limit;
    if (pool_limit) {
      // The pool's row lock makes the count exact across servers.
      if (pg) c.query("SELECT 1 FROM work_pools WHERE name = ? FOR UPDATE", std::span(&name, 1));
      const auto running = c.query("SELECT count(*) FROM flow_runs WHERE work_pool = ? AND worker IS NOT NULL "
                                   "AND end_time IS NULL",
                                   std::span(&name, 1))
                               .int64(0, 0);
      capacity = std::min(capacity, *pool_limit - running);
    }
    if (worker.limit) {
      const SqlValue wid = worker.id;
      const auto held =
          c.query("SELECT count(*) FROM flow_runs WHERE worker = ? AND end_time IS NULL", std::span(&wid, 1)).int64(0, 0);
      capacity = std::min(capacity, *worker.limit - held);
    }
    if (capacity <= 0) return;
    const std::vector<SqlValue> q = {pool, now_us, capacity * 4 + 16};
    auto due = c.query(std::string("SELECT id, deployment FROM flow_runs WHERE work_pool = ? AND state IN ('Scheduled', "
                                   "'Late') AND worker IS NULL AND due_time <= ? ORDER BY due_time, key LIMIT ?") +
                           (pg ? " FOR UPDATE SKIP LOCKED" : ""),
                       q);
    if (due.empty()) return;
    // Deployment limits: count each limited deployment's running runs under a
    // lock of its own (PostgreSQL: an advisory lock, taken in name order, not the
    // deployment's row, which an update holds while it deletes runs a claimer may
    // have locked: that would be a deadlock).
    std::set<std::string> deployments;
    for (std::size_t i = 0; i < due.size(); ++i) {
      if (due.at(i, 1)) deployments.insert(*due.at(i, 1));
    }
    std::map<std::string, std::int64_t> room;  // per limited deployment
    if (!deployments.empty()) {
      std::vector<SqlValue> names(deployments.begin(), deployments.end());
      auto lim = c.query("SELECT name, concurrency_limit FROM deployments WHERE concurrency_limit IS NOT NULL AND name IN " +
                             util::in_list(names.size()) + " ORDER BY name",
                         names);
      for (std::size_t i = 0; i < lim.size(); ++i) {
        const SqlValue d = lim.text(i, 0);
        if (pg) {
          const SqlValue key = "baton-deployment:" + lim.text(i, 0);
          c.query("SELECT pg_advisory_xact_lock(hashtext(?))", std::span(&key, 1));
        }
        const auto running = c.query("SELECT count(*) FROM flow_runs WHERE deployment = ? AND worker IS NOT NULL "
                                     "AND end_time IS NULL",
                                     std::span(&d, 1))
                                 .int64(0, 0);
        room[lim.text(i, 0)] = lim.int64(i, 1) - running;
      }
      auto cmd = c.query("SELECT name, command FROM deployments WHERE name IN " + util::in_list(names.size()), names);
      for (std::size_t i = 0; i < cmd.size(); ++i) commands[cmd.text(i, 0)] = cmd.text(i, 1);
    }
    for (std::size_t i = 0; i < due.size() && static_cast<std::int64_t>(ids.size()) < capacity; ++i) {
      if (due.at(i, 1)) {
        auto it = room.find(*due.at(i, 1));
        if (it != room.end()) {
          if (it->second <= 0) continue;
          --it->second;
        }
      }
      ids.push_back(due.text(i, 0));
    }
    if (ids.empty()) return;
    const std::string message = "claimed by " + worker_label(worker.id, worker.name, worker.hostname);
    std::vector<SqlValue> u = {now_us, message, util::transition(StateType::Pending, now_us, message), worker.id,
                               now_us + static_cast<std::int64_t>(lease.count())};
    for (const auto& id : ids) u.emplace_back(id);
    c.query(fmt::format("UPDATE flow_runs SET state = 'Pending', state_time = ?, state_message = ?, {}, worker = ?, "
                        "lease_expires = ? WHERE id IN {}",
                        util::kAppendHistory, util::in_list(ids.size())),
            u);
  });
  std::vector<ClaimedRun> out;
  std::vector<RunId> run_ids;
  for (const auto& id : ids) run_ids.push_back(*RunId::parse(id));
  for (auto& run : db_.read_flow_run_summaries(run_ids)) {
    ClaimedRun cr;
    cr.run = std::move(run);
    auto it = cr.run.deployment ? commands.find(*cr.run.deployment) : commands.end();
    cr.command_json = it == commands.end() ? "[]" : it->second;
    out.push_back(std::move(cr));
  }
  return out;
}

std::optional<std::int64_t> WorkQueue::next_due(const std::string& pool, std::int64_t now_us) {
  std::optional<std::int64_t> out;
  db_.run_read([&](Connection& c) {
    const SqlValue p[] = {pool, now_us};
    auto r = c.query("SELECT min(due_time) FROM flow_runs WHERE work_pool = ? AND state IN ('Scheduled', 'Late') "
                     "AND worker IS NULL AND due_time > ?",
                     p);
    if (!r.empty()) out = r.opt_int64(0, 0);
  });
  return out;
}

WorkerHeartbeatReply WorkQueue::heartbeat(const std::string& pool, const WorkerInfo& worker,
                                          const std::vector<std::string>& runs, std::chrono::microseconds lease,
                                          std::int64_t now_us) {
  WorkerHeartbeatReply out;
  db_.run_write([&](Connection& c) {
    out = {};
    const SqlValue name = pool;
    if (c.query("SELECT 1 FROM work_pools WHERE name = ?", std::span(&name, 1)).empty()) {
      throw NotFound(fmt::format("no work pool named '{}'", pool));
    }
    upsert_worker(c, pool, worker, lease, now_us);
    for (std::size_t i = 0; i < runs.size(); i += 500) {
      std::vector<SqlValue> ids(runs.begin() + static_cast<std::ptrdiff_t>(i),
                                runs.begin() + static_cast<std::ptrdiff_t>(std::min(runs.size(), i + 500)));
      std::vector<SqlValue> u = {now_us + static_cast<std::int64_t>(lease.count()), worker.id};
      u.insert(u.end(), ids.begin(), ids.end());
      c.query("UPDATE flow_runs SET lease_expires = ? WHERE worker = ? AND end_time IS NULL AND id IN " +
                  util::in_list(ids.size()),
              u);
      auto r = c.query("SELECT id, worker, end_time, cancel_requested FROM flow_runs WHERE id IN " +
                           util::in_list(ids.size()),
                       ids);
      std::set<std::string> seen;
      for (std::size_t k = 0; k < r.size(); ++k) {
        const std::string id = r.text(k, 0);
        seen.insert(id);
        if (r.text(k, 1) != worker.id) {
          out.lost.push_back(id);
        } else if (!r.at(k, 2) && r.at(k, 3)) {
          out.cancel.push_back(id);
        }
      }
      for (const auto& v : ids) {
        const auto& id = std::get<std::string>(v);
        if (!seen.count(id)) out.lost.push_back(id);
      }
    }
  });
  return out;
}

store::FlowRunRecord WorkQueue::release(std::string_view id_or_prefix, const std::string& worker_id,
                                        std::int64_t now_us) {
  const RunId id = db_.resolve_flow_run(id_or_prefix);
  std::string pool;
  db_.run_write([&](Connection& c) {
    const SqlValue fid = id.str();
    auto r = c.query("SELECT worker, state, work_pool FROM flow_runs WHERE id = ?", std::span(&fid, 1));
    if (r.empty()) throw NotFound(fmt::format("no flow run with id '{}'", id.str()));
    if (r.text(0, 0) != worker_id) {
      throw Conflict(fmt::format("worker {} does not hold flow run {} ({})", worker_id, id.str(),
                                 r.at(0, 0) ? "worker " + r.text(0, 0) + " does" : "no worker does"));
    }
    if (r.text(0, 1) != "Pending") {
      throw Conflict(fmt::format("flow run {} has started (it is {}); a worker hands back only runs it has not started",
                                 id.str(), r.text(0, 1)));
    }
    pool = r.text(0, 2);
    const std::string message = fmt::format("handed back by worker {}", worker_id);
    const std::vector<SqlValue> p = {now_us, message, util::transition(StateType::Scheduled, now_us, message),
                                     id.str()};
    c.query(fmt::format("UPDATE flow_runs SET state = 'Scheduled', state_time = ?, state_message = ?, {}, "
                        "worker = NULL, lease_expires = NULL WHERE id = ?",
                        util::kAppendHistory),
            p);
    util::notify_channel(c, util::kRunsChannel, pool);
  });
  if (on_runs_ready_) on_runs_ready_(pool);
  return db_.read_flow_run_summary(id);
}

store::FlowRunRecord WorkQueue::report_exit(std::string_view id_or_prefix, const ExitReport& report,
                                            std::int64_t now_us) {
  const RunId id = db_.resolve_flow_run(id_or_prefix);
  bool retried = false;
  std::string pool;
  db_.run_write([&](Connection& c) {
    const SqlValue fid = id.str();
    auto r = c.query("SELECT f.worker, f.end_time, d.command, f.work_pool FROM flow_runs f "
                     "LEFT JOIN deployments d ON d.name = f.deployment WHERE f.id = ?",
                     std::span(&fid, 1));
    if (r.empty()) throw NotFound(fmt::format("no flow run with id '{}'", id.str()));
    if (r.text(0, 0) != report.worker_id) {
      throw Conflict(fmt::format("worker {} does not hold flow run {} ({})", report.worker_id, id.str(),
                                 r.at(0, 0) ? "worker " + r.text(0, 0) + " does" : "its lease was lost"));
    }
    pool = r.text(0, 3);
    if (r.at(0, 1)) {
      // The engine reported the final state itself: the exit changes nothing.
      c.query("UPDATE flow_runs SET lease_expires = NULL WHERE id = ?", std::span(&fid, 1));
      return;
    }
    auto command = nlohmann::json::parse(r.text(0, 2), nullptr, false);
    const std::string path = command.is_array() && !command.empty() && command[0].is_string()
                                 ? command[0].get<std::string>()
                                 : std::string("(no command)");
    const std::string detail = report.message.empty() ? std::string() : ": " + report.message;
    const bool could_not_start =
        (!report.exit_code && !report.signal) || (report.exit_code && (*report.exit_code == 127 || *report.exit_code == 126));
    if (could_not_start) {
      const std::string why = !report.exit_code            ? "it could not be started"
                              : *report.exit_code == 127 ? "exit code 127: not found or not runnable"
                                                         : "exit code 126: not executable";
      // Retrying a program that cannot start would fail the same way.
      end_or_retry(c, id.str(), StateType::Failed,
                   fmt::format("the program '{}' could not be started ({}){}", path, why, detail), false, now_us);
      return;
    }
    const std::string message =
        report.signal ? fmt::format("the process of '{}' was killed by {} before the run reported a final state{}",
                                    path, signal_name(*report.signal), detail)
                      : fmt::format("the process of '{}' exited with code {} without reporting a final state{}", path,
                                    *report.exit_code, detail);
    retried = end_or_retry(c, id.str(), StateType::Crashed, message, true, now_us);
  });
  if (retried && on_runs_ready_) on_runs_ready_(pool);
  return db_.read_flow_run_summary(id);
}

ExpiredLeases WorkQueue::expire_leases(std::int64_t now_us) {
  ExpiredLeases out;
  std::set<std::string> pools;
  db_.run_write([&](Connection& c) {
    out = {};
    const SqlValue p = now_us;
    auto r = c.query("SELECT f.id, f.worker, w.name, w.hostname, f.lease_expires, f.work_pool FROM flow_runs f "
                     "LEFT JOIN workers w ON w.id = f.worker "
                     "WHERE f.worker IS NOT NULL AND f.end_time IS NULL AND f.lease_expires < ?" +
                         std::string(c.dialect() == Dialect::Postgres ? " FOR UPDATE OF f SKIP LOCKED" : ""),
                     std::span(&p, 1));
    for (std::size_t i = 0; i < r.size(); ++i) {
      const std::string id = r.text(i, 0);
      const std::string message =
          fmt::format("{} stopped heartbeating: its lease on the run expired at {}",
                      worker_label(r.text(i, 1), r.text(i, 2), r.text(i, 3)), format_us(r.int64(i, 4)));
      const bool retried = end_or_retry(c, id, StateType::Crashed, message, true, now_us);
      // The worker no longer holds it: its next heartbeat lists it as lost.
      const SqlValue fid = id;
      c.query("UPDATE flow_runs SET worker = NULL, lease_expires = NULL WHERE id = ?", std::span(&fid, 1));
      (retried ? out.retried : out.crashed).push_back(*RunId::parse(id));
      if (retried) pools.insert(r.text(i, 5));
    }
  });
  if (on_runs_ready_) {
    for (const auto& p : pools) on_runs_ready_(p);
  }
  return out;
}

std::vector<WorkerRow> WorkQueue::list_workers(const std::string& pool, std::int64_t now_us) {
  std::vector<WorkerRow> out;
  db_.run_read([&](Connection& c) {
    const SqlValue name = pool;
    if (c.query("SELECT 1 FROM work_pools WHERE name = ?", std::span(&name, 1)).empty()) {
      throw NotFound(fmt::format("no work pool named '{}'", pool));
    }
    const SqlValue p[] = {pool, now_us - 3'600'000'000LL};
    auto r = c.query("SELECT id, name, work_pool, hostname, pid, run_limit, last_heartbeat, lease_us FROM workers "
                     "WHERE work_pool = ? AND last_heartbeat >= ? ORDER BY name, id",
                     p);
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < r.size(); ++i) {
      WorkerRow w;
      w.id = r.text(i, 0);
      w.name = r.text(i, 1);
      w.work_pool = r.text(i, 2);
      w.hostname = r.text(i, 3);
      w.pid = r.int64(i, 4);
      w.limit = r.opt_int64(i, 5);
      w.last_heartbeat_us = r.int64(i, 6);
      w.lease_us = r.int64(i, 7);
      w.online = w.last_heartbeat_us + w.lease_us >= now_us;
      index[w.id] = out.size();
      out.push_back(std::move(w));
    }
    if (out.empty()) return;
    auto held = c.query("SELECT id, worker FROM flow_runs WHERE work_pool = ? AND worker IS NOT NULL "
                        "AND end_time IS NULL ORDER BY key",
                        std::span(&name, 1));
    for (std::size_t i = 0; i < held.size(); ++i) {
      auto it = index.find(held.text(i, 1));
      if (it != index.end()) out[it->second].runs.push_back(held.text(i, 0));
    }
  });
  return out;
}

}  // namespace baton::server::db

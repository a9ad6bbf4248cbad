#include "store/crash_detection.h"

#include "store/history_codec.h"
#include "util/process_info.h"
#include "store/sqlite_db.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace baton::store {

namespace {

struct Candidate {
  std::int64_t key = 0;
  std::string id_blob;
  std::string reason;
  std::optional<std::int64_t> heartbeat_cutoff;  // other host: re-checked under the lock
};

}  // namespace

Result<int> mark_crashed_runs(Database& db, const CrashDetectionOptions& options) {
  const std::string this_host = options.hostname.empty() ? host_name() : options.hostname;
  const std::int64_t now = to_micros(options.clock->now());
  // The writer's own heartbeat interval decides (it may differ from ours); at
  // least a second, so that a 0 interval does not make every run look dead.
  const std::int64_t default_every_us =
      std::chrono::duration_cast<std::chrono::microseconds>(options.heartbeat_interval).count();

  try {
    std::vector<Candidate> crashed;
    {
      Statement open_runs(db,
                          "SELECT key, id, pid, process_started, hostname, coalesce(heartbeat, created), "
                          "coalesce(heartbeat_every, ?1) "
                          "FROM flow_runs WHERE end_time IS NULL");
      open_runs.bind(1, default_every_us);
      while (open_runs.step()) {
        const std::int64_t pid = open_runs.int64(2);
        const auto started = static_cast<std::uint64_t>(open_runs.int64(3));
        const std::string host = open_runs.text(4);
        const std::int64_t heartbeat = open_runs.int64(5);
        const std::int64_t every_us = std::max<std::int64_t>(open_runs.int64(6), 1'000'000);
        const std::int64_t limit_us = 3 * every_us;
        Candidate c{open_runs.int64(0), std::string(open_runs.blob(1)), {}, std::nullopt};
        if (!host.empty() && host == this_host && pid > 0) {
          switch (process_status(pid, started)) {
            case ProcessStatus::Alive: continue;
            case ProcessStatus::Gone:
              c.reason = fmt::format("process {} on host {} is gone", pid, host);
              break;
            case ProcessStatus::Zombie:
              c.reason = fmt::format("process {} on host {} is gone (exited without finishing the run)", pid, host);
              break;
            case ProcessStatus::PidReused:
              c.reason = fmt::format("process {} on host {} is gone (its pid now belongs to another process)", pid, host);
              break;
          }
        } else {
          if (now - heartbeat <= limit_us) continue;
          c.reason = fmt::format("no heartbeat from process {} on host {} for {} s (limit: 3 heartbeats of {} s)", pid,
                                 host.empty() ? "?" : host, (now - heartbeat) / 1'000'000,
                                 static_cast<double>(every_us) / 1e6);
          c.heartbeat_cutoff = now - limit_us;
        }
        crashed.push_back(std::move(c));
      }
    }
    if (crashed.empty()) return 0;

    int marked = 0;
    WriteTransaction txn(db);
    Statement mark_flow(db,
                        "UPDATE flow_runs SET state = 'Crashed', state_time = ?1, state_message = ?2, end_time = ?1, "
                        "history = json_insert(history, '$[#]', json(?3)) "
                        "WHERE key = ?4 AND end_time IS NULL AND (?5 IS NULL OR coalesce(heartbeat, created) < ?5)");
    Statement mark_tasks(db,
                         "UPDATE task_runs SET state = 'Crashed', state_time = ?1, state_message = ?2, end_time = ?1, "
                         "history = json_insert(history, '$[#]', json(?3)) "
                         "WHERE flow_run = ?4 AND end_time IS NULL");
    for (const Candidate& c : crashed) {
      std::string transition;
      append_transition_json(transition, StateType::Crashed, now, c.reason);
      mark_flow.bind(1, now).bind(2, c.reason).bind(3, transition).bind(4, c.key);
      if (c.heartbeat_cutoff) mark_flow.bind(5, *c.heartbeat_cutoff);
      mark_flow.run();
      if (sqlite3_changes(db.handle()) == 0) continue;  // finished or revived meanwhile
      ++marked;
      const std::string task_reason = "its flow run crashed: " + c.reason;
      std::string task_transition;
      append_transition_json(task_transition, StateType::Crashed, now, task_reason);
      mark_tasks.bind(1, now).bind(2, task_reason).bind(3, task_transition);
      mark_tasks.bind_blob(4, c.id_blob.data(), static_cast<int>(c.id_blob.size()));
      mark_tasks.run();
    }
    txn.commit();
    return marked;
  } catch (const SqliteError& e) {
    return Status::error(fmt::format("cannot mark crashed runs: {}", e.what()));
  }
}

}  // namespace baton::store

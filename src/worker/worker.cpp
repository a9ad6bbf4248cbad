// The worker loop: claim (long poll) → spawn → stream logs → heartbeat → exit report.
#include "worker/worker.h"

#include "worker/child_process.h"

#include "client/spool.h"

#include <baton/run_id.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <map>
#include <unistd.h>

namespace baton::worker {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Worker::Run {
  std::string id;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::unique_ptr<ChildProcess> child;
  std::thread thread;
  std::atomic<bool> finished{false};
  // Log events not yet accepted by the server, and the sequence of the first.
  std::string source;
  std::int64_t next_seq = 1;
  json pending = json::array();
  Clock::time_point last_post = Clock::now();
  // Set by the heartbeat (lost lease, cancellation) or by stop: when SIGTERM was
  // sent, so the supervisor sends SIGKILL after the grace period.
  std::mutex mutex;
  std::optional<Clock::time_point> terminated_at;
  bool killed = false;
  std::string why_stopped;
};

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

Worker::Worker(WorkerOptions options) : options_(std::move(options)), id_(RunId::random().str()), hostname_(host_name()) {
  if (options_.name.empty()) options_.name = fmt::format("{}-{}", hostname_, ::getpid());
  if (options_.limit < 1) options_.limit = 1;
}

Worker::~Worker() {
  request_stop();
  std::vector<std::shared_ptr<Run>> all;
  {
    std::lock_guard lock(mutex_);
    all = runs_;
  }
  for (auto& r : all) {
    if (r->thread.joinable()) r->thread.join();
  }
}

void Worker::say(const std::string& line) {
  if (options_.quiet) return;
  static std::mutex out;
  std::lock_guard lock(out);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void Worker::request_stop() {
  stop_.store(true);
  changed_.notify_all();
}

void Worker::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, d, [this] { return stopping(); });
}

std::vector<std::shared_ptr<Worker::Run>> Worker::running_runs() {
  std::lock_guard lock(mutex_);
  return runs_;
}

int Worker::run() {
  say(fmt::format("worker {} ({}) polling pool '{}' at {} (limit {})", options_.name, id_, options_.pool,
                  options_.http.base_url, options_.limit));
  std::thread heartbeat([this] { heartbeat_loop(); });
  claim_loop();

  // Stopping: running children get stop_grace to finish, then SIGTERM, then SIGKILL.
  {
    std::unique_lock lock(mutex_);
    const auto deadline = Clock::now() + options_.stop_grace;
    auto all_finished = [this] {
      return std::all_of(runs_.begin(), runs_.end(), [](const auto& r) { return r->finished.load(); });
    };
    if (!all_finished()) say(fmt::format("worker {}: waiting for {} running run(s)", options_.name, runs_.size()));
    changed_.wait_until(lock, deadline, all_finished);
  }
  for (auto& r : running_runs()) {
    std::lock_guard lock(r->mutex);
    if (!r->finished && !r->terminated_at && r->child && r->child->ok()) {
      r->why_stopped = "the worker was stopped";
      r->terminated_at = Clock::now();
      r->child->signal(SIGTERM);
    }
  }
  for (auto& r : running_runs()) {
    if (r->thread.joinable()) r->thread.join();
  }
  done_.store(true);
  changed_.notify_all();
  heartbeat.join();
  say(fmt::format("worker {} stopped", options_.name));
  return pool_missing_ ? 1 : 0;
}

void Worker::claim_loop() {
  client::HttpClient http(options_.http);
  http.set_timeout(options_.claim_wait + std::chrono::seconds(15));
  const double lease_seconds = 3.0 * static_cast<double>(options_.heartbeat_interval.count()) / 1000.0;
  auto backoff = std::chrono::milliseconds(100);
  bool unreachable = false;
  while (!stopping()) {
    // Join the threads of reported runs and forget them.
    {
      std::lock_guard lock(mutex_);
      for (auto it = runs_.begin(); it != runs_.end();) {
        if ((*it)->finished && (*it)->thread.joinable()) {
          (*it)->thread.join();
          it = runs_.erase(it);
        } else {
          ++it;
        }
      }
    }
    int free_slots = 0;
    {
      std::unique_lock lock(mutex_);
      free_slots = options_.limit - static_cast<int>(std::count_if(runs_.begin(), runs_.end(),
                                                                    [](const auto& r) { return !r->finished; }));
      if (free_slots <= 0) {
        changed_.wait_for(lock, std::chrono::milliseconds(500));
        continue;
      }
    }
    json body{{"worker_id", id_},
              {"worker_name", options_.name},
              {"hostname", hostname_},
              {"pid", ::getpid()},
              {"limit", free_slots},
              {"lease_seconds", lease_seconds},
              {"wait_ms", options_.claim_wait.count()}};
    auto r = http.post_json("/work-pools/" + client::url_encode(options_.pool) + "/claim", dump(body));
    if (!r.ok()) {
      if (r.status == 404) {
        say(fmt::format("worker {}: {}", options_.name, r.describe()));
        pool_missing_ = true;
        request_stop();
        break;
      }
      if (!unreachable) say(fmt::format("worker {}: {}; retrying", options_.name, r.describe()));
      unreachable = true;
      sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5'000));
      continue;
    }
    if (unreachable) say(fmt::format("worker {}: the server answers again", options_.name));
    unreachable = false;
    backoff = std::chrono::milliseconds(100);
    auto reply = json::parse(r.body, nullptr, false);
    if (reply.is_discarded() || !reply.contains("runs") || !reply["runs"].is_array()) continue;
    for (const auto& run : reply["runs"]) {
      if (stopping()) {
        // Claimed as the stop came: hand it back unstarted.
        const std::string id = run.value("id", "");
        auto rel = http.post_json("/flow-runs/" + id + "/release", dump(json{{"worker_id", id_}}));
        say(fmt::format("worker {}: released run {}{}", options_.name, id, rel.ok() ? "" : " (" + rel.describe() + ")"));
        continue;
      }
      start_run(dump(run));
    }
  }
}

void Worker::start_run(const std::string& claimed_json) {
  const json run = json::parse(claimed_json);
  auto r = std::make_shared<Run>();
  r->id = run.value("id", "");
  r->source = "worker-" + id_ + "-" + r->id;
  if (run.contains("command") && run["command"].is_array()) {
    for (const auto& a : run["command"]) r->argv.push_back(a.is_string() ? a.get<std::string>() : a.dump());
  }
  if (run.contains("parameters") && run["parameters"].is_object()) {
    for (const auto& [k, v] : run["parameters"].items()) {
      if (v.is_null()) continue;  // an optional parameter left out
      r->argv.push_back("--" + k);
      r->argv.push_back(v.is_string() ? v.get<std::string>() : dump(v));
    }
  }
  r->env["BATON_FLOW_RUN_ID"] = r->id;
  r->env["BATON_FLOW_RUN_COUNT"] = std::to_string(run.value("run_count", 1));
  r->env["BATON_API_URL"] = options_.http.base_url;
  if (!options_.http.api_key.empty()) r->env["BATON_API_KEY"] = options_.http.api_key;
  {
    std::lock_guard lock(mutex_);
    runs_.push_back(r);
    r->child = std::make_unique<ChildProcess>(r->argv, r->env);
    r->thread = std::thread([this, r] { supervise(r); });
  }
}

void Worker::supervise(std::shared_ptr<Run> run) {
  client::HttpClient http(options_.http);
  int exit_code = -1;
  int term_signal = 0;
  std::string message;
  if (!run->child->ok()) {
    exit_code = 127;
    message = run->child->error();
    say(fmt::format("worker {}: run {}: {}", options_.name, run->id, message));
    run->pending.push_back({{"kind", "log"}, {"flow_run", run->id}, {"level", 40}, {"at_us", now_us()},
                            {"message", "Worker " + options_.name + ": " + message}});
  } else {
    say(fmt::format("worker {}: run {} started (pid {}): {}", options_.name, run->id, run->child->pid(),
                    fmt::join(run->argv, " ")));
    std::vector<std::string> lines;
    for (bool open = true; open;) {
      lines.clear();
      open = run->child->read_lines(lines, 200);
      for (auto& l : lines) {
        run->pending.push_back(
            {{"kind", "log"}, {"flow_run", run->id}, {"level", 20}, {"at_us", now_us()}, {"message", std::move(l)}});
      }
      if (!run->pending.empty() &&
          (run->pending.size() >= 500 || Clock::now() - run->last_post > std::chrono::milliseconds(500))) {
        post_logs(*run, http, false);
      }
      std::lock_guard lock(run->mutex);
      if (run->terminated_at && !run->killed && Clock::now() - *run->terminated_at > options_.cancel_grace) {
        run->killed = true;
        run->child->signal(SIGKILL);
      }
    }
    run->child->wait(exit_code, term_signal);
    if (term_signal != 0) {
      message = fmt::format("{} ended by signal {}", run->argv[0], term_signal);
    } else if (exit_code == 127) {
      message = fmt::format("{} exited with 127 (command not found?)", run->argv[0]);
    } else {
      message = fmt::format("{} exited with {}", run->argv[0], exit_code);
    }
    {
      std::lock_guard lock(run->mutex);
      if (!run->why_stopped.empty()) message += " (" + run->why_stopped + ")";
    }
    say(fmt::format("worker {}: run {}: {}", options_.name, run->id, message));
  }
  post_logs(*run, http, true);
  deliver_spools(http);
  report_exit(*run, http, exit_code, term_signal, message);
  run->finished = true;
  changed_.notify_all();
}

void Worker::post_logs(Run& run, client::HttpClient& http, bool final) {
  auto backoff = std::chrono::milliseconds(100);
  const auto give_up = Clock::now() + options_.stop_grace;
  while (!run.pending.empty()) {
    json batch{{"source", run.source}, {"first_seq", run.next_seq}, {"events", run.pending}};
    auto r = http.post_json("/events", dump(batch), run.pending.size() > 20);
    run.last_post = Clock::now();
    if (r.ok() || (!r.unavailable() && !r.unauthorized())) {
      // Accepted, or refused for good (a bad batch would be refused forever).
      if (!r.ok()) say(fmt::format("worker {}: logs of run {} refused: {}", options_.name, run.id, r.describe()));
      run.next_seq += static_cast<std::int64_t>(run.pending.size());
      run.pending = json::array();
      return;
    }
    // The server is away: keep the lines (they go with the next post), unless
    // this is the last post, which is retried until it lands.
    if (!final) return;
    if (stopping() && Clock::now() > give_up) {
      say(fmt::format("worker {}: {} log lines of run {} not delivered: {}", options_.name, run.pending.size(),
                      run.id, r.describe()));
      return;
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5'000));
  }
}

void Worker::deliver_spools(client::HttpClient& http) {
  if (options_.spool_dir.empty()) return;
  const auto give_up = Clock::now() + options_.stop_grace;
  for (const auto& path : client::SpoolFile::list(options_.spool_dir)) {
    auto claimed = client::SpoolFile::claim(path);
    if (!claimed.ok() || *claimed == nullptr) continue;  // a live engine's own, or taken by another
    auto& spool = **claimed;
    auto backoff = std::chrono::milliseconds(100);
    for (;;) {
      auto record = spool.peek();
      if (!record.ok() || !*record) break;
      auto r = http.post_json("/events", **record, /*gzip=*/true);
      if (r.ok() || (!r.unavailable() && !r.unauthorized())) {
        spool.advance();  // applied (idempotently), or refused for good
        continue;
      }
      if (stopping() && Clock::now() > give_up) return;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5'000));
    }
    if (spool.drained()) spool.remove();
  }
}

void Worker::report_exit(Run& run, client::HttpClient& http, int exit_code, int term_signal,
                         const std::string& message) {
  json body{{"worker_id", id_}, {"message", message}};
  body["exit_code"] = term_signal == 0 && exit_code >= 0 ? json(exit_code) : json(nullptr);
  body["signal"] = term_signal != 0 ? json(term_signal) : json(nullptr);
  auto backoff = std::chrono::milliseconds(100);
  const auto give_up = Clock::now() + options_.stop_grace;
  for (;;) {
    auto r = http.post_json("/flow-runs/" + run.id + "/exit", dump(body));
    if (r.ok()) return;
    if (!r.unavailable()) {
      // 404/409: the run is gone or no longer ours (its lease was lost); nothing to retry.
      say(fmt::format("worker {}: exit of run {} not recorded: {}", options_.name, run.id, r.describe()));
      return;
    }
    if (stopping() && Clock::now() > give_up) {
      say(fmt::format("worker {}: exit of run {} not delivered: {}", options_.name, run.id, r.describe()));
      return;
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5'000));
  }
}

void Worker::heartbeat_loop() {
  client::HttpClient http(options_.http);
  const double lease_seconds = 3.0 * static_cast<double>(options_.heartbeat_interval.count()) / 1000.0;
  while (!done_.load()) {
    json ids = json::array();
    auto runs = running_runs();
    for (const auto& r : runs) {
      if (!r->finished) ids.push_back(r->id);
    }
    json body{{"worker_id", id_},       {"work_pool", options_.pool}, {"worker_name", options_.name},
              {"hostname", hostname_},  {"pid", ::getpid()},          {"runs", ids},
              {"lease_seconds", lease_seconds}};
    auto r = http.post_json("/workers/heartbeat", dump(body));
    if (r.ok()) {
      auto reply = json::parse(r.body, nullptr, false);
      auto stop_runs = [&](const char* field, const char* why) {
        if (reply.is_discarded() || !reply.contains(field) || !reply[field].is_array()) return;
        for (const auto& id : reply[field]) {
          for (const auto& run : runs) {
            if (!id.is_string() || run->id != id.get<std::string>()) continue;
            std::lock_guard lock(run->mutex);
            if (run->terminated_at || run->finished || !run->child || !run->child->ok()) continue;
            run->why_stopped = why;
            run->terminated_at = Clock::now();
            run->child->signal(SIGTERM);
            say(fmt::format("worker {}: run {}: {}; sent SIGTERM", options_.name, run->id, why));
          }
        }
      };
      stop_runs("lost", "the worker lost its lease");
      stop_runs("cancel", "cancellation was requested");
    }
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, options_.heartbeat_interval, [this] { return done_.load(); });
  }
}

}  // namespace baton::worker

#include "server/api/stream_hub.h"

#include "server/api/json_codec.h"

#include <algorithm>

namespace baton::server::api {

namespace {

constexpr std::size_t kMaxQueued = 10000;  // a stream that does not read loses the oldest events

std::string sse(std::string_view event, const nlohmann::json& data) {
  std::string out = "event: ";
  out += event;
  out += "\ndata: ";
  out += data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += "\n\n";
  return out;
}

}  // namespace

std::optional<std::string> StreamSubscriber::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return closed_ || !queue_.empty(); });
  if (closed_) return std::nullopt;
  std::string out;
  if (dropped_ > 0) {
    out += ": " + std::to_string(dropped_) + " events dropped (the stream read too slowly)\n\n";
    dropped_ = 0;
  }
  while (!queue_.empty()) {
    out += queue_.front();
    queue_.pop_front();
  }
  return out;
}

void StreamSubscriber::push(std::string message) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(std::move(message));
  }
  cv_.notify_one();
}

void StreamSubscriber::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

std::shared_ptr<StreamSubscriber> StreamHub::subscribe(std::optional<RunId> flow_run) {
  auto s = std::make_shared<StreamSubscriber>(flow_run);
  std::lock_guard lock(mu_);
  if (closed_) {
    s->close();
  } else {
    subs_.push_back(s);
  }
  return s;
}

void StreamHub::unsubscribe(const std::shared_ptr<StreamSubscriber>& s) {
  std::lock_guard lock(mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), s), subs_.end());
}

bool StreamHub::wants_details() const {
  std::lock_guard lock(mu_);
  return std::any_of(subs_.begin(), subs_.end(), [](const auto& s) { return s->flow_run().has_value(); });
}

std::size_t StreamHub::subscribers() const {
  std::lock_guard lock(mu_);
  return subs_.size();
}

void StreamHub::publish(const db::IngestOutcome& outcome, db::ServerDatabase& db) {
  std::vector<std::shared_ptr<StreamSubscriber>> subs;
  {
    std::lock_guard lock(mu_);
    subs = subs_;
  }
  if (subs.empty()) return;
  publish_flow_runs(outcome.flow_runs_touched, db);
  for (const auto& s : subs) {
    if (!s->flow_run()) continue;
    const RunId& flow = *s->flow_run();
    for (const auto& t : outcome.task_runs_touched) {
      if (t.flow_run == flow || t.flow_run.empty()) {
        // Updates of runs created earlier carry no flow run id: sent to every
        // follower, who keeps the ones it knows.
        s->push(sse("task_run", to_json(t)));
      }
    }
    for (const auto& l : outcome.logs) {
      if (l.flow_run == flow) s->push(sse("log", to_json(l)));
    }
  }
}

void StreamHub::publish_flow_runs(const std::vector<RunId>& ids, db::ServerDatabase& db) {
  std::vector<std::shared_ptr<StreamSubscriber>> subs;
  {
    std::lock_guard lock(mu_);
    subs = subs_;
  }
  if (subs.empty() || ids.empty()) return;
  for (const RunId& id : ids) {
    std::string message;
    try {
      message = sse("flow_run", to_json(db.read_flow_run_summary(id)));
    } catch (const std::exception&) {
      continue;  // deleted meanwhile, or the database is away: the next change is sent
    }
    for (const auto& s : subs) {
      if (!s->flow_run() || *s->flow_run() == id) s->push(message);
    }
  }
}

void StreamHub::close() {
  std::vector<std::shared_ptr<StreamSubscriber>> subs;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    subs.swap(subs_);
  }
  for (const auto& s : subs) s->close();
}

}  // namespace baton::server::api

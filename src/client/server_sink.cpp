#include "client/server_sink.h"

#include "engine/settings.h"
#include "store/event_json.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace baton::client {

namespace {

constexpr auto kFirstRetry = std::chrono::milliseconds(200);
constexpr auto kLongestRetry = std::chrono::milliseconds(5'000);

}  // namespace

ServerSink::Options ServerSink::options_from_settings() {
  Options o;
  o.http = HttpClient::options_from_settings();
  o.spool_dir = settings::spool_dir();
  o.heartbeat_interval = settings::heartbeat_interval();
  return o;
}

ServerSink::ServerSink(Options options)
    : options_(std::move(options)), http_(options_.http), source_(RunId::random().str()) {
  for (const auto& path : SpoolFile::list(options_.spool_dir)) {
    auto claimed = SpoolFile::claim(path);
    if (!claimed.ok()) {
      std::fprintf(stderr, "baton: warning: %s\n", claimed.status().message().c_str());
      continue;
    }
    if (*claimed == nullptr) continue;  // a live process's spool
    if ((*claimed)->drained()) {
      (*claimed)->remove();  // empty: its process ended before writing a record
      continue;
    }
    claimed_.push_back(std::move(claimed).value());
  }
}

ServerSink::~ServerSink() = default;

std::filesystem::path ServerSink::spool_path() const { return options_.spool_dir / (source_ + ".spool"); }

void ServerSink::write(std::span<const engine::Event> batch) {
  const std::size_t step = std::max<std::size_t>(1, options_.max_events_per_request);
  for (std::size_t i = 0; i < batch.size(); i += step) {
    const auto part = batch.subspan(i, std::min(step, batch.size() - i));
    // Numbered once: whatever happens to the body later, these events keep their
    // sequence numbers, so no retry can make the server record them twice.
    Pending body{store::encode_ingest_batch(source_, next_seq_, part), part.size()};
    next_seq_ += part.size();
    drain();  // what waits goes first; a no-op while backing off
    if (!has_backlog() && !backing_off() && post_events(body.json)) continue;
    held_.push_back(std::move(body));
    spool_held();
  }
}

bool ServerSink::spool_held() {
  while (!held_.empty()) {
    if (own_spool_ == nullptr) {
      auto created = SpoolFile::create(options_.spool_dir, source_);
      if (!created.ok()) return report_spool_error(created.status());
      own_spool_ = std::move(created).value();
    }
    if (Status s = own_spool_->append(held_.front().json); !s.ok()) return report_spool_error(s);
    own_record_events_.push_back(held_.front().events);
    held_.pop_front();
    spool_error_reported_ = false;
  }
  return true;
}

bool ServerSink::report_spool_error(const Status& s) {
  if (!spool_error_reported_) {
    std::fprintf(stderr, "baton: error: %s; keeping the events in memory until the spool or the server takes them\n",
                 s.message().c_str());
    spool_error_reported_ = true;
  }
  return false;
}

bool ServerSink::post_events(const std::string& body) {
  HttpResponse r = http_.post_json("/events", body, /*gzip=*/true);
  if (r.ok()) {
    collect_cancellations(r.body);
    on_success();
    return true;
  }
  // A batch the server says it will never take (malformed, too large): sending
  // it again would block every batch behind it, so it is set aside for a person.
  if (r.status == 400 || r.status == 413 || r.status == 422) {
    set_aside(body, r);
    return true;
  }
  on_failure(r);
  return false;
}

void ServerSink::set_aside(const std::string& body, const HttpResponse& r) {
  const auto dir = options_.spool_dir / "rejected";
  const auto path = dir / (source_ + ".jsonl");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  bool kept = false;
  if (std::FILE* f = std::fopen(path.c_str(), "ab")) {
    kept = std::fwrite(body.data(), 1, body.size(), f) == body.size() && std::fputc('\n', f) != EOF;
    kept = std::fflush(f) == 0 && fsync(fileno(f)) == 0 && kept;
    std::fclose(f);
  }
  const std::string fate = kept ? "it is kept in " + path.string() + " and not sent again"
                                : "it could not be kept in " + path.string() + " and is lost";
  std::fprintf(stderr, "baton: error: the server refused a batch of events (%s); %s\n", r.describe().c_str(),
               fate.c_str());
}

void ServerSink::drain(bool force) {
  if (!has_backlog() || (!force && backing_off())) return;
  while (!claimed_.empty() || own_spool_ != nullptr) {
    SpoolFile& file = !claimed_.empty() ? *claimed_.front() : *own_spool_;
    while (true) {
      auto record = file.peek();
      if (!record.ok()) {
        std::fprintf(stderr, "baton: warning: %s; it stays for a later engine start\n",
                     record.status().message().c_str());
        if (&file == own_spool_.get()) return;  // own spool unreadable: keep trying later
        claimed_.pop_front();                   // releases it for another process
        break;
      }
      if (!record->has_value()) {
        // Everything in the file was sent: it is no longer needed.
        file.remove();
        if (!claimed_.empty() && &file == claimed_.front().get()) {
          claimed_.pop_front();
        } else {
          own_spool_.reset();
          own_record_events_.clear();
        }
        break;
      }
      if (!post_events(**record)) return;
      file.advance();
      if (&file == own_spool_.get() && !own_record_events_.empty()) own_record_events_.pop_front();
      ++caught_up_records_;
    }
  }
  // Bodies the spool could not take (a full disk) come last: they are the newest.
  while (!held_.empty()) {
    if (!post_events(held_.front().json)) return;
    held_.pop_front();
    ++caught_up_records_;
  }
  if (caught_up_records_ > 0) {
    std::fprintf(stderr, "baton: the server at %s takes events again; sent %llu spooled batches\n",
                 http_.base_url().c_str(), static_cast<unsigned long long>(caught_up_records_));
    caught_up_records_ = 0;
  }
}

void ServerSink::on_failure(const HttpResponse& r) {
  const auto now = std::chrono::steady_clock::now();
  retry_delay_ = retry_delay_.count() == 0 ? kFirstRetry : std::min(retry_delay_ * 2, kLongestRetry);
  retry_at_ = now + retry_delay_;
  failed_at_ = now;
  if (outage_reported_) return;
  outage_reported_ = true;
  const bool transient = r.unavailable();
  std::fprintf(stderr, "baton: %s: %s; events are kept in %s and sent when the server takes them\n",
               transient ? "warning" : "error", r.describe().c_str(), spool_path().c_str());
}

void ServerSink::on_success() {
  retry_delay_ = {};
  retry_at_ = {};
  outage_reported_ = false;
}

void ServerSink::collect_cancellations(const std::string& reply_body) {
  auto j = nlohmann::json::parse(reply_body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  auto it = j.find("cancel_requested");
  if (it == j.end() || !it->is_array()) return;
  for (const auto& id : *it) {
    if (!id.is_string()) continue;
    if (auto parsed = RunId::parse(id.get<std::string>())) {
      if (std::find(cancel_requested_.begin(), cancel_requested_.end(), *parsed) == cancel_requested_.end()) {
        cancel_requested_.push_back(*parsed);
      }
    }
  }
}

std::vector<RunId> ServerSink::heartbeat(std::span<const RunId> active_flow_runs) {
  drain();
  if (!active_flow_runs.empty() && !backing_off()) {
    nlohmann::json body = {{"flow_runs", nlohmann::json::array()},
                           {"interval_seconds", static_cast<double>(options_.heartbeat_interval.count()) / 1000.0}};
    for (const RunId& id : active_flow_runs) body["flow_runs"].push_back(id.str());
    HttpResponse r = http_.post_json("/heartbeat", body.dump());
    if (r.ok()) {
      collect_cancellations(r.body);
      if (!has_backlog()) on_success();
    } else {
      on_failure(r);
    }
  }
  std::vector<RunId> out;
  out.swap(cancel_requested_);
  return out;
}

void ServerSink::finish() {
  // One last try unless the server failed a moment ago (a dead host would cost
  // a connect timeout at every exit).
  if (has_backlog() && std::chrono::steady_clock::now() - failed_at_ > std::chrono::milliseconds(500)) drain(true);
  if (own_spool_ != nullptr) {
    std::uint64_t events = 0;
    for (std::size_t n : own_record_events_) events += n;
    std::fprintf(stderr,
                 "baton: %llu events were not sent to the server at %s; they are kept in %s and the next engine start "
                 "with BATON_API_URL set sends them\n",
                 static_cast<unsigned long long>(events), http_.base_url().c_str(),
                 own_spool_->path().c_str());
  }
  for (const auto& file : claimed_) {
    std::fprintf(stderr, "baton: %llu batches of an earlier process are still to be sent from %s\n",
                 static_cast<unsigned long long>(file->unread_records()), file->path().c_str());
  }
  if (!held_.empty()) {
    std::uint64_t events = 0;
    for (const auto& h : held_) events += h.events;
    std::fprintf(stderr,
                 "baton: error: %llu events reached neither the server at %s nor the spool in %s; the history of "
                 "this process's last runs is incomplete there\n",
                 static_cast<unsigned long long>(events), http_.base_url().c_str(), options_.spool_dir.c_str());
  }
  claimed_.clear();   // releases them for the next start
  own_spool_.reset();
}

}  // namespace baton::client

// Tag concurrency slots as leases on the server.
#include "client/concurrency_slots.h"

#include <nlohmann/json.hpp>

namespace baton::client {

namespace {
constexpr double kLeaseSeconds = 30;
constexpr auto kRenewEvery = std::chrono::seconds(10);
}  // namespace

ServerConcurrencySlots::ServerConcurrencySlots(HttpClient::Options options) : options_(std::move(options)) {}

ServerConcurrencySlots::~ServerConcurrencySlots() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

HttpResponse ServerConcurrencySlots::call(const std::string& path, const std::string& body,
                                          std::chrono::milliseconds timeout) {
  // One client per thread (a client serves one thread at a time); task threads are few and long-lived.
  thread_local std::unique_ptr<HttpClient> http;
  if (!http || http->base_url() != options_.base_url) http = std::make_unique<HttpClient>(options_);
  http->set_timeout(timeout);
  return http->post_json(path, body);
}

engine::ConcurrencySlots::Grant ServerConcurrencySlots::acquire(const std::vector<std::string>& tags,
                                                                const std::string& holder,
                                                                std::chrono::milliseconds wait) {
  nlohmann::json body{{"holder", holder}, {"tags", tags}, {"lease_seconds", kLeaseSeconds}, {"wait_ms", wait.count()}};
  auto r = call("/concurrency-limits/acquire", body.dump(), wait + options_.timeout);
  Grant g;
  if (!r.ok()) {
    g.unavailable = true;
    g.error = r.describe();
    return g;
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    g.unavailable = true;
    g.error = r.url + ": the reply is not JSON";
    return g;
  }
  g.granted = j.value("granted", false);
  if (j.contains("lease_id") && j["lease_id"].is_string()) g.lease_id = j["lease_id"].get<std::string>();
  if (j.contains("blocked_by") && j["blocked_by"].is_string()) g.blocked_by = j["blocked_by"].get<std::string>();
  if (g.granted && !g.lease_id.empty()) {
    std::lock_guard lock(mutex_);
    held_.insert(g.lease_id);
    if (!renewer_.joinable()) renewer_ = std::thread([this] { renew_loop(); });
  }
  return g;
}

void ServerConcurrencySlots::release(const std::string& lease_id) {
  {
    std::lock_guard lock(mutex_);
    held_.erase(lease_id);
  }
  // Best effort: a release that does not land frees the slot when the lease expires.
  call("/concurrency-limits/release", nlohmann::json{{"lease_id", lease_id}}.dump(), options_.timeout);
}

void ServerConcurrencySlots::renew_loop() {
  HttpClient http(options_);
  std::unique_lock lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, kRenewEvery, [this] { return stop_; });
    if (stop_ || held_.empty()) continue;
    nlohmann::json body{{"lease_ids", held_}, {"lease_seconds", kLeaseSeconds}};
    lock.unlock();
    http.post_json("/concurrency-limits/renew", body.dump());
    lock.lock();
  }
}

}  // namespace baton::client

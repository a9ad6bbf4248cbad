#pragma once
// The server's tag concurrency limits for the engine: POST
// /concurrency-limits/acquire (a long poll), a background thread renewing every
// held lease (leases of 30 s, renewed every 10 s, so a dead process's slots
// free themselves), and release at the end of each task run.
#include "client/http_client.h"
#include "engine/concurrency_slots.h"

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace baton::client {

class ServerConcurrencySlots : public engine::ConcurrencySlots {
 public:
  explicit ServerConcurrencySlots(HttpClient::Options options);
  ~ServerConcurrencySlots() override;

  Grant acquire(const std::vector<std::string>& tags, const std::string& holder,
                std::chrono::milliseconds wait) override;
  void release(const std::string& lease_id) override;

 private:
  HttpResponse call(const std::string& path, const std::string& body, std::chrono::milliseconds timeout);
  void renew_loop();

  HttpClient::Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::set<std::string> held_;
  bool stop_ = false;
  std::thread renewer_;  // started with the first lease
};

}  // namespace baton::client

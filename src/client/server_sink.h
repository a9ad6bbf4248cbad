#pragma once
// The engine's run-store sink when BATON_API_URL is set: each batch the engine's
// writer hands over becomes one POST /api/events (gzip-compressed JSON, the codec
// of store/event_json.h), numbered per source so the server applies each event
// once however often it is sent; heartbeats go to POST /api/heartbeat and bring
// back the cancellation requests made through the server.
//
// Nothing is lost to an outage: while the server cannot be reached (refused,
// timed out, 502/503/504) or refuses the key, batches go to this process's spool
// file ($BATON_HOME/spool/<source>.spool, fsynced) and are sent in order, before
// any newer batch, when it answers again (retried with backoff from the writer's
// heartbeat). A process that ends with events still spooled says so on stderr,
// with the spool's path; the next engine start (any program) claims spools no
// live process holds and sends them. The bounded in-memory queue in front of this
// sink is the engine's event stream: while a request is in flight, events gather
// there, and producers wait when it is full (backpressure).
//
// write() never throws: a spool that cannot be written (a full disk) is reported
// once and the bodies are held in memory, in order, until the spool or the
// server takes them; each keeps the sequence numbers it was given, so nothing
// is ever recorded twice.
//
// Thread safety: the engine's writer thread only, like every RunStoreSink.
#include "client/http_client.h"
#include "client/spool.h"
#include "engine/run_store_sink.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace baton::client {

class ServerSink : public engine::RunStoreSink {
 public:
  struct Options {
    HttpClient::Options http;
    std::filesystem::path spool_dir;
    std::chrono::milliseconds heartbeat_interval{5'000};  // told to the server for its crash detection
    std::size_t max_events_per_request = 10'000;          // a larger batch is split (the API allows 100,000)
  };
  // From the settings (BATON_API_URL, BATON_API_KEY, BATON_HOME, ...).
  static Options options_from_settings();

  // Claims the spools left by ended processes (sent from the writer thread).
  explicit ServerSink(Options options);
  ~ServerSink() override;

  void write(std::span<const engine::Event> batch) override;
  std::vector<RunId> heartbeat(std::span<const RunId> active_flow_runs) override;
  void finish() override;

  // This process's id towards the server, and its spool's file name.
  const std::string& source() const { return source_; }
  std::filesystem::path spool_path() const;

 private:
  // A request body not yet acknowledged, and how many events it carries.
  struct Pending {
    std::string json;
    std::size_t events = 0;
  };
  // Moves held_ into the spool, oldest first; false (reported once) if it cannot.
  bool spool_held();
  bool report_spool_error(const Status& s);
  // Sends spooled records in order while the server takes them (not while backing off).
  void drain(bool force = false);
  // True when the body is done with: acknowledged, or refused for good (400,
  // 413, 422: set aside, see set_aside); false when it must be sent again later.
  bool post_events(const std::string& body);
  // Appends a refused body to $BATON_HOME/spool/rejected/<source>.jsonl (one per
  // line, fsynced) and says so on stderr with the server's reason.
  void set_aside(const std::string& body, const HttpResponse& r);
  void on_failure(const HttpResponse& r);
  void on_success();
  bool backing_off() const { return std::chrono::steady_clock::now() < retry_at_; }
  bool has_backlog() const { return !claimed_.empty() || own_spool_ != nullptr || !held_.empty(); }
  void collect_cancellations(const std::string& reply_body);

  Options options_;
  HttpClient http_;
  std::string source_;
  std::uint64_t next_seq_ = 1;

  std::deque<std::unique_ptr<SpoolFile>> claimed_;  // spools of ended processes, sent first
  std::unique_ptr<SpoolFile> own_spool_;            // while this process has records waiting
  std::deque<std::size_t> own_record_events_;       // events per unsent record of own_spool_, oldest first
  // Bodies neither the server nor the spool took (the spool's disk is full),
  // newest last; sent after the spool's records. Unbounded: they are the only copy.
  std::deque<Pending> held_;
  bool spool_error_reported_ = false;

  // The outage: when to try again, and whether it was reported.
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::steady_clock::time_point failed_at_{};
  std::chrono::milliseconds retry_delay_{0};
  bool outage_reported_ = false;
  std::uint64_t caught_up_records_ = 0;  // spooled records sent since the outage began

  std::vector<RunId> cancel_requested_;  // from ingest replies, handed out at the next heartbeat
};

}  // namespace baton::client

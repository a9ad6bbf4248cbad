#pragma once
// The baton server: the HTTP API of openapi.json over one database, the static
// web UI, and the periodic services (crash detection, retention).
//
// Lifecycle: create() validates the options and opens (and migrates) the
// database; bind() takes the port; run() serves until stop() (from any thread
// or a signal-handling thread). stop() ends live streams, lets requests in
// flight finish (an ingest answered 200 is committed), then returns from run().
#include "util/status.h"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 4200;  // 0 picks a free port
  std::string database;  // a SQLite path or postgresql://...
  // Required when `host` is not a loopback address.
  std::optional<std::string> api_key;
  // Final flow runs older than this are deleted (with their task runs and logs).
  std::optional<std::chrono::seconds> retention;
  std::chrono::milliseconds retention_every{std::chrono::hours(1)};
  // Where the built web UI is; empty: BATON_UI_DIR, the installed
  // share/baton/ui, or the build tree's ui/dist beside the baton binary.
  std::optional<std::filesystem::path> ui_dir;
  std::size_t max_body_bytes = 64u << 20;
  // How often flow runs are checked for heartbeat silence, and the interval
  // assumed for runs that never sent a heartbeat.
  std::chrono::milliseconds crash_check_every{std::chrono::seconds(5)};
  std::chrono::milliseconds default_heartbeat{std::chrono::seconds(10)};
  // The scheduler: how often runs ahead are created for deployments' schedules,
  // and how often Late runs and expired worker leases are looked for.
  std::chrono::milliseconds schedule_every{std::chrono::seconds(10)};
  std::chrono::milliseconds lease_check_every{std::chrono::seconds(1)};
  int threads = 64;  // HTTP worker threads (live streams hold one each)
  int max_connections = 16;  // database connections
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& host);

// "30d", "12h", "90m", "45s": a retention period. Errors name the text.
Result<std::chrono::seconds> parse_retention(std::string_view text);

class Server {
 public:
  // Errors: an off-loopback host without a key, a database that cannot be
  // opened or migrated, a newer schema.
  static Result<std::unique_ptr<Server>> create(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the port; returns the port bound (options.port, or the free one).
  Result<int> bind();
  // Serves until stop(). Starts and stops the periodic services.
  void run();
  void stop();
  // "http://HOST:PORT/api"
  std::string api_url() const;
  // The routes the HTTP layer registered ("GET /flow-runs/{id}"), for the test
  // that compares them with openapi.json.
  std::vector<std::string> registered_routes() const;
  // The UI directory served at /, or empty when the UI is not built.
  std::filesystem::path ui_dir() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The OpenAPI document compiled into the server (src/server/openapi.json).
std::string_view openapi_document();

}  // namespace baton::server

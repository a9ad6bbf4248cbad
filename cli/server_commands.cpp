// `baton server start | database upgrade`: the team server (src/server).
#include "commands.h"
#include "engine/settings.h"
#include "server/db/server_database.h"
#include "server/server.h"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <pthread.h>
#include <sstream>
#include <thread>

namespace baton::cli {
namespace {

// BATON_DATABASE: a SQLite path or a postgresql:// URL; default $BATON_HOME/server.db.
std::string server_database(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* env = std::getenv("BATON_DATABASE"); env && *env) return env;
  return (settings::home() / "server.db").string();
}

std::optional<std::string> api_key(const std::string& key_file) {
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    if (!in) throw CommandError(fmt::format("--api-key-file: cannot read {}", key_file), kExitUsage);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string key = ss.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
    if (key.empty()) throw CommandError(fmt::format("--api-key-file: {} is empty", key_file), kExitUsage);
    return key;
  }
  if (const char* env = std::getenv("BATON_API_KEY"); env && *env) return std::string(env);
  return std::nullopt;
}

struct StartArgs {
  std::string host = "127.0.0.1";
  int port = 4200;
  std::string database;
  std::string api_key_file;
  std::string retention;
  std::string ui_dir;
  double crash_check_seconds = 5;
  double max_body_mb = 64;
};

void start(const StartArgs& a) {
  server::ServerOptions o;
  o.host = a.host;
  o.port = a.port;
  o.database = server_database(a.database);
  o.api_key = api_key(a.api_key_file);
  if (!a.retention.empty()) {
    auto r = server::parse_retention(a.retention);
    if (!r.ok()) throw CommandError(r.status().message(), kExitUsage);
    o.retention = *r;
  }
  if (!a.ui_dir.empty()) o.ui_dir = a.ui_dir;
  o.crash_check_every = std::chrono::milliseconds(static_cast<std::int64_t>(a.crash_check_seconds * 1000));
  o.default_heartbeat = settings::heartbeat_interval();
  o.max_body_bytes = static_cast<std::size_t>(a.max_body_mb * 1024 * 1024);

  // SIGINT/SIGTERM go to one thread that stops the server: blocked here, before
  // any thread starts, so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto created = server::Server::create(std::move(o));
  if (!created.ok()) throw CommandError(created.status().message());
  auto& srv = **created;
  auto port = srv.bind();
  if (!port.ok()) throw CommandError(port.status().message());

  std::thread signals([&srv, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    srv.stop();
  });
  std::printf("baton server listening on %s\n", srv.api_url().c_str());
  if (srv.ui_dir().empty()) {
    std::printf("baton server: the web UI is not built (see --ui-dir); the API is served\n");
  } else {
    std::printf("baton server: web UI from %s\n", srv.ui_dir().c_str());
  }
  std::fflush(stdout);
  srv.run();
  // run() returns after stop(); if it returned on its own, wake the signal thread.
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  created->reset();  // finishes queued writes and closes the database
  std::printf("baton server stopped\n");
}

}  // namespace
}  // namespace baton::cli

void add_server_commands(CLI::App& app) {
  using namespace baton::cli;
  auto* server = app.add_subcommand("server", "Run the team server: a REST API (and web UI) over the run history of "
                                              "every engine that reports to it.");
  server->require_subcommand(1);

  auto args = std::make_shared<StartArgs>();
  auto* start_cmd = server->add_subcommand(
      "start", "Run the server in the foreground until SIGINT/SIGTERM. Prints one line "
               "'baton server listening on http://HOST:PORT/api'.");
  start_cmd->add_option("--host", args->host, "Address to listen on; off loopback an API key is required")
      ->capture_default_str();
  start_cmd->add_option("--port", args->port, "Port (0 picks a free one)")->capture_default_str()->check(CLI::Range(0, 65535));
  start_cmd->add_option("--database", args->database,
                        "SQLite path or postgresql://user@host:5432/db (default: BATON_DATABASE, else "
                        "$BATON_HOME/server.db)");
  start_cmd->add_option("--api-key-file", args->api_key_file,
                        "File holding the API key clients must send (default: BATON_API_KEY)");
  start_cmd->add_option("--retention", args->retention, "Delete runs that ended longer ago than this (30d, 12h, 90m)");
  start_cmd->add_option("--ui-dir", args->ui_dir,
                        "Directory of the built web UI (default: BATON_UI_DIR, the installed share/baton/ui, or the build tree's ui/dist)");
  start_cmd->add_option("--crash-check-seconds", args->crash_check_seconds,
                        "How often flow runs are checked for 3 missed heartbeats")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 3600.0));
  start_cmd->add_option("--max-body-mb", args->max_body_mb, "Largest request body accepted (413 above)")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 4096.0));
  start_cmd->callback([args] { start(*args); });

  auto* database = server->add_subcommand("database", "The server's database.");
  database->require_subcommand(1);
  auto db_option = std::make_shared<std::string>();
  auto* upgrade = database->add_subcommand("upgrade", "Apply the schema migrations (the server also does at start).");
  upgrade->add_option("--database", *db_option, "SQLite path or postgresql:// URL (default: BATON_DATABASE, else "
                                                "$BATON_HOME/server.db)");
  upgrade->callback([db_option] {
    const std::string target = server_database(*db_option);
    try {
      const int version = baton::server::db::upgrade_database(target);
      std::printf("%s: schema version %d\n", target.c_str(), version);
    } catch (const std::exception& e) {
      throw CommandError(fmt::format("cannot upgrade {}: {}", target, e.what()));
    }
  });
}

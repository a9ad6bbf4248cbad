#pragma once
// A real baton server for a test: `baton server start --port 0` (or a given port,
// to restart it where engines expect it) in the background, with its own home and
// database, its address read from the line it prints. Stopped (SIGTERM, then
// SIGKILL if it lingers) with the object.
#include "testutil/process.h"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace baton::testing {

class ServerProcess {
 public:
  // `home` holds the server's database (server.db) and its log file.
  explicit ServerProcess(std::string home, std::map<std::string, std::string> env = {}, int port = 0);
  ~ServerProcess();

  // http://127.0.0.1:PORT/api, or "" if it did not start (see log()).
  const std::string& url() const { return url_; }
  int port() const { return port_; }
  std::string log() const;
  void kill(int signal);  // and waits for it
  void stop() { kill(15); }

 private:
  std::string home_;
  std::string log_path_;
  std::unique_ptr<Background> process_;
  std::string url_;
  int port_ = 0;
};

// GET a full API URL (http://.../api/flow-runs) as JSON; a failure fails the test.
nlohmann::json api_get(const std::string& url, const std::string& key = "");

}  // namespace baton::testing

#include "server_fixture.h"

#include "client/http_client.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>

namespace baton::testing {

using namespace std::chrono_literals;

ServerProcess::ServerProcess(std::string home, std::map<std::string, std::string> env, int port)
    : home_(std::move(home)), log_path_(home_ + "/server.log") {
  env.emplace("BATON_HOME", home_);
  env.erase("BATON_API_URL");
  // A shell only to send the server's output to a file we can read the address from.
  const std::string command = std::string("exec '") + BATON_CLI_PATH + "' server start --host 127.0.0.1 --port " +
                              std::to_string(port) + " >>'" + log_path_ + "' 2>&1";
  process_ = std::make_unique<Background>(std::vector<std::string>{"/bin/sh", "-c", command}, env);
  const std::regex listening(R"(listening on (http://[0-9.]+:([0-9]+)/api))");
  eventually(
      [&] {
        std::smatch m;
        const std::string text = log();
        if (std::regex_search(text, m, listening)) {
          url_ = m[1];
          port_ = std::stoi(m[2]);
          return true;
        }
        return false;
      },
      30s);
}

ServerProcess::~ServerProcess() {
  if (process_) kill(SIGTERM);
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void ServerProcess::kill(int signal) {
  if (!process_) return;
  process_->kill(signal);
  process_->wait();
  process_.reset();
}

nlohmann::json api_get(const std::string& url, const std::string& key) {
  const auto api = url.find("/api");
  client::HttpClient http({url.substr(0, api + 4), key, std::chrono::seconds(20), std::chrono::seconds(5)});
  client::HttpResponse r = http.get(url.substr(api + 4));
  EXPECT_TRUE(r.ok()) << r.describe();
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << url << " answered: " << r.body;
  return j.is_discarded() ? nlohmann::json() : j;
}

}  // namespace baton::testing

#pragma once
// What the server tests share: a server on a free loopback port over SQLite or
// a fresh PostgreSQL database, an HTTP client, and builders for engine events.
#include "engine/events.h"
#include "server/server.h"
#include "testutil/postgres_cluster.h"
#include "testutil/process.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace baton::server::testing {

enum class Backend { Sqlite, Postgres };
std::string backend_name(const ::testing::TestParamInfo<Backend>& info);

// A Server running in this process on 127.0.0.1, port 0.
class TestServer {
 public:
  explicit TestServer(ServerOptions options);
  ~TestServer();
  int port() const { return port_; }
  Server& server() { return *server_; }
  std::unique_ptr<httplib::Client> client() const;

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// A `baton server start --port 0` process; its port read from the line it prints.
class ServerProcess {
 public:
  ServerProcess(const std::string& database, const std::vector<std::string>& extra_args = {},
                const std::map<std::string, std::string>& env = {});
  int port() const { return port_; }
  std::unique_ptr<httplib::Client> client() const;
  baton::testing::Background& process() { return *process_; }
  std::string output() const;

 private:
  baton::testing::TempDir dir_;
  std::unique_ptr<baton::testing::Background> process_;
  int port_ = 0;
};

// Runs each test against SQLite and PostgreSQL (skipped with a message when
// PostgreSQL is not installed).
class ServerTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  // Options for a server on this test's database.
  ServerOptions options() const;
  std::unique_ptr<TestServer> start(ServerOptions o);
  std::unique_ptr<TestServer> start() { return start(options()); }

  baton::testing::TempDir dir_;
  std::string database_;
  baton::testing::PostgresCluster* postgres_ = nullptr;
};

// Engine events, as an engine would send them.
const std::string* name(const std::string& n);
TimePoint at_us(std::int64_t us);
engine::FlowRunCreated flow_created(RunId id, const std::string& flow, std::int64_t created_us);
engine::TaskRunCreated task_created(RunId id, RunId flow, const std::string& task, std::int64_t created_us);
engine::StateChanged flow_state(RunId id, StateType t, std::int64_t at, std::string message = {});
engine::StateChanged task_state(RunId id, StateType t, std::int64_t at, std::string message = {});

// A flow run with `tasks` task runs, each created, Running, Completed, logging
// one line; the flow run Completed at the end.
std::vector<engine::Event> flow_with_tasks(RunId flow, int tasks, std::int64_t start_us,
                                           const std::string& flow_name = "etl");

// POST /api/events; returns the reply (status and parsed body).
struct Reply {
  int status = 0;
  nlohmann::json body;
};
Reply post_events(httplib::Client& c, const std::string& source, std::uint64_t first_seq,
                  const std::vector<engine::Event>& events);
Reply get(httplib::Client& c, const std::string& path);
// POST /api/events with a ready body, gzip-compressed (Content-Encoding) or not.
Reply reply_of_post_raw(httplib::Client& c, const std::string& body, bool gzip);
Reply post(httplib::Client& c, const std::string& path, const std::string& body);

}  // namespace baton::server::testing

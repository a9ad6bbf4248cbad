#include "server_test_util.h"

#include "store/event_json.h"

#include <chrono>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>

namespace baton::server::testing {

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::Sqlite ? "Sqlite" : "Postgres";
}

TestServer::TestServer(ServerOptions options) {
  options.host = "127.0.0.1";
  options.port = 0;
  auto s = Server::create(std::move(options));
  if (!s.ok()) throw std::runtime_error(s.status().message());
  server_ = std::move(s).value();
  auto port = server_->bind();
  if (!port.ok()) throw std::runtime_error(port.status().message());
  port_ = *port;
  thread_ = std::thread([this] { server_->run(); });
}

TestServer::~TestServer() {
  server_->stop();
  thread_.join();
}

std::unique_ptr<httplib::Client> TestServer::client() const {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
  c->set_read_timeout(60, 0);
  return c;
}

ServerProcess::ServerProcess(const std::string& database, const std::vector<std::string>& extra_args,
                             const std::map<std::string, std::string>& env) {
  std::string command = std::string("exec '") + BATON_CLI_PATH + "' server start --port 0 --database '" + database + "'";
  for (const auto& a : extra_args) command += " '" + a + "'";
  command += " > '" + dir_.path() + "/out.txt' 2>&1";
  auto full_env = env;
  full_env.emplace("BATON_HOME", dir_.path());
  process_ = std::make_unique<baton::testing::Background>(std::vector<std::string>{"/bin/sh", "-c", command}, full_env);
  baton::testing::eventually([&] {
    const std::string out = output();
    const auto at = out.find("listening on http://127.0.0.1:");
    if (at == std::string::npos) return false;
    port_ = std::atoi(out.c_str() + at + std::string("listening on http://127.0.0.1:").size());
    return port_ > 0;
  });
  if (port_ == 0) throw std::runtime_error("the server did not start: " + output());
}

std::string ServerProcess::output() const {
  std::ifstream in(dir_.path() + "/out.txt");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<httplib::Client> ServerProcess::client() const {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
  c->set_read_timeout(60, 0);
  return c;
}

void ServerTest::SetUp() {
  if (GetParam() == Backend::Postgres) {
    std::string why;
    postgres_ = baton::testing::shared_postgres(why);
    if (!postgres_) {
      if (why.rfind("failed:", 0) == 0) FAIL() << why;
      GTEST_SKIP() << why;
    }
    if (!postgres_->running()) postgres_->restart();
    database_ = postgres_->create_database();
  } else {
    database_ = dir_.path() + "/server.db";
  }
}

ServerOptions ServerTest::options() const {
  ServerOptions o;
  o.database = database_;
  o.ui_dir = dir_.path() + "/no-ui";
  o.threads = 16;
  return o;
}

std::unique_ptr<TestServer> ServerTest::start(ServerOptions o) { return std::make_unique<TestServer>(std::move(o)); }

const std::string* name(const std::string& n) {
  static std::mutex mu;
  static std::deque<std::string> names;
  std::lock_guard lock(mu);
  for (const auto& s : names) {
    if (s == n) return &s;
  }
  return &names.emplace_back(n);
}

TimePoint at_us(std::int64_t us) { return TimePoint(std::chrono::microseconds(us)); }

engine::FlowRunCreated flow_created(RunId id, const std::string& flow, std::int64_t created_us) {
  engine::FlowRunCreated e;
  e.id = id;
  e.flow_name = name(flow);
  e.run_name = "run-" + id.str().substr(0, 4);
  e.parameters_json = R"({"month":"2024-01"})";
  e.tags_json = R"(["nightly"])";
  e.created = at_us(created_us);
  e.pid = 4242;
  e.hostname = "test-host";
  return e;
}

engine::TaskRunCreated task_created(RunId id, RunId flow, const std::string& task, std::int64_t created_us) {
  engine::TaskRunCreated e;
  e.id = id;
  e.flow_run = flow;
  e.task_name = name(task);
  e.run_name = task + "-" + id.str().substr(0, 4);
  e.parameters_json = "{}";
  e.tags_json = "[]";
  e.created = at_us(created_us);
  return e;
}

engine::StateChanged flow_state(RunId id, StateType t, std::int64_t at, std::string message) {
  return engine::StateChanged{id, engine::RunKind::Flow, t, at_us(at), std::move(message)};
}

engine::StateChanged task_state(RunId id, StateType t, std::int64_t at, std::string message) {
  return engine::StateChanged{id, engine::RunKind::Task, t, at_us(at), std::move(message)};
}

std::vector<engine::Event> flow_with_tasks(RunId flow, int tasks, std::int64_t start_us, const std::string& flow_name) {
  std::vector<engine::Event> out;
  out.push_back(flow_created(flow, flow_name, start_us));
  out.push_back(flow_state(flow, StateType::Running, start_us + 1));
  RunId previous;
  for (int i = 0; i < tasks; ++i) {
    const RunId t = RunId::random();
    const std::int64_t at = start_us + 10 + i * 10;
    out.push_back(task_created(t, flow, i % 2 ? "transform" : "load", at));
    if (!previous.empty()) out.push_back(engine::EdgeAdded{flow, previous, t, engine::EdgeKind::Data});
    out.push_back(task_state(t, StateType::Running, at + 1));
    out.push_back(engine::LogRecorded{flow, t, LogLevel::Info, at_us(at + 2), "task " + std::to_string(i) + " works"});
    out.push_back(task_state(t, StateType::Completed, at + 3));
    previous = t;
  }
  out.push_back(flow_state(flow, StateType::Completed, start_us + 10 + tasks * 10));
  return out;
}

namespace {
Reply reply_of(const httplib::Result& r) {
  Reply out;
  if (!r) {
    out.status = -1;
    return out;
  }
  out.status = r->status;
  out.body = nlohmann::json::parse(r->body, nullptr, false);
  return out;
}
}  // namespace

Reply post_events(httplib::Client& c, const std::string& source, std::uint64_t first_seq,
                  const std::vector<engine::Event>& events) {
  return reply_of(c.Post("/api/events", store::encode_ingest_batch(source, first_seq, events), "application/json"));
}

Reply reply_of_post_raw(httplib::Client& c, const std::string& body, bool gzip) {
  c.set_compress(gzip);
  Reply r = reply_of(c.Post("/api/events", body, "application/json"));
  c.set_compress(false);
  return r;
}

Reply get(httplib::Client& c, const std::string& path) { return reply_of(c.Get(path.c_str())); }

Reply post(httplib::Client& c, const std::string& path, const std::string& body) {
  return reply_of(c.Post(path.c_str(), body, "application/json"));
}

}  // namespace baton::server::testing

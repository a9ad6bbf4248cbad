// Workers: claim latency from "run is due" to "its process started", p50 and p99,
// with 1 and 4 workers, on SQLite and PostgreSQL; and tiny flow runs per second
// end to end through 4 workers. The peer is posix_spawn of the same program
// straight from this process (the floor any worker pays).
//
// This program is also the deployment's program: `--bench-stamp FILE` appends
// the time it started (system clock, µs) and its BATON_FLOW_RUN_ID; `--bench-tiny`
// runs a one-task flow.
#include "bench_support.h"

#include "client/http_client.h"
#include "testutil/postgres_cluster.h"

#include <baton/baton.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

auto tiny_task = BATON_TASK("tiny_task", [](int n) { return n + 1; });
auto tiny = BATON_FLOW("tiny", [](int n) { return tiny_task(n); });

pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& extra_env,
            const std::string& log = "") {
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string v = *e;
    if (v.rfind("BATON_", 0) != 0) env_text.push_back(v);
  }
  for (const auto& [k, v] : extra_env) env_text.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& v : env_text) envp.push_back(v.data());
  envp.push_back(nullptr);
  std::vector<std::string> a = args;
  std::vector<char*> argv;
  for (auto& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!log.empty()) {
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

void stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
}

struct Server {
  pid_t pid = -1;
  std::string url;
  Server(const std::filesystem::path& home, const std::string& database) {
    const std::string log = (home / "server.log").string();
    std::map<std::string, std::string> env{{"BATON_HOME", home.string()}};
    if (!database.empty()) env["BATON_DATABASE"] = database;
    pid = spawn({BATON_CLI_PATH, "server", "start", "--port", "0", "--crash-check-seconds", "1"}, env, log);
    const std::regex listening(R"(listening on (http://[^ \n]+/api))");
    for (int i = 0; i < 600 && pid > 0 && url.empty(); ++i) {
      std::this_thread::sleep_for(50ms);
      std::ifstream in(log);
      std::string text((std::istreambuf_iterator<char>(in)), {});
      std::smatch m;
      if (std::regex_search(text, m, listening)) url = m[1];
    }
  }
  ~Server() { stop(pid); }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool ok(const baton::client::HttpResponse& r, const char* what) {
  if (!r.ok()) std::fprintf(stderr, "bench workers: %s: %s\n", what, r.describe().c_str());
  return r.ok();
}

// One configuration: a server on `database`, `workers` workers; returns false on failure.
bool run_config(const std::string& label, const std::string& database, int workers, const std::string& self,
                const std::filesystem::path& dir, bool throughput) {
  std::filesystem::create_directories(dir);
  Server server(dir, database);
  if (server.url.empty()) {
    std::fprintf(stderr, "bench workers: the server did not start (see %s/server.log)\n", dir.c_str());
    return false;
  }
  baton::client::HttpClient http({server.url, "", 30s, 5s});
  if (!ok(http.put_json("/work-pools/bench", R"({"name":"bench"})"), "create pool")) return false;
  const std::string stamps = (dir / "stamps.txt").string();
  json dep{{"flow_name", "stamp"},
           {"command", {self, "--bench-stamp", stamps}},
           {"work_pool", "bench"},
           {"parameters", json::object()},
           {"parameter_specs", json::array()}};
  if (!ok(http.put_json("/deployments/stamp", dep.dump()), "deploy stamp")) return false;
  json tiny_dep{{"flow_name", "tiny"},
                {"command", {self, "--bench-tiny"}},
                {"work_pool", "bench"},
                {"parameters", {{"n", 1}}},
                {"parameter_specs", {{{"name", "n"}, {"type", "int"}, {"required", true}}}}};
  if (!ok(http.put_json("/deployments/tiny", tiny_dep.dump()), "deploy tiny")) return false;

  std::vector<pid_t> worker_pids;
  for (int i = 0; i < workers; ++i) {
    worker_pids.push_back(spawn({BATON_CLI_PATH, "worker", "start", "--pool", "bench", "--limit", "8", "--name",
                                 "w" + std::to_string(i)},
                                {{"BATON_API_URL", server.url}, {"BATON_HOME", dir.string()}},
                                (dir / ("worker" + std::to_string(i) + ".log")).string()));
  }
  std::this_thread::sleep_for(1s);  // the workers are polling

  // Claim latency: one run at a time, due when created; its stamp says when it started.
  const int n = baton::bench::pick(60, 12);
  std::vector<double> latencies;
  bool good = true;
  for (int i = 0; i < n && good; ++i) {
    const std::size_t before = lines_of(stamps).size();
    const std::int64_t due = now_us();
    auto r = http.post_json("/deployments/stamp/runs", "{}");
    if (!ok(r, "create run")) good = false;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::vector<std::string> lines;
    while (good && (lines = lines_of(stamps)).size() <= before) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "bench workers: run not started within 30 s\n");
        good = false;
      }
      std::this_thread::sleep_for(200us);
    }
    if (good) latencies.push_back(static_cast<double>(std::stoll(lines.back()) - due) / 1000.0);
    std::this_thread::sleep_for(20ms);
  }
  if (good) {
    std::printf("bench worker_claim_latency_p50_%s_%dw %.2f ms\n", label.c_str(), workers, percentile(latencies, 0.5));
    std::printf("bench worker_claim_latency_p99_%s_%dw %.2f ms\n", label.c_str(), workers, percentile(latencies, 0.99));
  }

  if (good && throughput) {
    const int runs = baton::bench::pick(100, 20);
    std::vector<std::string> ids;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < runs; ++i) {
      auto r = http.post_json("/deployments/tiny/runs", "{}");
      if (!ok(r, "create tiny run")) return false;
      ids.push_back(json::parse(r.body).value("id", ""));
    }
    std::size_t done = 0;
    const auto deadline = t0 + 300s;
    while (done < ids.size() && std::chrono::steady_clock::now() < deadline) {
      auto r = http.get("/flow-runs/" + ids[done]);
      const std::string state = r.ok() ? json::parse(r.body).value("state", "") : "";
      if (state == "Completed" || state == "Failed" || state == "Crashed") {
        if (state != "Completed") std::fprintf(stderr, "bench workers: tiny run %s ended %s\n", ids[done].c_str(), state.c_str());
        ++done;
      } else {
        std::this_thread::sleep_for(5ms);
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("bench worker_tiny_flow_runs_%s_%dw %.1f runs/s\n", label.c_str(), workers,
                static_cast<double>(done) / secs);
  }
  for (pid_t p : worker_pids) stop(p);
  return good;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--bench-stamp") == 0) {
    const std::int64_t t = now_us();
    FILE* f = std::fopen(argv[2], "a");
    if (f == nullptr) return 1;
    std::fprintf(f, "%lld\n", static_cast<long long>(t));
    std::fclose(f);
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "--bench-tiny") == 0) {
    argv[1] = argv[0];
    return baton::run_main(tiny, argc - 1, argv + 1);
  }
  const std::string self = std::filesystem::canonical("/proc/self/exe").string();
  const auto dir = std::filesystem::temp_directory_path() / ("baton-bench-workers-" + std::to_string(getpid()));

  // The peer: posix_spawn of the stamp program from here, no server, no worker.
  {
    std::filesystem::create_directories(dir);
    const std::string stamps = (dir / "direct.txt").string();
    std::vector<double> lat;
    for (int i = 0; i < baton::bench::pick(60, 12); ++i) {
      const std::int64_t t0 = now_us();
      pid_t pid = spawn({self, "--bench-stamp", stamps}, {});
      int status = 0;
      waitpid(pid, &status, 0);
      lat.push_back(static_cast<double>(std::stoll(lines_of(stamps).back()) - t0) / 1000.0);
    }
    std::printf("bench direct_spawn_latency_p50 %.2f ms\n", percentile(lat, 0.5));
    std::printf("bench direct_spawn_latency_p99 %.2f ms\n", percentile(lat, 0.99));
  }

  bool good = run_config("sqlite", "", 1, self, dir / "sqlite1", false) &&
              run_config("sqlite", "", 4, self, dir / "sqlite4", true);
  std::string why;
  auto pg = baton::testing::PostgresCluster::start(why);
  if (pg) {
    good = run_config("postgres", pg->create_database(), 1, self, dir / "pg1", false) && good;
    good = run_config("postgres", pg->create_database(), 4, self, dir / "pg4", true) && good;
  } else {
    std::fprintf(stderr, "bench workers: PostgreSQL skipped: %s\n", why.c_str());
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return good ? 0 : 1;
}

// Engine overhead of reporting to a server: per-task cost of a fan-out of trivial
// submitted tasks and of a chain of dependent ones, with BATON_API_URL set (a real
// `baton server start --port 0` on SQLite, started by this program) next to the
// engine writing the SQLite run store directly, in the same run. Each timed flow
// includes the flush of its history at the flow's end, so the figure is the whole
// cost, not just the hot path. Target: at most 1.5x the direct store. Also
// printed: this process's CPU per task, the engine's own share (the server's
// ingest runs on the same cores, in its own process).
//
// The server's copy is checked, not assumed: every flow run must be there with all
// its task runs Completed, or the program says what is missing and exits 1.
//
//   bench_client_overhead [--tasks N] [--chain N] [--repeats R]
//   BATON_BENCH_QUICK=1: 10,000 tasks, a chain of 1,000, 3 repeats.
#include <baton/baton.h>

#include "bench_support.h"
#include "client/http_client.h"
#include "engine/runtime.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

template <class F>
double time_us(F f) {
  auto t0 = Clock::now();
  f();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

double process_cpu_us() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// `baton server start --port 0` in the background; its URL read from its output.
class Server {
 public:
  explicit Server(const std::filesystem::path& home) {
    const std::string log = (home / "server.log").string();
    const std::string command = std::string("exec '") + BATON_CLI_PATH + "' server start --port 0 >'" + log + "' 2>&1";
    const std::string home_var = "BATON_HOME=" + home.string();
    std::vector<std::string> env_text = {home_var};
    for (char** e = environ; *e != nullptr; ++e) {
      std::string v = *e;
      if (v.rfind("BATON_", 0) != 0) env_text.push_back(v);  // the server's own settings only
    }
    std::vector<char*> envp;
    for (auto& v : env_text) envp.push_back(v.data());
    envp.push_back(nullptr);
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), envp.data()) != 0) pid_ = -1;
    const std::regex listening(R"(listening on (http://[^ \n]+/api))");
    for (int i = 0; i < 300 && pid_ > 0 && url_.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      FILE* f = std::fopen(log.c_str(), "r");
      if (f == nullptr) continue;
      char buf[4096];
      std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      std::fclose(f);
      std::string text(buf, n);
      std::smatch m;
      if (std::regex_search(text, m, listening)) url_ = m[1];
    }
  }
  ~Server() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

// Empty if the server holds `flow_runs` Completed runs of `flow`, each with
// `tasks_each` task runs, else what is wrong.
std::string check_server(const std::string& url, const std::string& flow, std::size_t flow_runs,
                         std::int64_t tasks_each) {
  baton::client::HttpClient http({url, "", std::chrono::seconds(30), std::chrono::seconds(5)});
  auto r = http.get("/flow-runs?limit=1000&flow=" + baton::client::url_encode(flow));
  if (!r.ok()) return r.describe();
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return "the flow-run list is not JSON";
  const auto& runs = j["flow_runs"];
  if (runs.size() != flow_runs) {
    return "flow '" + flow + "': " + std::to_string(runs.size()) + " flow runs on the server, expected " +
           std::to_string(flow_runs);
  }
  for (const auto& fr : runs) {
    if (fr["state"] != "Completed") return "flow run " + fr["id"].get<std::string>() + " is not Completed";
    auto d = http.get("/flow-runs/" + fr["id"].get<std::string>());
    auto detail = nlohmann::json::parse(d.body, nullptr, false);
    if (detail.is_discarded() || detail["task_run_count"] != tasks_each) {
      return "flow run " + fr["id"].get<std::string>() + ": task runs on the server: " +
             (detail.is_discarded() ? std::string("?") : detail["task_run_count"].dump()) + ", expected " +
             std::to_string(tasks_each);
    }
    auto counts = detail["task_run_counts"];
    if (counts.is_object() && counts.value("Completed", std::int64_t{0}) != tasks_each) {
      return "flow run " + fr["id"].get<std::string>() + ": not every task run is Completed: " + counts.dump();
    }
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  using baton::bench::pick;
  const int tasks = baton::bench::int_arg(argc, argv, "tasks", pick(50000, 10000));
  const int chain = baton::bench::int_arg(argc, argv, "chain", pick(5000, 1000));
  const int repeats = baton::bench::int_arg(argc, argv, "repeats", pick(5, 3));
  const int workers = 2;

  const auto root = std::filesystem::temp_directory_path() / ("baton-bench-client-" + std::to_string(getpid()));
  std::filesystem::create_directories(root / "engine");
  std::filesystem::create_directories(root / "server");
  Server server(root / "server");
  if (server.url().empty()) {
    std::fprintf(stderr, "bench_client_overhead: the server did not start (see %s)\n",
                 (root / "server" / "server.log").c_str());
    return 1;
  }
  setenv("BATON_HOME", (root / "engine").c_str(), 1);
  setenv("BATON_LOG_LEVEL", "WARNING", 1);

  auto noop = baton::task("noop", [](int x) { return x; });
  auto inc = baton::task("inc", [](int x) { return x + 1; });
  auto fan_out = baton::flow("fan-out", [&] {
    std::vector<baton::Future<int>> fs;
    fs.reserve(static_cast<std::size_t>(tasks));
    for (int i = 0; i < tasks; ++i) fs.push_back(noop.submit(i));
    long sum = 0;
    for (auto& f : fs) sum += f.result();
    if (sum < 0) std::abort();
  }).task_runner(baton::thread_pool(workers));
  auto chained = baton::flow("chain", [&] {
    baton::Future<int> f = inc.submit(0);
    for (int i = 1; i < chain; ++i) f = inc.submit(f);
    if (f.result() != chain) std::abort();
  }).task_runner(baton::thread_pool(workers));

  struct Figures {
    double fan = 0, chain = 0;
  };
  // Alternating rounds (direct, server, direct, ...) so drift in the machine's
  // load falls on both alike.
  std::vector<double> fan[2], ch[2], cpu[2];  // cpu: this process's CPU per fan-out task
  auto use = [&](bool remote) {
    if (remote) setenv("BATON_API_URL", server.url().c_str(), 1);
    else unsetenv("BATON_API_URL");
    baton::engine::reset_runtime_for_testing();
  };
  for (int mode = 0; mode < 2; ++mode) {  // warm-up: threads, connections, database files
    use(mode == 1);
    fan_out();
    chained();
  }
  for (int r = 0; r < repeats; ++r) {
    for (int mode = 0; mode < 2; ++mode) {
      use(mode == 1);
      const double cpu0 = process_cpu_us();
      fan[mode].push_back(time_us([&] { fan_out(); }) / tasks);  // the flow's end flushes its history
      cpu[mode].push_back((process_cpu_us() - cpu0) / tasks);
      ch[mode].push_back(time_us([&] { chained(); }) / chain);
    }
  }
  baton::engine::reset_runtime_for_testing();
  const std::size_t runs_each = static_cast<std::size_t>(repeats) + 1;
  for (auto [flow, n] : {std::pair<std::string, int>{"fan-out", tasks}, {"chain", chain}}) {
    if (std::string bad = check_server(server.url(), flow, runs_each, n); !bad.empty()) {
      std::fprintf(stderr, "bench_client_overhead: the server does not hold the runs: %s\n", bad.c_str());
      return 1;
    }
  }
  const Figures direct{baton::bench::median(fan[0]), baton::bench::median(ch[0])};
  const Figures remote{baton::bench::median(fan[1]), baton::bench::median(ch[1])};
  std::printf("engine overhead with BATON_API_URL, %d workers, median of %d runs (µs per task)\n", workers, repeats);
  std::printf("  %-34s %10s %10s\n", "", "fan-out", "chain");
  std::printf("  %-34s %10.2f %10.2f\n", "SQLite run store (direct)", direct.fan, direct.chain);
  std::printf("  %-34s %10.2f %10.2f\n", "server (BATON_API_URL, SQLite)", remote.fan, remote.chain);
  std::printf("bench client_fanout_sqlite_direct %.3f us/task\n", direct.fan);
  std::printf("bench client_fanout_server %.3f us/task\n", remote.fan);
  std::printf("bench client_fanout_ratio_server_to_direct %.2f x (target <= 1.5)\n", remote.fan / direct.fan);
  // The engine's own share (hot path, writer thread, encoding, gzip, HTTP) apart
  // from the server's ingest, which shares the machine's cores in this run.
  const double cpu_direct = baton::bench::median(cpu[0]), cpu_server = baton::bench::median(cpu[1]);
  std::printf("bench client_fanout_engine_cpu_sqlite_direct %.3f cpu-us/task\n", cpu_direct);
  std::printf("bench client_fanout_engine_cpu_server %.3f cpu-us/task\n", cpu_server);
  std::printf("bench client_fanout_engine_cpu_ratio_server_to_direct %.2f x\n", cpu_server / cpu_direct);
  std::printf("bench client_chain_sqlite_direct %.3f us/task\n", direct.chain);
  std::printf("bench client_chain_server %.3f us/task\n", remote.chain);
  std::printf("bench client_chain_ratio_server_to_direct %.2f x (target <= 1.5)\n", remote.chain / direct.chain);
  std::filesystem::remove_all(root);
  return 0;
}

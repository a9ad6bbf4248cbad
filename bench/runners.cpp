// Task runners past one process: small-task throughput of the thread pool, the
// process pool and MPI (2 and 3 ranks) next to Dask distributed (LocalCluster, 2
// worker processes, client.map of a trivial function) in the same run; and a
// fan-out of 8 tasks each making a 256 MiB result that a second task consumes:
// wall time against the thread pool, and the bytes that pass through rank 0.
//
// usage: bench_runners [--tasks N] [--repeats R] [--fanout-mib M]
// (it runs itself as the flow program: bench_runners --child throughput|fanout ...)
#include <baton/baton.h>

#include "bench_support.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
const fs::path kSourceDir = fs::path(__FILE__).parent_path().parent_path();

// ---- The flow program (every rank runs main; tasks at namespace scope).

const auto increment = BATON_TASK("increment", [](int x) { return x + 1; });
const auto produce = BATON_TASK("produce", [](int i, int mib) {
  std::vector<double> v(static_cast<std::size_t>(mib) * (1 << 20) / sizeof(double));
  std::iota(v.begin(), v.end(), static_cast<double>(i));
  return v;
});
const auto consume = BATON_TASK("consume", [](const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0);
});

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int child(const std::string& mode, int n, int mib) {
  double elapsed = 0;
  double checksum = 0;
  auto flow = baton::flow("bench-" + mode, [&] {
    auto start = std::chrono::steady_clock::now();
    if (mode == "throughput") {
      auto runs = increment.map(std::views::iota(0, n));
      for (auto& r : runs) checksum += r.result();
    } else {
      auto made = produce.map(std::views::iota(0, n), baton::unmapped(mib));
      auto sums = consume.map(made);
      for (auto& s : sums) checksum += s.result();
    }
    elapsed = seconds_since(start);
  });
  flow();
  std::printf("elapsed %.6f checksum %.0f\n", elapsed, checksum);
  return 0;
}

// ---- The driver.

struct ChildResult {
  double elapsed = -1;
  long long bytes_through_rank0 = -1;
};

ChildResult run_child(const std::string& runner, int ranks, const std::string& args, const fs::path& home) {
  std::string cmd = "BATON_HOME='" + home.string() + "' BATON_TASK_RUNNER=" + (runner == "mpi" ? "mpi" : runner) +
                    " BATON_WORKERS=2 BATON_MPI_STATS=1 BATON_LOG_LEVEL=WARNING ";
  if (runner == "mpi") cmd += "'" + (kSourceDir / "tests/mpi/mpirun_local.sh").string() + "' " + std::to_string(ranks) + " -- ";
  cmd += "'" + fs::canonical("/proc/self/exe").string() + "' --child " + args + " 2>&1";
  ChildResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char line[512];
  while (std::fgets(line, sizeof line, p) != nullptr) {
    double e;
    unsigned long long bytes, messages;
    if (std::sscanf(line, "elapsed %lf", &e) == 1) r.elapsed = e;
    if (std::sscanf(line, "baton mpi: %llu bytes in %llu", &bytes, &messages) == 2) r.bytes_through_rank0 = static_cast<long long>(bytes);
  }
  if (pclose(p) != 0) std::fprintf(stderr, "bench: %s failed\n", cmd.c_str());
  fs::remove_all(home);
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? -1 : v[v.size() / 2];
}

// A figure, or a note when it could not be measured (a peer or mpirun absent).
void bench(const std::string& name, double value, const char* unit) {
  if (value > 0 && value == value) std::printf("bench %s %.4g %s\n", name.c_str(), value, unit);
  else std::printf("skipped %s: not measured (peer absent or failed, see above)\n", name.c_str());
}

double dask_tasks_per_s(int repeats) {
  std::string cmd = "/usr/bin/python3 '" + (kSourceDir / "bench/dask_peer.py").string() +
                    "' --tasks 2000 --workers 2 --repeats " + std::to_string(repeats) + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  double rate = -1;
  char line[256];
  while (std::fgets(line, sizeof line, p) != nullptr) std::sscanf(line, "dask_tasks_per_s %lf", &rate);
  pclose(p);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 5 && std::strcmp(argv[1], "--child") == 0) return child(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  int tasks = baton::bench::pick(20000, 5000), repeats = baton::bench::pick(3, 1), fanout_mib = baton::bench::pick(256, 16);
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--tasks") == 0) tasks = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--repeats") == 0) repeats = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--fanout-mib") == 0) fanout_mib = std::atoi(argv[i + 1]);
  }
  const fs::path scratch = fs::temp_directory_path() / ("baton-bench-runners-" + std::to_string(getpid()));

  struct Config {
    const char* label;
    const char* runner;
    int ranks;
  };
  const Config configs[] = {{"thread", "thread", 0}, {"process", "process", 0}, {"mpi_np2", "mpi", 2}, {"mpi_np3", "mpi", 3}};
  double mpi2 = -1, mpi3 = -1;
  for (const Config& c : configs) {
    std::vector<double> rates;
    for (int r = 0; r < repeats; ++r) {
      ChildResult res = run_child(c.runner, c.ranks, "throughput " + std::to_string(tasks) + " 0", scratch);
      if (res.elapsed > 0) rates.push_back(tasks / res.elapsed);
    }
    const double rate = median(rates);
    bench("runner_tasks_per_s_" + std::string(c.label), rate, "tasks/s");
    if (std::string(c.label) == "mpi_np2") mpi2 = rate;
    if (std::string(c.label) == "mpi_np3") mpi3 = rate;
  }
  const double dask = dask_tasks_per_s(repeats);
  bench("dask_tasks_per_s", dask, "tasks/s");
  if (dask > 0) {
    bench("runner_mpi_np2_vs_dask", mpi2 / dask, "x");
    bench("runner_mpi_np3_vs_dask", mpi3 / dask, "x (target >= 100)");
  }

  // Fan-out: 8 producers of fanout_mib MiB, 8 consumers.
  const std::string args = "fanout 8 " + std::to_string(fanout_mib);
  std::vector<double> thread_times, mpi_times;
  long long through = -1;
  for (int r = 0; r < repeats; ++r) {
    ChildResult t = run_child("thread", 0, args, scratch);
    ChildResult m = run_child("mpi", 3, args, scratch);
    if (t.elapsed > 0) thread_times.push_back(t.elapsed);
    if (m.elapsed > 0) mpi_times.push_back(m.elapsed);
    through = std::max(through, m.bytes_through_rank0);
  }
  const std::string fan = "fanout_8x" + std::to_string(fanout_mib) + "mib_";
  const std::string payloads = "bytes (payloads: 8 x " + std::to_string(fanout_mib) + " MiB)";
  bench(fan + "thread_seconds", median(thread_times), "s");
  bench(fan + "mpi_np3_seconds", median(mpi_times), "s");
  bench(fan + "mpi_over_thread", median(mpi_times) / median(thread_times), "x");
  if (through >= 0) std::printf("bench %sbytes_through_rank0 %lld %s\n", fan.c_str(), through, payloads.c_str());
  return 0;
}

// The flow the MPI tests run, unchanged, under the thread pool, the process pool
// and `mpirun -np N` (BATON_TASK_RUNNER picks the runner). Rank 0 prints what
// the flow computed, one line per value, for the test to compare across runners.
//
//   mpi_flow [--blocks N] [--mib M] [--squares N] [--crash-marker PATH]
//
// --crash-marker: stage 2 of item 2 kills its own process (SIGKILL) the first
// time (when PATH does not exist yet), as a worker rank dying mid-run; stage 1
// results are cached, so a re-run recomputes only what was lost.
#include <baton/baton.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string g_crash_marker;  // set from the command line on every rank
int g_squares = 12;          // how many small square tasks (many: batching)

const auto square = BATON_TASK("square", [](int x) { return x * x; });

// A large intermediate: `mib` MiB of doubles, all equal to i.
const auto make_block = BATON_TASK("make-block", [](int i, int mib) {
  return std::vector<double>(static_cast<std::size_t>(mib) * (1 << 20) / sizeof(double), static_cast<double>(i));
});
const auto block_sum = BATON_TASK("block-sum", [](const std::vector<double>& block) {
  return std::accumulate(block.begin(), block.end(), 0.0);
});

// Where a task ran: the host name (each network namespace of the two-host test
// has its own).
const auto host = BATON_TASK("host", [](int) {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return std::string(name);
});

const auto greet = BATON_TASK("greet", [](int i) {
  std::cout << "hello from item " << i << std::endl;
  return i;
});

const auto stage1 = BATON_TASK("stage1", [](int i) { return i * 10; }).cache_policy(baton::cache::inputs +
                                                                                      baton::cache::task_source);
const auto stage2 = BATON_TASK("stage2", [](int v) {
                      if (!g_crash_marker.empty() && v == 20 && !std::filesystem::exists(g_crash_marker)) {
                        std::ofstream(g_crash_marker) << "crashed once\n";
                        // Not at once: rank 0's history writer gathers events for up
                        // to 20 ms before it writes them, and mpirun ends rank 0 when
                        // this rank dies. Stage 1 finished just before; its Completed
                        // states must be in the history for the test to find them
                        // (it failed about 1 run in 10 once the runner got faster).
                        std::this_thread::sleep_for(std::chrono::milliseconds(500));
                        raise(SIGKILL);  // the whole process, as a node failure would
                      }
                      return v + 1;
                    }).cache_policy(baton::cache::inputs + baton::cache::task_source);

const auto pipeline = BATON_FLOW("mpi-pipeline", [](int blocks, int mib) {
  auto squares = square.map(std::views::iota(0, g_squares));
  auto made = make_block.map(std::views::iota(0, blocks), baton::unmapped(mib));
  auto sums = block_sum.map(made);
  auto greetings = greet.map(std::views::iota(0, 3));
  auto hosts = host.map(std::views::iota(0, 4));
  auto first = stage1.map(std::views::iota(0, 4));
  auto second = stage2.map(first);
  for (std::size_t i = 0; i < squares.size(); ++i) std::printf("square %zu %d\n", i, squares[i].result());
  for (std::size_t i = 0; i < sums.size(); ++i) std::printf("block-sum %zu %.0f\n", i, sums[i].result());
  for (std::size_t i = 0; i < greetings.size(); ++i) std::printf("greet %zu %d\n", i, greetings[i].result());
  for (std::size_t i = 0; i < second.size(); ++i) std::printf("stage2 %zu %d\n", i, second[i].result());
  char here[256] = {};
  gethostname(here, sizeof here - 1);
  std::printf("flow-host %s\n", here);
  for (auto& h : hosts) std::printf("task-host %s\n", h.result().c_str());
  std::fflush(stdout);
}).log_prints(true);

}  // namespace

int main(int argc, char** argv) {
  int blocks = 3;
  int mib = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--blocks") blocks = std::atoi(argv[i + 1]);
    else if (a == "--mib") mib = std::atoi(argv[i + 1]);
    else if (a == "--crash-marker") g_crash_marker = argv[i + 1];
    else if (a == "--squares") g_squares = std::atoi(argv[i + 1]);
  }
  try {
    pipeline(blocks, mib);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi_flow: %s\n", e.what());
    return 1;
  }
  return 0;
}

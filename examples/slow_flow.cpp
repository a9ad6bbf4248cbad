// A long-running flow that stops cleanly when asked: each step polls its stop
// token. Used to try `baton flow-run cancel` (and to see a killed process's run
// marked Crashed).
//
//   ./slow_flow --steps 100 --step-ms 200 &
//   baton flow-run cancel <id>
#include <baton/baton.h>

#include <chrono>
#include <iostream>
#include <thread>

auto step = BATON_TASK("step", [](int i, int step_ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(step_ms);
  while (std::chrono::steady_clock::now() < until) {
    baton::throw_if_stop_requested();  // ends this run Cancelled when the flow is cancelled
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::cout << "step " << i << " done" << std::endl;
  return i;
});

auto slow = BATON_FLOW("slow", [](int steps, int step_ms) {
              baton::Future<int> last;
              for (int i = 0; i < steps; ++i) last = step.submit(i, step_ms);
              baton::wait(std::vector{last});
            }).log_prints(true);

int main(int argc, char** argv) { return baton::run_main(slow, argc, argv); }

// Serializable cache isolation across processes: start this program twice at
// once and the expensive task runs in one of them; the other waits for the lock,
// then finds the result in the cache.
//
//   ./compute_once --n 7 & ./compute_once --n 7; wait
#include <baton/baton.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

auto expensive = BATON_TASK("expensive", [](int n) {
                   // A trace of every time the body runs, for people (and the tests).
                   if (const char* trace = std::getenv("COMPUTE_ONCE_TRACE")) {
                     std::ofstream(trace, std::ios::app) << "computed " << n << "\n";
                   }
                   std::this_thread::sleep_for(std::chrono::milliseconds(500));
                   return static_cast<long>(n) * n;
                 })
                     .cache_policy(baton::cache::inputs + baton::cache::task_source)
                     .cache_isolation(baton::Isolation::Serializable);

auto compute_once = BATON_FLOW("compute_once", [](int n) {
  long v = expensive(n);
  std::cout << n << " squared is " << v << std::endl;
  return v;
});

int main(int argc, char** argv) { return baton::run_main(compute_once, argc, argv); }

// The flow program the worker tests deploy: it appends its flow run id to a
// marker file (so a test counts executions), naps in tagged tasks, records an
// artifact, and fails when asked.
#include <baton/baton.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

auto mark = BATON_TASK("mark", [](const std::string& marker) {
  const char* id = std::getenv("BATON_FLOW_RUN_ID");
  const std::string line = std::string(id ? id : "none") + "\n";
  // O_APPEND: one write per line, whole, even with many programs at once.
  const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + marker);
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + marker);
  return 1;
});

auto nap = BATON_TASK("nap", [](int i, int ms) {
             std::this_thread::sleep_for(std::chrono::milliseconds(ms));
             return i;
           }).tags({"db"});

auto worker_flow = BATON_FLOW("worker-flow", [](const std::string& marker, int sleep_ms, int naps, bool fail) {
                     std::cout << "worker-flow starting with " << naps << " naps" << std::endl;
                     mark(marker);
                     std::vector<baton::Future<int>> futures;
                     for (int i = 0; i < naps; ++i) futures.push_back(nap.submit(i, sleep_ms));
                     baton::wait(futures);
                     baton::create_markdown_artifact("worker-report", "# Done\n\n" + std::to_string(naps) + " naps");
                     if (fail) throw std::runtime_error("asked to fail");
                     return naps;
                   }).description("the worker tests' flow");

int main(int argc, char** argv) { return baton::run_main(worker_flow, argc, argv); }

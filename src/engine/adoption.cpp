// The first top-level flow run of a program started by a worker adopts the id of
// the run the server created (BATON_FLOW_RUN_ID).
#include "engine/adoption.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace baton::engine {

RunId take_flow_run_id() {
  static std::atomic<bool> taken{false};
  if (!taken.exchange(true)) {
    const char* env = std::getenv("BATON_FLOW_RUN_ID");
    if (env != nullptr && *env != '\0') {
      if (auto id = RunId::parse(env)) return *id;
      std::fprintf(stderr, "baton: BATON_FLOW_RUN_ID='%s' is not a run id; the flow run gets a new one\n", env);
    }
  }
  return RunId::random();
}

}  // namespace baton::engine

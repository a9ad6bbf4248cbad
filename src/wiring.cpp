// Wires the default implementations of the engine's interfaces: the task runners
// named by BATON_TASK_RUNNER, result persistence over the results layer and, once
// the store layer lands, the SQLite run store.
#include "engine/result_backend.h"
#include "engine/runtime.h"
#include "results/engine_backend.h"

#include <baton/task_runner.h>

namespace baton::detail {

extern const int wiring_anchor;
const int wiring_anchor = [] {
  engine::set_runner_factory([](const std::string& kind, int workers) {
    return kind == "immediate" ? immediate() : thread_pool(workers);
  });
  engine::set_result_backend(results::make_engine_backend());
  return 1;
}();

}  // namespace baton::detail

// Wires the default implementations of the engine's interfaces: the task runners
// named by BATON_TASK_RUNNER and, once the store layer lands, the SQLite run store.
#include "engine/runtime.h"

#include <baton/task_runner.h>

namespace baton::detail {

extern const int wiring_anchor;
const int wiring_anchor = [] {
  engine::set_runner_factory([](const std::string& kind, int workers) {
    return kind == "immediate" ? immediate() : thread_pool(workers);
  });
  return 1;
}();

}  // namespace baton::detail

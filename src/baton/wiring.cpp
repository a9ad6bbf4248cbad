// Wires the default implementations of the engine's interfaces: the task runners
// named by BATON_TASK_RUNNER, result persistence over the results layer, and the
// run store: the server's HTTP client when BATON_API_URL is set, else the SQLite
// file. Every program linking `baton` is linked with
// --undefined=baton_default_wiring (src/baton/CMakeLists.txt, baton.pc), which
// pulls this file out of the archive, so its initializer always runs.
#include "client/concurrency_slots.h"
#include "client/http_client.h"
#include "client/server_sink.h"
#include "engine/artifacts.h"
#include "engine/result_backend.h"
#include "engine/runtime.h"
#include "engine/settings.h"
#include "results/engine_backend.h"
#include "store/sqlite_run_store.h"

#include <baton/error.h>
#include <baton/task_runner.h>

#include <cstdio>
#include <memory>
#include <mutex>

namespace baton::detail {
namespace {

bool wire_defaults() {
  engine::set_runner_factory([](const std::string& kind, int workers) {
    if (kind == "immediate") return immediate();
    if (kind == "process") return process_pool(workers);
    if (kind == "mpi") return mpi();
    return thread_pool(workers);
  });
  engine::set_result_backend(results::make_engine_backend());
  // Called once the settings are validated (a malformed BATON_API_URL has ended
  // the program with status 2 by then).
  engine::set_run_store_factory([]() -> std::unique_ptr<engine::RunStoreSink> {
    if (!settings::api_url().empty()) {
      // With a server, tasks' tags take its concurrency slots (none without one).
      engine::set_concurrency_slots(
          std::make_shared<client::ServerConcurrencySlots>(client::HttpClient::options_from_settings()));
      return std::make_unique<client::ServerSink>(client::ServerSink::options_from_settings());
    }
    auto store = store::SqliteRunStore::open();
    if (!store.ok()) throw Error(store.status().message());
    return std::move(store).value();
  });
  // Artifacts go to the server when there is one (one client, one request at a
  // time: artifacts are few); a refusal is said on stderr and the run goes on.
  engine::set_artifact_publisher([](const std::string& artifact_json) {
    if (settings::api_url().empty()) return;
    static std::mutex mutex;
    static std::unique_ptr<client::HttpClient> http;
    std::lock_guard lock(mutex);
    if (!http) http = std::make_unique<client::HttpClient>(client::HttpClient::options_from_settings());
    auto r = http->post_json("/artifacts", artifact_json);
    if (!r.ok()) std::fprintf(stderr, "baton: artifact not recorded: %s\n", r.describe().c_str());
  });
  return true;
}

}  // namespace
}  // namespace baton::detail

// The anchor the linker is asked for; its initializer wires the defaults.
extern "C" {
extern const bool baton_default_wiring;
const bool baton_default_wiring = baton::detail::wire_defaults();
}

#include "support.h"

#include "engine/flow_run.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>


namespace baton::testing {

namespace {

class MemorySink final : public engine::RunStoreSink {
 public:
  void write(std::span<const engine::Event> batch) override { RecordedEvents::get().add(batch); }
  std::vector<RunId> heartbeat(std::span<const RunId>) override { return {}; }
};

template <class T>
std::vector<T> select(const std::vector<engine::Event>& events, auto pred) {
  std::vector<T> out;
  for (const auto& e : events) {
    if (const T* x = std::get_if<T>(&e); x != nullptr && pred(*x)) out.push_back(*x);
  }
  return out;
}

}  // namespace

RecordedEvents& RecordedEvents::get() {
  static auto* events = new RecordedEvents();  // outlives the writer thread at exit
  return *events;
}

void RecordedEvents::add(std::span<const engine::Event> batch) {
  std::lock_guard lock(mu_);
  events_.insert(events_.end(), batch.begin(), batch.end());
}

std::vector<engine::Event> RecordedEvents::all() {
  engine::Runtime::get().flush();
  std::lock_guard lock(mu_);
  return events_;
}

std::vector<engine::StateChanged> RecordedEvents::states_of(const RunId& run) {
  return select<engine::StateChanged>(all(), [&](const auto& s) { return s.run == run; });
}

std::vector<StateType> RecordedEvents::state_types_of(const RunId& run) {
  std::vector<StateType> out;
  for (const auto& s : states_of(run)) out.push_back(s.type);
  return out;
}

std::vector<engine::TaskRunCreated> RecordedEvents::task_runs_of(const RunId& flow_run) {
  return select<engine::TaskRunCreated>(all(), [&](const auto& t) { return t.flow_run == flow_run; });
}

std::vector<engine::EdgeAdded> RecordedEvents::edges_of(const RunId& flow_run) {
  return select<engine::EdgeAdded>(all(), [&](const auto& e) { return e.flow_run == flow_run; });
}

std::vector<engine::LogRecorded> RecordedEvents::logs_of_task(const RunId& task_run) {
  return select<engine::LogRecorded>(all(), [&](const auto& l) { return l.task_run == task_run; });
}

std::vector<engine::LogRecorded> RecordedEvents::logs_of_flow(const RunId& flow_run) {
  return select<engine::LogRecorded>(all(), [&](const auto& l) { return l.flow_run == flow_run; });
}

std::optional<engine::FlowRunCreated> RecordedEvents::flow_run(const RunId& id) {
  auto runs = select<engine::FlowRunCreated>(all(), [&](const auto& f) { return f.id == id; });
  if (runs.empty()) return std::nullopt;
  return runs.front();
}

std::vector<engine::FlowRunCreated> RecordedEvents::flow_runs_named(const std::string& name) {
  return select<engine::FlowRunCreated>(all(), [&](const auto& f) { return *f.flow_name == name; });
}

std::string worker_count_name(const ::testing::TestParamInfo<int>& info) {
  return info.param == 0 ? std::string("immediate") : std::to_string(info.param) + "workers";
}

RunId last_flow_run() { return detail::last_flow_run_id(); }

}  // namespace baton::testing

// Every engine test records into memory, never into the user's ~/.baton.
int main(int argc, char** argv) {
  auto home = std::filesystem::temp_directory_path() / ("baton-test-engine-" + std::to_string(getpid()));
  std::filesystem::create_directories(home);
  setenv("BATON_HOME", home.c_str(), 1);
  setenv("BATON_HEARTBEAT_SECONDS", "0.2", 1);
  baton::engine::set_run_store_factory([] { return std::make_unique<baton::testing::MemorySink>(); });
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  std::filesystem::remove_all(home);
  return rc;
}

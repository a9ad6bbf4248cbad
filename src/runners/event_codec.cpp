#include "runners/event_codec.h"

#include <baton/detail/run_core.h>

#include <type_traits>

namespace baton::runners {

namespace {

void time(WireWriter& w, TimePoint t) { w.i64(static_cast<std::int64_t>(t.time_since_epoch().count())); }
TimePoint time(WireReader& r) { return TimePoint(TimePoint::duration(r.i64())); }

const std::string* interned(WireReader& r) { return detail::intern(r.str()); }

}  // namespace

void write_event(WireWriter& w, const engine::Event& event) {
  w.u8(static_cast<std::uint8_t>(event.index()));
  std::visit(
      [&w](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, engine::FlowRunCreated>) {
          w.id(e.id), w.id(e.parent_flow_run), w.str(*e.flow_name), w.str(e.run_name), w.str(e.parameters_json);
          w.str(e.tags_json), w.str(e.version), time(w, e.created), w.i64(e.pid), w.u64(e.process_started);
          w.str(e.hostname);
        } else if constexpr (std::is_same_v<E, engine::TaskRunCreated>) {
          w.id(e.id), w.id(e.flow_run), w.str(*e.task_name), w.str(e.run_name), w.str(e.parameters_json);
          w.str(e.tags_json), time(w, e.created);
        } else if constexpr (std::is_same_v<E, engine::StateChanged>) {
          w.id(e.run), w.u8(static_cast<std::uint8_t>(e.kind)), w.u8(static_cast<std::uint8_t>(e.type));
          time(w, e.at), w.str(e.message);
        } else if constexpr (std::is_same_v<E, engine::EdgeAdded>) {
          w.id(e.flow_run), w.id(e.upstream), w.id(e.downstream), w.u8(static_cast<std::uint8_t>(e.kind));
        } else if constexpr (std::is_same_v<E, engine::LogRecorded>) {
          w.id(e.flow_run), w.id(e.task_run), w.u8(static_cast<std::uint8_t>(e.level)), time(w, e.at);
          w.str(e.message);
        } else {
          static_assert(std::is_same_v<E, engine::ResultRecorded>);
          w.id(e.task_run), w.id(e.flow_run), w.str(e.cache_key), w.str(e.location), w.u64(e.size);
          w.str(e.serializer), w.id(e.produced_by), w.u8(e.from_cache ? 1 : 0);
        }
      },
      event);
}

engine::Event read_event(WireReader& r) {
  // Fields are read in declaration order (comma expressions are sequenced).
  switch (r.u8()) {
    case 0: {
      engine::FlowRunCreated e;
      e.id = r.id(), e.parent_flow_run = r.id(), e.flow_name = interned(r), e.run_name = r.str();
      e.parameters_json = r.str(), e.tags_json = r.str(), e.version = r.str(), e.created = time(r);
      e.pid = r.i64(), e.process_started = r.u64(), e.hostname = r.str();
      return e;
    }
    case 1: {
      engine::TaskRunCreated e;
      e.id = r.id(), e.flow_run = r.id(), e.task_name = interned(r), e.run_name = r.str();
      e.parameters_json = r.str(), e.tags_json = r.str(), e.created = time(r);
      return e;
    }
    case 2: {
      engine::StateChanged e;
      e.run = r.id(), e.kind = static_cast<engine::RunKind>(r.u8()), e.type = static_cast<StateType>(r.u8());
      e.at = time(r), e.message = r.str();
      return e;
    }
    case 3: {
      engine::EdgeAdded e;
      e.flow_run = r.id(), e.upstream = r.id(), e.downstream = r.id(), e.kind = static_cast<engine::EdgeKind>(r.u8());
      return e;
    }
    case 4: {
      engine::LogRecorded e;
      e.flow_run = r.id(), e.task_run = r.id(), e.level = static_cast<LogLevel>(r.u8()), e.at = time(r);
      e.message = r.str();
      return e;
    }
    case 5: {
      engine::ResultRecorded e;
      e.task_run = r.id(), e.flow_run = r.id(), e.cache_key = r.str(), e.location = r.str(), e.size = r.u64();
      e.serializer = r.str(), e.produced_by = r.id(), e.from_cache = r.u8() != 0;
      return e;
    }
    default:
      throw Error("a worker sent an event of unknown kind");
  }
}

}  // namespace baton::runners

#pragma once
// The server's ingest format (src/server/openapi.json, IngestBatch/IngestEvent):
// the engine's events as JSON, sent in batches by an engine's HTTP sink and
// decoded by the server. Both sides link baton_store, so the codec lives here.
//
// Times are integer microseconds since the Unix epoch (fields ending in _us);
// ids are RunId text; an empty id is sent as null (and null or absent decodes to
// an empty id where the spec marks the field optional); parameters and tags are
// embedded as JSON values (the engine's parameters_json / tags_json texts).
#include "engine/events.h"
#include "util/status.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace baton::store {

// {"source": ..., "first_seq": N, "events": [...]}. Cheap: one pass appending to a
// string, no JSON tree (it runs on the engine's writer thread). Precondition: the
// events' parameters_json / tags_json are valid JSON (or empty, sent as {} / []).
std::string encode_ingest_batch(std::string_view source, std::uint64_t first_seq,
                                std::span<const engine::Event> events);

// Appends one event as a JSON object (the element of "events").
void append_ingest_event(std::string& out, const engine::Event& event);

struct IngestBatch {
  std::string source;
  std::uint64_t first_seq = 0;
  std::vector<engine::Event> events;
  // The flow and task names the events point at. Decoding does not use the
  // process-wide interner (a server would keep every name any client ever sent);
  // copies of a batch share this storage, so the pointers stay valid while any
  // copy lives.
  std::shared_ptr<const std::deque<std::string>> names;
};

// Errors name the field and the event index ("events[3].state: unknown state
// 'Runing'"). Unknown fields of the batch are refused; unknown fields of an event
// are ignored (IngestEvent allows additional properties, for newer engines).
Result<IngestBatch> decode_ingest_batch(std::string_view json);

}  // namespace baton::store

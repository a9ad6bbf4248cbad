// The server's ingest format: every event kind survives encode -> decode, and a
// malformed batch is refused with an error naming the field and the event.
#include "store/event_json.h"
#include "store_test_util.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace baton::store {
namespace {

using namespace baton::store::testing;
using engine::Event;

TimePoint at_us(long long us) { return TimePoint(std::chrono::microseconds(us)); }

std::vector<Event> every_kind() {
  const RunId flow = RunId::random(), parent = RunId::random(), a = RunId::random(), b = RunId::random();
  engine::FlowRunCreated fc = flow_created(flow, "etl \"quoted\"", at_us(1700000000123456));
  fc.parent_flow_run = parent;
  fc.run_name = "brave-otter";
  fc.parameters_json = R"({"path":"taxi.parquet","n":3,"nested":{"x":[1,2]}})";
  fc.tags_json = R"(["nightly","ü"])";
  fc.version = "1.2";
  engine::TaskRunCreated tc = task_created(a, flow, "load", at_us(1700000000200000));
  tc.run_name = "load-0";
  tc.parameters_json = R"({"upstream":{"upstream":"x"}})";
  tc.tags_json = "[]";
  engine::TaskRunCreated orphan = task_created(b, {}, "orphan", at_us(1700000000300000));
  engine::ResultRecorded rr{a, flow, "key1", "/tmp/results/abc", 1234, "json", b, true};
  engine::ResultRecorded rr_plain{a, {}, "", "/tmp/x", 0, "pickle", {}, false};
  return {fc,
          tc,
          orphan,
          flow_state(flow, StateType::Running, at_us(1700000000100001)),
          task_state(a, StateType::Failed, at_us(1700000000400000), "boom\nline \t two \x01"),
          engine::EdgeAdded{flow, a, b, engine::EdgeKind::Data},
          engine::EdgeAdded{{}, a, b, engine::EdgeKind::WaitFor},
          engine::LogRecorded{flow, a, LogLevel::Warning, at_us(1700000000500000), "careful"},
          engine::LogRecorded{flow, {}, LogLevel::Critical, at_us(1700000000600000), ""},
          rr,
          rr_plain};
}

void expect_same(const Event& x, const Event& y) {
  ASSERT_EQ(x.index(), y.index());
  std::visit(
      [&y](const auto& a) {
        using E = std::decay_t<decltype(a)>;
        const E& b = std::get<E>(y);
        if constexpr (std::is_same_v<E, engine::FlowRunCreated>) {
          EXPECT_EQ(a.id, b.id);
          EXPECT_EQ(a.parent_flow_run, b.parent_flow_run);
          EXPECT_EQ(*a.flow_name, *b.flow_name);
          EXPECT_EQ(a.run_name, b.run_name);
          EXPECT_EQ(nlohmann::json::parse(a.parameters_json), nlohmann::json::parse(b.parameters_json));
          EXPECT_EQ(nlohmann::json::parse(a.tags_json), nlohmann::json::parse(b.tags_json));
          EXPECT_EQ(a.version, b.version);
          EXPECT_EQ(a.created, b.created);
          EXPECT_EQ(a.pid, b.pid);
          EXPECT_EQ(a.process_started, b.process_started);
          EXPECT_EQ(a.hostname, b.hostname);
        } else if constexpr (std::is_same_v<E, engine::TaskRunCreated>) {
          EXPECT_EQ(a.id, b.id);
          EXPECT_EQ(a.flow_run, b.flow_run);
          EXPECT_EQ(*a.task_name, *b.task_name);
          EXPECT_EQ(a.run_name, b.run_name);
          EXPECT_EQ(nlohmann::json::parse(a.parameters_json.empty() ? "{}" : a.parameters_json),
                    nlohmann::json::parse(b.parameters_json));
          EXPECT_EQ(nlohmann::json::parse(a.tags_json.empty() ? "[]" : a.tags_json), nlohmann::json::parse(b.tags_json));
          EXPECT_EQ(a.created, b.created);
        } else if constexpr (std::is_same_v<E, engine::StateChanged>) {
          EXPECT_EQ(a.run, b.run);
          EXPECT_EQ(a.kind, b.kind);
          EXPECT_EQ(a.type, b.type);
          EXPECT_EQ(a.at, b.at);
        } else if constexpr (std::is_same_v<E, engine::EdgeAdded>) {
          EXPECT_EQ(a.flow_run, b.flow_run);
          EXPECT_EQ(a.upstream, b.upstream);
          EXPECT_EQ(a.downstream, b.downstream);
          EXPECT_EQ(a.kind, b.kind);
        } else if constexpr (std::is_same_v<E, engine::LogRecorded>) {
          EXPECT_EQ(a.flow_run, b.flow_run);
          EXPECT_EQ(a.task_run, b.task_run);
          EXPECT_EQ(a.level, b.level);
          EXPECT_EQ(a.at, b.at);
          EXPECT_EQ(a.message, b.message);
        } else {
          EXPECT_EQ(a.task_run, b.task_run);
          EXPECT_EQ(a.flow_run, b.flow_run);
          EXPECT_EQ(a.cache_key, b.cache_key);
          EXPECT_EQ(a.location, b.location);
          EXPECT_EQ(a.size, b.size);
          EXPECT_EQ(a.serializer, b.serializer);
          EXPECT_EQ(a.produced_by, b.produced_by);
          EXPECT_EQ(a.from_cache, b.from_cache);
        }
      },
      x);
}

TEST(EventJson, EveryEventKindSurvivesARoundTrip) {
  const auto events = every_kind();
  const std::string text = encode_ingest_batch("engine-1", 42, events);
  auto batch = decode_ingest_batch(text);
  ASSERT_TRUE(batch.ok()) << batch.status().message() << "\n" << text;
  EXPECT_EQ(batch->source, "engine-1");
  EXPECT_EQ(batch->first_seq, 42u);
  ASSERT_EQ(batch->events.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(i);
    expect_same(events[i], batch->events[i]);
  }
  // State messages with control characters come back byte for byte.
  EXPECT_EQ(std::get<engine::StateChanged>(batch->events[4]).message, "boom\nline \t two \x01");
}

TEST(EventJson, TheEncodingIsTheDocumentedShape) {
  const auto events = every_kind();
  auto doc = nlohmann::json::parse(encode_ingest_batch("s", 1, events));
  EXPECT_EQ(doc["events"][0]["kind"], "flow_run_created");
  EXPECT_EQ(doc["events"][0]["created_us"], 1700000000123456);
  EXPECT_EQ(doc["events"][0]["parameters"]["path"], "taxi.parquet");
  EXPECT_EQ(doc["events"][2]["flow_run"], nullptr);
  EXPECT_EQ(doc["events"][3]["state"], "Running");
  EXPECT_EQ(doc["events"][3]["run_kind"], "flow");
  EXPECT_EQ(doc["events"][6]["edge_kind"], "wait_for");
  EXPECT_EQ(doc["events"][7]["level"], 30);
}

TEST(EventJson, NamesOfADecodedBatchOutliveTheTextAndAreSharedByCopies) {
  std::optional<IngestBatch> copy;
  {
    auto batch = decode_ingest_batch(encode_ingest_batch("s", 1, every_kind()));
    ASSERT_TRUE(batch.ok());
    copy = *batch;
  }
  EXPECT_EQ(*std::get<engine::TaskRunCreated>(copy->events[1]).task_name, "load");
}

TEST(EventJson, AnEmptyBatchIsValid) {
  auto batch = decode_ingest_batch(encode_ingest_batch("s", 7, {}));
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  EXPECT_TRUE(batch->events.empty());
}

std::string error_of(std::string_view text) {
  auto r = decode_ingest_batch(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().message();
}

TEST(EventJson, ErrorsNameTheFieldAndTheEvent) {
  const std::string id = RunId::random().str();
  const std::string good_state = R"({"kind":"state_changed","run":")" + id + R"(","run_kind":"task","state":"Running","at_us":1})";
  const std::string bad_state = R"({"kind":"state_changed","run":")" + id + R"(","run_kind":"task","state":"Runing","at_us":1})";
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[)" + good_state + "," + good_state + "," + good_state + "," +
                     bad_state + "]}"),
            "events[3].state: unknown state 'Runing'");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[{"kind":"state_changed","run":"nope","run_kind":"task","state":"Running","at_us":1}]})"),
            "events[0].run: not a run id: 'nope'");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[{"kind":"state_changed","run":")" + id +
                     R"(","run_kind":"task","state":"Running","at_us":"1"}]})"),
            "events[0].at_us: expected an integer, got string");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[{"kind":"teleported"}]})"),
            "events[0].kind: unknown event kind 'teleported'");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[{"run":"x"}]})"), "events[0].kind: missing");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[{"kind":"log","level":35,"at_us":1}]})"),
            "events[0].level: expected 10, 20, 30, 40 or 50, got 35");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[{"kind":"task_run_created","id":")" + id +
                     R"(","task_name":"t","created_us":1,"parameters":[1]}]})"),
            "events[0].parameters: expected an object, got array");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[{"kind":"flow_run_created","id":")" + id +
                     R"(","created_us":1}]})"),
            "events[0].flow_name: missing");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[7]})"), "events[0]: expected an object, got number");
}

TEST(EventJson, ABadBatchEnvelopeIsRefusedNamingTheField) {
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[)"), "body: malformed JSON at byte 39");
  EXPECT_EQ(error_of("[]"), "body: expected an object, got array");
  EXPECT_EQ(error_of(R"({"first_seq":1,"events":[]})"), "source: missing");
  EXPECT_EQ(error_of(R"({"source":3,"first_seq":1,"events":[]})"), "source: expected a string, got number");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":0,"events":[]})"), "first_seq: expected an integer of at least 1");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":-4,"events":[]})"), "first_seq: expected an integer of at least 1");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":{}})"), "events: expected an array, got object");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[],"extra":1})"), "extra: unknown field");
  EXPECT_EQ(error_of("{\"source\":\"s\xff\",\"first_seq\":1,\"events\":[]}"), "body: not valid UTF-8 at byte 13");
  EXPECT_EQ(error_of(R"({"source":"s","first_seq":1,"events":[]} x)"), "body: malformed JSON at byte 42");
}

}  // namespace
}  // namespace baton::store

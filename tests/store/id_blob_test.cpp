#include "store/id_blob.h"
#include "store/history_codec.h"

#include <gtest/gtest.h>

namespace baton::store {
namespace {

TEST(IdBlob, RoundTripsAndOrdersLikeText) {
  for (int i = 0; i < 100; ++i) {
    const RunId a = RunId::random();
    const RunId b = RunId::random();
    const IdBlob ba = to_blob(a);
    EXPECT_EQ(from_blob(std::string_view(reinterpret_cast<const char*>(ba.data()), ba.size())), a);
    EXPECT_EQ(ba < to_blob(b), a.str() < b.str());
  }
  EXPECT_TRUE(from_blob({}).empty());
}

TEST(IdPrefixRange, BoundsCoverExactlyThePrefix) {
  const RunId id = *RunId::parse("3fa85f64-5717-4562-b3fc-2c963f66afa6");
  for (std::string prefix : {"3", "3f", "3fa", "3FA85F64", "3fa85f64-57", "3fa85f6457174562b3fc2c963f66afa6"}) {
    auto r = id_prefix_range(prefix);
    ASSERT_TRUE(r) << prefix;
    EXPECT_LE(r->lower, to_blob(id)) << prefix;
    ASSERT_TRUE(r->upper) << prefix;
    EXPECT_LT(to_blob(id), *r->upper) << prefix;
  }
  // A neighbour just outside the odd-length prefix "3fb".
  const RunId outside = *RunId::parse("3fb00000-0000-4000-8000-000000000000");
  auto r = id_prefix_range("3fa");
  EXPECT_FALSE(to_blob(outside) < *r->upper);
}

TEST(IdPrefixRange, AllFsHasNoUpperBoundAndCarries) {
  auto r = id_prefix_range("ff");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->upper);
  auto carry = id_prefix_range("1ff");
  ASSERT_TRUE(carry && carry->upper);
  EXPECT_EQ((*carry->upper)[0], 0x20);
  EXPECT_EQ((*carry->upper)[1], 0x00);
}

TEST(IdPrefixRange, RejectsNonHexAndEmpty) {
  EXPECT_FALSE(id_prefix_range(""));
  EXPECT_FALSE(id_prefix_range("-"));
  EXPECT_FALSE(id_prefix_range("xyz"));
  EXPECT_FALSE(id_prefix_range("3fa8 "));
  EXPECT_FALSE(id_prefix_range(std::string(33, 'a')));
}

TEST(HistoryCodec, EscapesAndReplacesInvalidUtf8) {
  std::string h = "[";
  append_transition_json(h, StateType::Running, 1, {});
  h += ",";
  append_transition_json(h, StateType::Failed, 2, "bad \"quote\"\n\ttab \x01 caf\xc3\xa9 \xff\xfe end");
  h += "]";
  auto parsed = parse_history(h);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].type, StateType::Running);
  EXPECT_EQ(parsed[0].message, "");
  EXPECT_EQ(parsed[1].type, StateType::Failed);
  EXPECT_EQ(parsed[1].at, from_micros(2));
  EXPECT_EQ(parsed[1].message, "bad \"quote\"\n\ttab \x01 caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end");
}

TEST(HistoryCodec, SkipsWhatItCannotRead) {
  EXPECT_TRUE(parse_history("not json").empty());
  auto parsed = parse_history(R"([["Running",5],["NoSuchState",6],[1,2],["Completed",7,"ok"]])");
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[1].message, "ok");
}

TEST(TaskRunPack, EntriesComeBackWithTheirStateDerivedFromTheHistory) {
  const RunId flow = RunId::random();
  const RunId a = RunId::random();
  const RunId b = RunId::random();
  std::string ids;
  for (const RunId& id : {a, b}) {
    const IdBlob blob = to_blob(id);
    ids.append(reinterpret_cast<const char*>(blob.data()), blob.size());
  }
  std::string runs = "[";
  std::string ha = "[";
  append_transition_json(ha, StateType::Pending, 10, {});
  ha += ",";
  append_transition_json(ha, StateType::Running, 11, {});
  append_next_transition_json(ha, StateType::Completed, 12, {});  // kept open, as the writer does
  append_packed_task_run(runs, "load", "load-1", R"({"path": "a\b.parquet"})", "", 10, ha);
  // The second entry takes the general escaper's path: control bytes and UTF-8.
  std::string hb = "[";
  append_transition_json(hb, StateType::Pending, 20, {});
  hb += ",";
  append_transition_json(hb, StateType::Retrying, 21, {});
  append_next_transition_json(hb, StateType::Failed, 22, "bad\n\x01 caf\xc3\xa9");
  append_packed_task_run(runs, "caf\xc3\xa9", "run\tname", "{}", R"(["nightly"])", 20, hb);
  runs += "]";

  int unreadable = -1;
  auto got = parse_task_run_pack(flow, ids, runs, &unreadable);
  EXPECT_EQ(unreadable, 0);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, a);
  EXPECT_EQ(got[0].flow_run, flow);
  EXPECT_EQ(got[0].task_name, "load");
  EXPECT_EQ(got[0].run_name, "load-1");
  EXPECT_EQ(got[0].parameters_json, R"({"path": "a\b.parquet"})");
  EXPECT_EQ(got[0].tags_json, "[]");
  EXPECT_EQ(got[0].created, from_micros(10));
  EXPECT_EQ(got[0].state, StateType::Completed);
  EXPECT_EQ(got[0].state_time, from_micros(12));
  EXPECT_EQ(got[0].start_time, from_micros(11));
  EXPECT_EQ(got[0].end_time, from_micros(12));
  ASSERT_EQ(got[0].history.size(), 3u);
  EXPECT_EQ(got[1].id, b);
  EXPECT_EQ(got[1].task_name, "caf\xc3\xa9");
  EXPECT_EQ(got[1].run_name, "run\tname");
  EXPECT_EQ(got[1].tags_json, R"(["nightly"])");
  EXPECT_EQ(got[1].state, StateType::Failed);
  EXPECT_EQ(got[1].state_message, "bad\n\x01 caf\xc3\xa9");
  EXPECT_EQ(got[1].start_time, from_micros(21));  // a Retrying starts an attempt too
  ASSERT_EQ(got[1].history.size(), 3u);
}

TEST(TaskRunPack, AnUnreadableEntryIsSkippedAndCounted) {
  const RunId flow = RunId::random();
  const IdBlob blob = to_blob(RunId::random());
  std::string ids(reinterpret_cast<const char*>(blob.data()), blob.size());
  ids += ids;
  int unreadable = 0;
  auto got = parse_task_run_pack(flow, ids, R"([["t","r","{}","[]",1,[["Completed",2]]],[1,2,3]])", &unreadable);
  EXPECT_EQ(got.size(), 1u);
  EXPECT_EQ(unreadable, 1);
  EXPECT_TRUE(parse_task_run_pack(flow, ids, "not json", &unreadable).empty());
  EXPECT_GT(unreadable, 0);
}

}  // namespace
}  // namespace baton::store

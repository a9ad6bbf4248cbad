#include "results/result_store.h"

#include "results/result_settings.h"
#include "testutil/fake_clock.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>

namespace baton {
namespace {

using namespace std::chrono_literals;

// Wraps a real storage and counts payload reads, to show that cache checks read
// metadata only. Can also hide the contiguous view, as a network stream would.
class CountingStorage final : public ResultStorage {
 public:
  explicit CountingStorage(std::shared_ptr<ResultStorage> inner, bool stream_only = false)
      : inner_(std::move(inner)), stream_only_(stream_only) {}
  int payload_reads = 0;

  std::string location() const override { return inner_->location(); }
  Result<std::unique_ptr<PayloadWriter>> write_payload(std::string_view key) override {
    return inner_->write_payload(key);
  }
  Result<std::unique_ptr<PayloadReader>> read_payload(std::string_view key) override {
    ++payload_reads;
    auto r = inner_->read_payload(key);
    if (!r.ok() || !*r || !stream_only_) return r;
    return std::unique_ptr<PayloadReader>(new StreamOnly(std::move(*r)));
  }
  Status delete_payload(std::string_view key) override { return inner_->delete_payload(key); }
  Status put_metadata(std::string_view key, std::string_view record) override {
    return inner_->put_metadata(key, record);
  }
  Result<std::optional<std::string>> get_metadata(std::string_view key) override { return inner_->get_metadata(key); }
  Result<bool> has_metadata(std::string_view key) override { return inner_->has_metadata(key); }
  Status delete_metadata(std::string_view key) override { return inner_->delete_metadata(key); }
  Result<std::vector<std::string>> list_metadata(std::string_view prefix) override {
    return inner_->list_metadata(prefix);
  }

 private:
  class StreamOnly final : public PayloadReader {
   public:
    explicit StreamOnly(std::unique_ptr<PayloadReader> r) : r_(std::move(r)) {}
    Result<std::size_t> read(void* d, std::size_t n) override { return r_->read(d, std::min<std::size_t>(n, 1000)); }
    std::optional<std::uint64_t> size() const override { return r_->size(); }
    Result<std::size_t> read_at(std::uint64_t o, void* d, std::size_t n) override { return r_->read_at(o, d, n); }

   private:
    std::unique_ptr<PayloadReader> r_;
  };
  std::shared_ptr<ResultStorage> inner_;
  bool stream_only_;
};

struct Setup {
  std::string name;
  Serializer serializer;
  bool local;
  bool stream_only;
};

void PrintTo(const Setup& s, std::ostream* os) { *os << s.name; }

class EveryStore : public ::testing::TestWithParam<Setup> {
 protected:
  void SetUp() override {
    auto inner = GetParam().local ? make_local_storage((dir_.path() / "store").string()) : make_memory_storage();
    counting_ = std::make_shared<CountingStorage>(inner, GetParam().stream_only);
    store_ = std::make_unique<ResultStore>(counting_, GetParam().serializer, clock_);
  }
  PersistOptions options(std::string cache_key) {
    PersistOptions o;
    o.cache_key = std::move(cache_key);
    o.task_name = "transform";
    o.task_run_id = RunId{5, 6};
    return o;
  }
  // Damages the stored payload: in place for the local store, rewritten for memory.
  void damage(const ResultRecord& r, bool truncate) {
    auto reader = store_->storage().read_payload(r.storage_key);
    ASSERT_TRUE(reader.ok() && *reader);
    std::string bytes(static_cast<std::size_t>(*(*reader)->size()), '\0');
    ASSERT_EQ(*(*reader)->read_at(0, bytes.data(), bytes.size()), bytes.size());
    reader->reset();
    if (truncate) {
      bytes.resize(bytes.size() / 2);
    } else {
      bytes[bytes.size() / 2] ^= 0x10;
    }
    auto w = store_->storage().write_payload(r.storage_key);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->write(bytes.data(), bytes.size()).ok());
    ASSERT_TRUE((*w)->commit().ok());
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::shared_ptr<CountingStorage> counting_;
  std::unique_ptr<ResultStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Stores, EveryStore,
                         ::testing::Values(Setup{"memory_binary", Serializer::binary(), false, false},
                                           Setup{"local_binary", Serializer::binary(), true, false},
                                           Setup{"local_json", Serializer::json(), true, false},
                                           Setup{"local_zstd", Serializer::binary().compressed(), true, false},
                                           Setup{"streamed_binary", Serializer::binary(), false, true},
                                           Setup{"streamed_zstd_json", Serializer::json().compressed(), true, true}),
                         [](const auto& param_info) { return param_info.param.name; });

TEST_P(EveryStore, PersistLookupLoad) {
  const std::map<std::string, std::vector<double>> value{{"a", {1, 2, 3}}, {"b", {}}};
  auto rec = store_->persist(value, options("k1"));
  ASSERT_TRUE(rec.ok()) << rec.status().message();
  EXPECT_EQ(rec->key, "k1");
  EXPECT_EQ(rec->storage_key, "k1");
  EXPECT_EQ(rec->cache_key, "k1");
  EXPECT_EQ(rec->serializer, GetParam().serializer.name());
  EXPECT_EQ(rec->type_name, (type_name<std::map<std::string, std::vector<double>>>()));
  EXPECT_EQ(rec->task_name, "transform");
  EXPECT_EQ(rec->task_run_id, (RunId{5, 6}));
  EXPECT_EQ(rec->created, clock_.now());
  EXPECT_FALSE(rec->expires);
  EXPECT_GT(rec->size, 0u);

  auto found = store_->lookup("k1");
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ((*found)->checksum, rec->checksum);
  EXPECT_EQ((*found)->size, rec->size);
  EXPECT_EQ((*found)->created, rec->created);
  EXPECT_EQ(counting_->payload_reads, 0) << "a cache check must read metadata only";

  auto loaded = store_->load<std::map<std::string, std::vector<double>>>(**found);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value(), value);
  EXPECT_FALSE(store_->verify(**found));
}

TEST_P(EveryStore, LookupOfUnknownKeyIsNone) {
  auto found = store_->lookup("never-written");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(*found);
}

TEST_P(EveryStore, CorruptPayloadIsDetectedAsCorrupt) {
  auto rec = store_->persist(std::vector<std::int64_t>(10'000, 7), options("k"));
  ASSERT_TRUE(rec.ok());
  damage(*rec, /*truncate=*/false);
  auto loaded = store_->load<std::vector<std::int64_t>>(*rec);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, LoadErrorKind::Corrupt) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find("checksum"), std::string::npos);
  EXPECT_NE(loaded.error().message.find("'k'"), std::string::npos);
}

TEST_P(EveryStore, TruncatedPayloadIsDetectedAsCorrupt) {
  auto rec = store_->persist(std::string(50'000, 'x'), options("k"));
  ASSERT_TRUE(rec.ok());
  damage(*rec, /*truncate=*/true);
  auto loaded = store_->load<std::string>(*rec);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, LoadErrorKind::Corrupt);
  EXPECT_NE(loaded.error().message.find("truncated"), std::string::npos) << loaded.error().message;
}

TEST_P(EveryStore, MissingPayloadAndWrongTypeAreDistinctErrors) {
  auto rec = store_->persist(42, options("k"));
  ASSERT_TRUE(rec.ok());
  auto wrong = store_->load<double>(*rec);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, LoadErrorKind::TypeMismatch);
  ASSERT_TRUE(store_->storage().delete_payload(rec->storage_key).ok());
  auto gone = store_->load<int>(*rec);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, LoadErrorKind::Missing);
}

TEST_P(EveryStore, ExpirationFollowsTheClock) {
  auto o = options("exp");
  o.expiration = 10min;
  auto rec = store_->persist(std::string("v"), o);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->expires, clock_.now() + 10min);
  clock_.advance(9min);
  EXPECT_TRUE(*store_->lookup("exp"));
  clock_.advance(1min);
  EXPECT_FALSE(*store_->lookup("exp"));                   // expired: a miss
  EXPECT_TRUE(*store_->get_record("exp"));                // but the record is still there
  EXPECT_TRUE(*store_->lookup("exp", clock_.now() - 2min));  // lookup at an explicit time
}

TEST_P(EveryStore, RecomputeOverwrites) {
  ASSERT_TRUE(store_->persist(std::string("first"), options("k")).ok());
  clock_.advance(1s);
  auto second = store_->persist(std::string("second"), options("k"));
  ASSERT_TRUE(second.ok());
  auto found = store_->lookup("k");
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->created, second->created);
  EXPECT_EQ(store_->load<std::string>(**found).value(), "second");
}

TEST_P(EveryStore, ExplicitStorageKeyAndNoCacheKey) {
  PersistOptions o;
  o.storage_key = "taxi/2024-01.bin";
  o.cache_key = "abc";
  auto rec = store_->persist(std::vector<int>{1, 2}, o);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->key, "abc");
  EXPECT_EQ(rec->storage_key, "taxi/2024-01.bin");
  EXPECT_TRUE(*store_->storage().read_payload("taxi/2024-01.bin"));
  EXPECT_EQ(store_->load<std::vector<int>>(**store_->lookup("abc")).value(), (std::vector<int>{1, 2}));

  auto anon = store_->persist(std::string("no cache"), PersistOptions{});
  ASSERT_TRUE(anon.ok());
  EXPECT_FALSE(anon->cache_key);
  EXPECT_TRUE(anon->storage_key.starts_with("results/"));
  EXPECT_EQ(anon->key, anon->storage_key);
  EXPECT_EQ(store_->load<std::string>(*anon).value(), "no cache");
}

TEST_P(EveryStore, FailedSerializationLeavesNothing) {
  auto rec = store_->persist_with("int", options("boom"), [](ByteSink& sink) {
    const char bytes[4] = {1, 2, 3, 4};
    (void)sink.write(bytes, 4);
    throw SerializationError("the value could not be written");
  });
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.status().message().find("could not be written"), std::string::npos);
  EXPECT_FALSE(*store_->lookup("boom"));
  EXPECT_FALSE(*store_->storage().read_payload("boom"));
}

TEST_P(EveryStore, ListRemoveAndClear) {
  auto o1 = options("k1");
  auto o2 = options("k2");
  o2.task_name = "load";
  auto o3 = options("k3");
  o3.expiration = 1min;
  ASSERT_TRUE(store_->persist(1, o1).ok());
  ASSERT_TRUE(store_->persist(2, o2).ok());
  ASSERT_TRUE(store_->persist(3, o3).ok());
  auto listing = store_->list();
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->records.size(), 3u);
  EXPECT_EQ(listing->records[0].key, "k1");
  EXPECT_TRUE(listing->problems.empty());

  clock_.advance(2min);
  auto cleared = store_->clear(/*expired_only=*/true, std::nullopt, clock_.now());
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(cleared->removed, 1u);
  EXPECT_FALSE(*store_->get_record("k3"));
  EXPECT_FALSE(*store_->storage().read_payload("k3"));

  cleared = store_->clear(false, std::string_view("load"), clock_.now());
  EXPECT_EQ(cleared->removed, 1u);
  EXPECT_FALSE(*store_->get_record("k2"));
  EXPECT_TRUE(*store_->get_record("k1"));

  ASSERT_TRUE(store_->remove("k1").ok());
  EXPECT_TRUE(store_->list()->records.empty());
  EXPECT_TRUE(store_->remove("k1").ok());  // already gone: fine
}

TEST_P(EveryStore, UnreadableRecordIsReportedNotFatal) {
  ASSERT_TRUE(store_->persist(1, options("good")).ok());
  ASSERT_TRUE(store_->storage().put_metadata("bad", "{\"format\":\"baton.result.v1\",\"key\":3}").ok());
  auto listing = store_->list();
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->records.size(), 1u);
  ASSERT_EQ(listing->problems.size(), 1u);
  EXPECT_NE(listing->problems[0].find("'bad'"), std::string::npos) << listing->problems[0];
  auto looked = store_->lookup("bad");
  ASSERT_FALSE(looked.ok());
  EXPECT_NE(looked.status().message().find("field 'key'"), std::string::npos);
  auto cleared = store_->clear(false, std::nullopt, clock_.now());
  EXPECT_EQ(cleared->removed, 2u);
}

TEST(ResultRecord, EncodeDecodeRoundTrip) {
  ResultRecord r;
  r.key = "0123456789abcdef0123456789abcdef";
  r.storage_key = "taxi/a.bin";
  r.storage = "/data/store";
  r.serializer = "zstd+binary";
  r.type_name = "std::vector<double>";
  r.size = 123456789012ull;
  r.checksum = 0xfedcba9876543210ull;
  r.created = ResultRecord::TimePoint(std::chrono::microseconds(1'764'000'000'123'456));
  r.expires = r.created + 1h;
  r.cache_key = r.key;
  r.task_name = "transform";
  r.task_run_id = RunId::random();
  const std::string text = encode_record(r);
  auto back = decode_record(text, r.key);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->key, r.key);
  EXPECT_EQ(back->storage_key, r.storage_key);
  EXPECT_EQ(back->serializer, r.serializer);
  EXPECT_EQ(back->type_name, r.type_name);
  EXPECT_EQ(back->size, r.size);
  EXPECT_EQ(back->checksum, r.checksum);
  EXPECT_EQ(back->created, r.created);
  EXPECT_EQ(back->expires, r.expires);
  EXPECT_EQ(back->cache_key, r.cache_key);
  EXPECT_EQ(back->task_run_id, r.task_run_id);
  EXPECT_NE(text.find("\"created\": \"2025-11-24T16:00:00.123456Z\""), std::string::npos) << text;

  for (std::string_view bad : {"", "[]", "{\"format\":\"other\"}", "{\"format\":\"baton.result.v1\"}"}) {
    auto d = decode_record(bad, "some/key");
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.status().message().find("'some/key'"), std::string::npos);
  }
}

TEST(ResultSettings, StorageAndPersistFromEnvironment) {
  testing::TempDir dir;
  ::setenv("BATON_HOME", dir.path().c_str(), 1);
  ::unsetenv("BATON_RESULT_STORAGE");
  ::unsetenv("BATON_PERSIST_RESULTS");
  EXPECT_EQ(results::storage_location(), (dir.path() / "storage").string());
  EXPECT_EQ(results::locks_dir(), dir.path() / "locks");
  EXPECT_FALSE(results::persist_results_by_default());
  ::setenv("BATON_RESULT_STORAGE", (dir.path() / "elsewhere").c_str(), 1);
  ::setenv("BATON_PERSIST_RESULTS", "yes", 1);
  EXPECT_EQ(results::storage_location(), (dir.path() / "elsewhere").string());
  EXPECT_TRUE(results::persist_results_by_default());
  auto s = results::open_default_storage();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->location(), (dir.path() / "elsewhere").string());
  ::setenv("BATON_PERSIST_RESULTS", "maybe", 1);
  EXPECT_THROW(results::persist_results_by_default(), std::invalid_argument);
  // s3:// is opened by the S3 backend (tests/s3); a scheme nobody knows is refused.
  auto gs = results::open_storage("gs://bucket/prefix");
  ASSERT_FALSE(gs.ok());
  EXPECT_NE(gs.status().message().find("gs"), std::string::npos);
  EXPECT_EQ((*results::open_storage("memory"))->location(), "memory");
  ::unsetenv("BATON_RESULT_STORAGE");
  ::unsetenv("BATON_PERSIST_RESULTS");
  ::unsetenv("BATON_HOME");
}

}  // namespace
}  // namespace baton

namespace res_test {
// A user type whose load refuses what it reads, as a type whose layout changed might.
struct Strict {
  int version = 2;
  template <class Archive>
  void serialize(Archive& ar) {
    ar("version", version);
    if (Archive::is_loading && version != 2) {
      throw std::runtime_error("version " + std::to_string(version) + " unsupported");
    }
  }
};
}  // namespace res_test

namespace baton {
namespace {

TEST(ResultStore, ExceptionFromAUserSerializerIsAFormatErrorNotACrash) {
  testing::TempDir dir;
  ResultStore store(make_local_storage((dir.path() / "s").string()));
  PersistOptions o;
  o.cache_key = "strict";
  res_test::Strict old;
  old.version = 1;
  auto rec = store.persist(old, o);
  ASSERT_TRUE(rec.ok());
  auto loaded = store.load<res_test::Strict>(*rec);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, LoadErrorKind::Format);
  EXPECT_NE(loaded.error().message.find("version 1 unsupported"), std::string::npos) << loaded.error().message;
}

}  // namespace
}  // namespace baton

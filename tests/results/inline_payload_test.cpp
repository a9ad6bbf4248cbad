// Small results on a local storage keep their payload inside their record (one
// file per result): every value type and serializer reads back identically, a
// record written by the previous layout (payload file + record) is still a hit,
// and a damaged inline record is a clear error or a Corrupt load, never a crash.
#include "results/result_store.h"
#include "util/hash.h"
#include "testutil/temp_dir.h"

#include "sample_types.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace baton {
namespace {

namespace fs = std::filesystem;
using results_test::Color;
using results_test::Point;

PersistOptions options(const std::string& key) {
  PersistOptions o;
  o.cache_key = key;
  o.task_name = "inline";
  return o;
}

std::size_t files_under(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    n += it->is_regular_file(ec) ? 1 : 0;
  }
  return n;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class InlinePayloads : public ::testing::TestWithParam<Serializer> {
 protected:
  fs::path root() const { return dir_.path() / "store"; }

  // Persists `value` under `key`, checks it went inline (the record is the only
  // file), then reads it back through a fresh storage (nothing in memory).
  template <class T>
  void round_trip(const std::string& key, const T& value) {
    ResultStore store(make_local_storage(root().string()), GetParam());
    auto rec = store.persist(value, options(key));
    ASSERT_TRUE(rec.ok()) << rec.status().message();
    ASSERT_NE(rec->inline_payload, nullptr) << key << ": a small value was not inlined";
    EXPECT_FALSE(fs::exists(root() / key)) << key << ": an inline payload also got a payload file";

    ResultStore reader(make_local_storage(root().string()), GetParam());
    auto found = reader.lookup(key);
    ASSERT_TRUE(found.ok()) << found.status().message();
    ASSERT_TRUE(found->has_value()) << key;
    ASSERT_NE((*found)->inline_payload, nullptr);
    EXPECT_EQ(*(*found)->inline_payload, *rec->inline_payload) << key;
    auto loaded = reader.load<T>(**found);
    ASSERT_TRUE(loaded.ok()) << key << ": " << loaded.error().message;
    EXPECT_EQ(loaded.value(), value) << key;
  }

  testing::TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Serializers, InlinePayloads,
                         results_test::every_serializer(), results_test::SerializerName());

TEST_P(InlinePayloads, EveryValueTypeReadsBackIdentically) {
  round_trip("bool", true);
  round_trip("int", -42);
  round_trip("u64", std::numeric_limits<std::uint64_t>::max());
  round_trip("double", 0.1);
  round_trip("enum", Color::Green);
  round_trip("empty-string", std::string());
  // Every byte value, zeros and high bytes included (base64 in the record). Only
  // the binary serializers write strings that are not UTF-8 (JSON refuses them).
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  if (GetParam().name().find("json") == std::string::npos) {
    round_trip("all-bytes", bytes);
  } else {
    round_trip("all-bytes", std::vector<std::byte>(reinterpret_cast<const std::byte*>(bytes.data()),
                                                    reinterpret_cast<const std::byte*>(bytes.data() + bytes.size())));
  }
  round_trip("utf8", std::string("caf\xc3\xa9 \"quoted\" \\ \n"));
  round_trip("vector", std::vector<double>(16, 0.25));
  round_trip("bytes", std::vector<std::byte>{std::byte{0}, std::byte{255}, std::byte{10}});
  round_trip("map", std::map<std::string, std::vector<int>>{{"a", {1, 2}}, {"", {}}});
  round_trip("tuple", std::tuple<int, double, std::string, bool>{1, 2.5, "s", true});
  round_trip("optional", std::optional<std::string>());
  round_trip("variant", std::variant<int, std::string>(std::string("v")));
  round_trip("user-type", Point{1.5, -2, "corner", {1, 2, 3}});
  round_trip("nested/key/path", std::vector<Point>{Point{0, 1, "a", {}}, Point{2, 3, "b", {4}}});
  // Three payload lengths modulo 3: each of base64's paddings.
  round_trip("pad0", std::string("abc"));
  round_trip("pad1", std::string("abcd"));
  round_trip("pad2", std::string("abcde"));
  // One file per small result: the records, nothing else.
  EXPECT_EQ(files_under(root() / ".baton-meta"), 19u);
  EXPECT_EQ(files_under(root()), 19u);
}

TEST(InlinePayload, AValueJustOverTheLimitGetsItsOwnPayloadFile) {
  testing::TempDir dir;
  auto root = [&] { return dir.path() / "store"; };
  ResultStore store(make_local_storage(root().string()), Serializer::binary());
  // Binary layout of a string: its bytes plus a length prefix.
  const std::string small(kLocalInlinePayloadLimit - 16, 's'), large(kLocalInlinePayloadLimit + 1, 'l');
  auto a = store.persist(small, options("small"));
  auto b = store.persist(large, options("large"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->inline_payload, nullptr);
  EXPECT_EQ(b->inline_payload, nullptr);
  EXPECT_TRUE(fs::exists(root() / "large"));
  ResultStore reader(make_local_storage(root().string()));
  EXPECT_EQ(reader.load<std::string>(**reader.lookup("small")).value(), small);
  EXPECT_EQ(reader.load<std::string>(**reader.lookup("large")).value(), large);
}

TEST(InlinePayload, ARecordOfThePreviousLayoutIsStillAHit) {
  testing::TempDir dir;
  const fs::path root = dir.path() / "store";
  // What the previous version wrote for a small value: a payload file and a
  // record naming it, with no inline payload.
  const std::vector<double> value(16, 0.5);
  {
    auto storage = make_local_storage(root.string());
    std::string bytes;
    {
      StringSink sink;
      serialize_to(Serializer::binary(), value, sink);
      bytes = sink.str();
    }
    auto w = storage->write_payload("old");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->write(bytes.data(), bytes.size()).ok());
    ASSERT_TRUE((*w)->commit().ok());
    ResultRecord r;
    r.key = r.storage_key = "old";
    r.storage = root.string();
    r.serializer = "binary";
    r.type_name = type_name<std::vector<double>>();
    r.size = bytes.size();
    r.checksum = hash64(bytes.data(), bytes.size());
    r.created = std::chrono::system_clock::now();
    r.cache_key = "old";
    const std::string text = encode_record(r);
    ASSERT_EQ(text.find("inline_payload"), std::string::npos);
    ASSERT_TRUE(storage->put_metadata("old", text).ok());
  }
  ResultStore reader(make_local_storage(root.string()));
  auto found = reader.lookup("old");
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->inline_payload, nullptr);
  auto loaded = reader.load<std::vector<double>>(**found);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value(), value);
}

class DamagedInlineRecord : public ::testing::Test {
 protected:
  void SetUp() override {
    ResultStore store(make_local_storage(root().string()));
    auto rec = store.persist(std::string("a small value"), options("k"));
    ASSERT_TRUE(rec.ok());
    ASSERT_NE(rec->inline_payload, nullptr);
    text_ = read_file(file());
  }
  fs::path root() const { return dir_.path() / "store"; }
  fs::path file() const { return root() / ".baton-meta" / "k.json"; }
  void write(const std::string& text) { std::ofstream(file(), std::ios::binary | std::ios::trunc) << text; }
  // The lookup's error, through a fresh storage.
  std::string lookup_error() {
    auto found = ResultStore(make_local_storage(root().string())).lookup("k");
    return found.ok() ? std::string() : found.status().message();
  }

  testing::TempDir dir_;
  std::string text_;
};

TEST_F(DamagedInlineRecord, ATruncatedRecordIsAnErrorNamingTheKeyAndTheFile) {
  write(text_.substr(0, text_.find("inline_payload") + 20));
  const std::string error = lookup_error();
  ASSERT_FALSE(error.empty()) << "a truncated record was read";
  EXPECT_NE(error.find("'k'"), std::string::npos) << error;
  EXPECT_NE(error.find(file().string()), std::string::npos) << error;
}

TEST_F(DamagedInlineRecord, AnInlinePayloadThatIsNotBase64IsAnErrorNamingTheField) {
  const std::size_t at = text_.find("\"inline_payload\": \"") + 19;
  std::string bad = text_;
  bad[at] = '*';
  write(bad);
  const std::string error = lookup_error();
  ASSERT_FALSE(error.empty()) << "a damaged inline payload was read";
  EXPECT_NE(error.find("'k'"), std::string::npos) << error;
  EXPECT_NE(error.find("inline_payload"), std::string::npos) << error;
  EXPECT_NE(error.find(file().string()), std::string::npos) << error;
}

TEST_F(DamagedInlineRecord, ChangedInlineBytesAreACorruptLoadNamingTheKey) {
  // Valid base64 of other bytes of the same length: only the checksum can tell.
  const std::size_t at = text_.find("\"inline_payload\": \"") + 19 + 8;
  std::string bad = text_;
  bad[at] = bad[at] == 'A' ? 'B' : 'A';
  write(bad);
  ResultStore reader(make_local_storage(root().string()));
  auto found = reader.lookup("k");
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_TRUE(found->has_value());
  auto loaded = reader.load<std::string>(**found);
  ASSERT_FALSE(loaded.ok()) << "damaged bytes were loaded";
  EXPECT_EQ(loaded.error().kind, LoadErrorKind::Corrupt);
  EXPECT_NE(loaded.error().message.find("'k'"), std::string::npos) << loaded.error().message;
}

TEST_F(DamagedInlineRecord, AnInlinePayloadOfAnotherLengthIsACorruptLoad) {
  const std::size_t at = text_.find("\"inline_payload\": \"") + 19;
  std::string bad = text_;
  bad.insert(at, "AAAA");  // three more bytes
  write(bad);
  ResultStore reader(make_local_storage(root().string()));
  auto found = reader.lookup("k");
  ASSERT_TRUE(found.ok() && found->has_value());
  auto loaded = reader.load<std::string>(**found);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, LoadErrorKind::Corrupt);
  EXPECT_NE(loaded.error().message.find("says"), std::string::npos) << loaded.error().message;
}

}  // namespace
}  // namespace baton

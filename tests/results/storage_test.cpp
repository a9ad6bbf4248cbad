#include <baton/result_storage.h>

#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>

namespace baton {
namespace {

struct Backend {
  std::string name;
  std::function<std::shared_ptr<ResultStorage>(const std::filesystem::path&)> make;
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

class EveryStorage : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { storage_ = GetParam().make(dir_.path()); }
  testing::TempDir dir_;
  std::shared_ptr<ResultStorage> storage_;

  void put(std::string_view key, std::string_view bytes) {
    auto w = storage_->write_payload(key);
    ASSERT_TRUE(w.ok()) << w.status().message();
    ASSERT_TRUE((*w)->write(bytes.data(), bytes.size()).ok());
    ASSERT_TRUE((*w)->commit().ok());
  }
  std::optional<std::string> get(std::string_view key) {
    auto r = storage_->read_payload(key);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok() || !*r) return std::nullopt;
    std::string out;
    char buf[5];
    for (;;) {
      auto n = (*r)->read(buf, sizeof buf);
      EXPECT_TRUE(n.ok());
      if (*n == 0) break;
      out.append(buf, *n);
    }
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(
    Backends, EveryStorage,
    ::testing::Values(Backend{"memory", [](const std::filesystem::path&) { return make_memory_storage(); }},
                      Backend{"local", [](const std::filesystem::path& p) { return make_local_storage(p / "store"); }}),
    [](const auto& param_info) { return param_info.param.name; });

TEST_P(EveryStorage, PayloadBecomesVisibleOnlyOnCommit) {
  auto w = storage_->write_payload("a/b.bin");
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_TRUE((*w)->write("hello ", 6).ok());
  EXPECT_FALSE(get("a/b.bin"));
  ASSERT_TRUE((*w)->write("world", 5).ok());
  EXPECT_EQ((*w)->bytes_written(), 11u);
  ASSERT_TRUE((*w)->commit().ok());
  EXPECT_EQ(get("a/b.bin"), "hello world");
  EXPECT_FALSE((*w)->write("x", 1).ok());  // a committed writer is done
}

TEST_P(EveryStorage, AbortedOrDroppedWritersLeaveNothing) {
  {
    auto w = storage_->write_payload("k1");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->write("x", 1).ok());
    (*w)->abort();
  }
  {
    auto w = storage_->write_payload("k2");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->write("x", 1).ok());
  }  // destroyed without commit
  EXPECT_FALSE(get("k1"));
  EXPECT_FALSE(get("k2"));
  if (GetParam().name == "local") {
    // No temporaries left behind either (in .baton-tmp or its numbered subdirectories).
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir_.path() / "store" / ".baton-tmp", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      EXPECT_FALSE(it->is_regular_file()) << it->path() << " was left behind";
    }
    EXPECT_FALSE(ec) << ec.message();
  }
}

TEST_P(EveryStorage, OverwriteReplacesWholeAndOpenReadersKeepTheOldBytes) {
  put("k", "old bytes");
  auto reader = storage_->read_payload("k");
  ASSERT_TRUE(reader.ok() && *reader);
  put("k", "new");
  EXPECT_EQ(get("k"), "new");
  char buf[16] = {};
  auto n = (*reader)->read(buf, sizeof buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "old bytes");
}

TEST_P(EveryStorage, RangedReadsAndSizeAndContiguousView) {
  put("r", "0123456789");
  auto r = storage_->read_payload("r");
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ((*r)->size(), 10u);
  char buf[4];
  auto n = (*r)->read_at(3, buf, 4);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "3456");
  n = (*r)->read_at(8, buf, 4);
  EXPECT_EQ(std::string(buf, *n), "89");
  n = (*r)->read_at(10, buf, 4);
  EXPECT_EQ(*n, 0u);
  auto mem = (*r)->contiguous();
  ASSERT_TRUE(mem);  // both backends hold the payload in memory (local: mmap)
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(mem->data()), mem->size()), "0123456789");
}

TEST_P(EveryStorage, EmptyPayload) {
  put("empty", "");
  EXPECT_EQ(get("empty"), "");
  auto r = storage_->read_payload("empty");
  EXPECT_EQ((*r)->size(), 0u);
}

TEST_P(EveryStorage, MissingObjectsAreNotErrors) {
  auto r = storage_->read_payload("nope");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  auto m = storage_->get_metadata("nope");
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(*m);
  EXPECT_FALSE(*storage_->has_metadata("nope"));
  EXPECT_TRUE(storage_->delete_payload("nope").ok());
  EXPECT_TRUE(storage_->delete_metadata("nope").ok());
}

TEST_P(EveryStorage, MetadataPutGetListDelete) {
  ASSERT_TRUE(storage_->put_metadata("b", "{2}").ok());
  ASSERT_TRUE(storage_->put_metadata("a", "{1}").ok());
  ASSERT_TRUE(storage_->put_metadata("dir/c", "{3}").ok());
  EXPECT_EQ(**storage_->get_metadata("a"), "{1}");
  EXPECT_TRUE(*storage_->has_metadata("dir/c"));
  EXPECT_EQ(*storage_->list_metadata(), (std::vector<std::string>{"a", "b", "dir/c"}));
  EXPECT_EQ(*storage_->list_metadata("di"), (std::vector<std::string>{"dir/c"}));
  ASSERT_TRUE(storage_->put_metadata("a", "{1b}").ok());
  EXPECT_EQ(**storage_->get_metadata("a"), "{1b}");
  ASSERT_TRUE(storage_->delete_metadata("a").ok());
  EXPECT_FALSE(*storage_->has_metadata("a"));
  EXPECT_EQ(*storage_->list_metadata(), (std::vector<std::string>{"b", "dir/c"}));
  // Metadata and payloads are separate namespaces.
  EXPECT_FALSE(*storage_->read_payload("b"));
}

TEST_P(EveryStorage, BadKeysAreRefusedWithTheirReason) {
  for (const char* key : {"", "/abs", "a//b", "../up", "a/./b", ".baton-meta/x", "tab\there", "back\\slash"}) {
    auto w = storage_->write_payload(key);
    EXPECT_FALSE(w.ok()) << key;
    if (!w.ok()) {
      EXPECT_NE(w.status().message().find("bad storage key"), std::string::npos);
    }
    EXPECT_FALSE(storage_->put_metadata(key, "x").ok()) << key;
  }
  EXPECT_TRUE(validate_storage_key("taxi/2024-01.bin").ok());
  EXPECT_TRUE(validate_storage_key("résultats/été").ok());
  EXPECT_FALSE(validate_storage_key(std::string(1025, 'a')).ok());
}

TEST(LocalStorage, LayoutIsPayloadAtKeyAndMetadataApart) {
  testing::TempDir dir;
  auto s = make_local_storage((dir.path() / "root").string());
  EXPECT_EQ(s->location(), (dir.path() / "root").string());
  auto w = s->write_payload("taxi/jan.bin");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->write("abc", 3).ok());
  ASSERT_TRUE((*w)->commit().ok());
  ASSERT_TRUE(s->put_metadata("taxi/jan.bin", "{}").ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() / "root" / "taxi" / "jan.bin"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() / "root" / ".baton-meta" / "taxi" / "jan.bin.json"));
}

TEST(LocalStorage, ReadingADirectoryOrUnwritableRootIsAClearError) {
  testing::TempDir dir;
  auto s = make_local_storage(dir.path().string());
  std::filesystem::create_directories(dir.path() / "adir");
  auto r = s->read_payload("adir");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a regular file"), std::string::npos);

  std::ofstream(dir.path() / "file") << "x";
  auto bad = make_local_storage((dir.path() / "file" / "sub").string());
  auto w = bad->write_payload("k");
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find((dir.path() / "file").string()), std::string::npos) << w.status().message();
}

}  // namespace
}  // namespace baton

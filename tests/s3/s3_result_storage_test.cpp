// The adapter: S3 through the results layer's ResultStorage interface, checked
// against the interface's contract on s3rver. Built once that interface is in the
// tree (tests/s3/CMakeLists.txt).
#include "results/s3/s3_result_storage.h"
#include "s3rver_fixture.h"

#include <gtest/gtest.h>

#include <map>

namespace baton {
namespace {

using aws::testing::kAccessKey;
using aws::testing::kSecretKey;

std::shared_ptr<ResultStorage> open(const aws::testing::S3rverProcess& server, const aws::testing::TempDir& home) {
  std::map<std::string, std::string> env = {{"HOME", home.str()},
                                            {"AWS_ACCESS_KEY_ID", kAccessKey},
                                            {"AWS_SECRET_ACCESS_KEY", kSecretKey},
                                            {"AWS_ENDPOINT_URL", server.endpoint()}};
  auto storage = make_s3_result_storage("s3://baton-test/adapter", [env](std::string_view name) {
    auto it = env.find(std::string(name));
    return it == env.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
  });
  EXPECT_TRUE(storage.ok()) << storage.status().message();
  return storage.ok() ? *storage : nullptr;
}

std::optional<std::string> read_all(ResultStorage& storage, std::string_view key) {
  auto r = storage.read_payload(key);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok() || !*r) return std::nullopt;
  std::string out;
  char buf[5];
  for (;;) {
    auto n = (*r)->read(buf, sizeof buf);
    EXPECT_TRUE(n.ok());
    if (!n.ok() || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

TEST(S3ResultStorage, Contract) {
  BATON_START_S3RVER(server);
  aws::testing::TempDir home;
  auto storage = open(server, home);
  ASSERT_TRUE(storage);
  EXPECT_EQ(storage->location(), "s3://baton-test/adapter/");

  auto w = storage->write_payload("a/b.bin");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->write("hello ", 6).ok());
  EXPECT_FALSE(read_all(*storage, "a/b.bin"));
  ASSERT_TRUE((*w)->write("world", 5).ok());
  EXPECT_EQ((*w)->bytes_written(), 11u);
  ASSERT_TRUE((*w)->commit().ok());
  EXPECT_EQ(read_all(*storage, "a/b.bin"), "hello world");

  auto r = storage->read_payload("a/b.bin");
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ((*r)->size(), 11u);
  char buf[5];
  auto n = (*r)->read_at(6, buf, 5);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "world");

  {
    auto dropped = storage->write_payload("dropped");
    ASSERT_TRUE((*dropped)->write("x", 1).ok());
  }
  EXPECT_FALSE(read_all(*storage, "dropped"));

  ASSERT_TRUE(storage->put_metadata("a/b.bin", "{\"v\":1}").ok());
  EXPECT_TRUE(*storage->has_metadata("a/b.bin"));
  EXPECT_EQ(**storage->get_metadata("a/b.bin"), "{\"v\":1}");
  EXPECT_EQ(*storage->list_metadata("a/"), std::vector<std::string>{"a/b.bin"});
  ASSERT_TRUE(storage->delete_metadata("a/b.bin").ok());
  EXPECT_FALSE(*storage->has_metadata("a/b.bin"));
  EXPECT_FALSE(storage->get_metadata("nope")->has_value());
  EXPECT_TRUE(storage->delete_payload("nope").ok());
  EXPECT_EQ(*storage->read_payload("nope"), nullptr);

  for (const char* bad : {"", "/abs", "a//b", "a/../b", ".baton-meta/x"}) {
    EXPECT_FALSE(storage->write_payload(bad).ok()) << bad;
    EXPECT_FALSE(storage->put_metadata(bad, "{}").ok()) << bad;
  }
}

}  // namespace
}  // namespace baton

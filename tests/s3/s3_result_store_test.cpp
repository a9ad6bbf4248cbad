// The results layer's ResultStore over S3: persist, a cache check that is one
// small request, checksums verified on load, expiration, and `baton cache ls /
// clear` over an s3:// storage. Built once the results layer is in the tree.
#include "results/result_settings.h"
#include "results/result_store.h"
#include "results/s3/s3_result_storage.h"
#include "s3rver_fixture.h"

#include <gtest/gtest.h>

namespace baton {
namespace {

using aws::testing::kAccessKey;
using aws::testing::kBucket;
using aws::testing::kSecretKey;

struct Opened {
  std::shared_ptr<aws::S3Client> client;
  std::shared_ptr<ResultStorage> storage;
};

Opened open(const aws::testing::S3rverProcess& server, std::string_view prefix) {
  auto client = aws::S3Client::create(server.client_options());
  EXPECT_TRUE(client.ok());
  auto s3 = aws::S3Storage::open(*client, *aws::make_s3_location(kBucket, prefix));
  EXPECT_TRUE(s3.ok()) << s3.status().message();
  return {*client, make_s3_result_storage(*s3)};
}

PersistOptions options(std::string key) {
  PersistOptions o;
  o.cache_key = std::move(key);
  o.task_name = "transform";
  return o;
}

TEST(S3ResultStore, PersistLookupLoadWithOneRequestPerCacheCheck) {
  BATON_START_S3RVER(server);
  Opened s = open(server, "store/");
  ResultStore store(s.storage);
  const std::vector<std::int64_t> value(3'000'000, 7);  // 24 MB: a multipart payload
  auto rec = store.persist(value, options("transform-abc"));
  ASSERT_TRUE(rec.ok()) << rec.status().message();

  const auto before = s.client->request_count();
  auto hit = store.lookup("transform-abc");
  ASSERT_TRUE(hit.ok()) << hit.status().message();
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ(s.client->request_count() - before, 1u);  // metadata only
  auto miss = store.lookup("transform-zzz");
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
  EXPECT_EQ(s.client->request_count() - before, 2u);

  auto loaded = store.load<std::vector<std::int64_t>>(**hit);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value(), value);
}

TEST(S3ResultStore, CorruptPayloadIsDetectedOnLoad) {
  BATON_START_S3RVER(server);
  Opened s = open(server, "corrupt/");
  ResultStore store(s.storage);
  auto rec = store.persist(std::string(100'000, 'x'), options("k"));
  ASSERT_TRUE(rec.ok());
  // Someone overwrites the payload with other bytes of the same size.
  auto w = s.storage->write_payload(rec->storage_key);
  std::string other(rec->size, 'y');
  ASSERT_TRUE((*w)->write(other.data(), other.size()).ok());
  ASSERT_TRUE((*w)->commit().ok());
  auto loaded = store.load<std::string>(*rec);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, LoadErrorKind::Corrupt) << loaded.error().message;
}

TEST(S3ResultStore, ExpiredIsAMissAndCacheCommandsWork) {
  BATON_START_S3RVER(server);
  Opened s = open(server, "cli/");
  ResultStore store(s.storage);
  auto o = options("short-lived");
  o.expiration = std::chrono::seconds(-1);
  ASSERT_TRUE(store.persist(1, o).ok());
  ASSERT_TRUE(store.persist(2, options("kept")).ok());
  auto gone = store.lookup("short-lived");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto listing = store.list();
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->records.size(), 2u);
  auto cleared = store.clear(true, {}, std::chrono::system_clock::now());
  ASSERT_TRUE(cleared.ok()) << cleared.status().message();
  EXPECT_EQ(cleared->removed, 1u);
  auto after = store.list();
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->records.size(), 1u);
  EXPECT_EQ(after->records[0].key, "kept");
}

// BATON_RESULT_STORAGE=s3://bucket/prefix, the way a program is pointed at S3
// without recompiling: the results layer's open_storage opens it with the AWS
// variables of the environment.
TEST(S3ResultStore, OpenedFromTheResultStorageSetting) {
  BATON_START_S3RVER(server);
  aws::testing::TempDir home;
  const std::pair<const char*, std::string> vars[] = {
      {"BATON_RESULT_STORAGE", "s3://baton-test/from-setting"},
      {"AWS_ACCESS_KEY_ID", kAccessKey},
      {"AWS_SECRET_ACCESS_KEY", kSecretKey},
      {"AWS_ENDPOINT_URL", server.endpoint()},
      {"AWS_SHARED_CREDENTIALS_FILE", home.str() + "/none"},
      {"AWS_CONFIG_FILE", home.str() + "/none"}};
  for (const auto& [name, value] : vars) ::setenv(name, value.c_str(), 1);
  auto storage = results::open_default_storage();
  ::setenv("AWS_SECRET_ACCESS_KEY", "wrong", 1);
  auto refused = results::open_default_storage();
  for (const auto& [name, value] : vars) ::unsetenv(name);
  ASSERT_TRUE(storage.ok()) << storage.status().message();
  EXPECT_EQ((*storage)->location(), "s3://baton-test/from-setting/");
  ResultStore store(*storage);
  ASSERT_TRUE(store.persist(std::string("in s3"), options("k")).ok());
  auto hit = store.lookup("k");
  ASSERT_TRUE(hit.ok() && hit->has_value());
  EXPECT_EQ(store.load<std::string>(**hit).value(), "in s3");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("SignatureDoesNotMatch"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("env AWS_ACCESS_KEY_ID"), std::string::npos);
}

}  // namespace
}  // namespace baton

// S3Storage against s3rver: the result-storage contract (atomic payloads,
// metadata apart, missing is not an error), large streamed payloads through
// multipart, and what a crash of the server leaves behind.
#include "results/s3/s3_storage.h"
#include "s3rver_fixture.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

namespace baton::aws {
namespace {

using testing::fill_pattern;
using testing::kAccessKey;
using testing::kBucket;
using testing::kSecretKey;

std::shared_ptr<S3Storage> open_storage(const testing::S3rverProcess& server, std::string prefix = "results/",
                                        S3ClientOptions options = {}) {
  if (options.credentials.access_key.empty()) options = server.client_options();
  auto client = S3Client::create(options);
  EXPECT_TRUE(client.ok()) << client.status().message();
  auto location = make_s3_location(kBucket, prefix);
  EXPECT_TRUE(location.ok());
  auto storage = S3Storage::open(*client, *location);
  EXPECT_TRUE(storage.ok()) << storage.status().message();
  return storage.ok() ? *storage : nullptr;
}

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Writes `size` pattern bytes in uneven slices, as a serializer would.
Status write_pattern(S3ObjectWriter& writer, std::uint64_t seed, std::uint64_t size) {
  std::vector<std::byte> buffer(1 << 20);
  std::uint64_t pos = 0;
  std::size_t slice = 333333;
  while (pos < size) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(slice, size - pos));
    fill_pattern(seed, pos, buffer.data(), n);
    if (Status s = writer.write(buffer.data(), n); !s.ok()) return s;
    pos += n;
    slice = slice == 333333 ? 1 << 20 : 333333;
  }
  return Status();
}

// Reads the whole stream and compares with the pattern; returns the bytes read.
std::uint64_t read_and_check(S3ObjectReader& reader, std::uint64_t seed) {
  std::vector<std::byte> got(3 << 20);
  std::vector<std::byte> want(3 << 20);
  std::uint64_t pos = 0;
  for (;;) {
    auto n = reader.read(got.data(), got.size());
    EXPECT_TRUE(n.ok()) << n.status().message();
    if (!n.ok() || *n == 0) break;
    fill_pattern(seed, pos, want.data(), *n);
    if (std::memcmp(got.data(), want.data(), *n) != 0) {
      ADD_FAILURE() << "bytes differ in [" << pos << ", " << pos + *n << ")";
      break;
    }
    pos += *n;
  }
  return pos;
}

TEST(S3Storage, OpenFromUrlAndEnvironment) {
  BATON_START_S3RVER(server);
  testing::TempDir home;
  std::map<std::string, std::string> env = {{"HOME", home.str()},
                                            {"AWS_ACCESS_KEY_ID", kAccessKey},
                                            {"AWS_SECRET_ACCESS_KEY", kSecretKey},
                                            {"AWS_ENDPOINT_URL", server.endpoint()}};
  auto ok = S3Storage::open_url("s3://baton-test/from-env", env_of(env));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ((*ok)->location(), "s3://baton-test/from-env/");
  ASSERT_TRUE((*ok)->put_metadata("k", "{}").ok());

  env["AWS_SECRET_ACCESS_KEY"] = "wrong";
  auto bad = S3Storage::open_url("s3://baton-test/from-env", env_of(env));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("SignatureDoesNotMatch"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("credentials from env AWS_ACCESS_KEY_ID"), std::string::npos)
      << bad.status().message();

  env["AWS_SECRET_ACCESS_KEY"] = kSecretKey;
  auto nobucket = S3Storage::open_url("s3://missing-bucket/x", env_of(env));
  ASSERT_FALSE(nobucket.ok());
  EXPECT_NE(nobucket.status().message().find("NoSuchBucket"), std::string::npos) << nobucket.status().message();
  EXPECT_NE(nobucket.status().message().find("s3://missing-bucket/x/"), std::string::npos);

  // Credentials from a profile file: the error names the file and profile.
  std::filesystem::create_directories(home.str() + "/.aws");
  {
    std::ofstream f(home.str() + "/.aws/credentials");
    f << "[ci]\naws_access_key_id = " << kAccessKey << "\naws_secret_access_key = stale\n";
  }
  auto profile = S3Storage::open_url("s3://baton-test/p", env_of({{"HOME", home.str()},
                                                                   {"AWS_PROFILE", "ci"},
                                                                   {"AWS_ENDPOINT_URL", server.endpoint()}}));
  ASSERT_FALSE(profile.ok());
  EXPECT_NE(profile.status().message().find("profile 'ci' in " + home.str() + "/.aws/credentials"),
            std::string::npos)
      << profile.status().message();
}

TEST(S3Storage, MetadataApartFromPayloadOneRequestPerCheck) {
  BATON_START_S3RVER(server);
  auto storage = open_storage(server);
  ASSERT_TRUE(storage);
  auto& client = *storage->client();
  ASSERT_TRUE(storage->put_metadata("task/abc", R"({"key":"abc"})").ok());
  ASSERT_TRUE(storage->put_metadata("task/abd", R"({"key":"abd"})").ok());
  ASSERT_TRUE(storage->put_metadata("other", "{}").ok());
  auto w = storage->write_payload("task/abc");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->write("payload", 7).ok());
  ASSERT_TRUE((*w)->commit().ok());

  // A cache check is one small request, never touching the payload.
  auto before = client.request_count();
  auto has = storage->has_metadata("task/abc");
  ASSERT_TRUE(has.ok());
  EXPECT_TRUE(*has);
  EXPECT_EQ(client.request_count() - before, 1u);
  before = client.request_count();
  auto record = storage->get_metadata("task/abc");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ(**record, R"({"key":"abc"})");
  EXPECT_EQ(client.request_count() - before, 1u);
  before = client.request_count();
  auto miss = storage->get_metadata("task/zzz");
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
  EXPECT_EQ(client.request_count() - before, 1u);

  auto listed = storage->list_metadata("task/");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, (std::vector<std::string>{"task/abc", "task/abd"}));
  auto all = storage->list_metadata();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);

  // Where they live: apart, under the storage's prefix.
  auto objects = client.list_objects(kBucket, "results/");
  ASSERT_TRUE(objects.ok());
  std::vector<std::string> names;
  for (const auto& o : *objects) names.push_back(o.key);
  EXPECT_EQ(names, (std::vector<std::string>{"results/.baton-meta/other.json", "results/.baton-meta/task/abc.json",
                                             "results/.baton-meta/task/abd.json", "results/task/abc"}));

  ASSERT_TRUE(storage->delete_metadata("task/abc").ok());
  EXPECT_FALSE(*storage->has_metadata("task/abc"));
  EXPECT_TRUE(storage->delete_metadata("task/abc").ok());
  ASSERT_TRUE(storage->delete_payload("task/abc").ok());
  auto gone = storage->read_payload("task/abc");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(*gone, nullptr);
  EXPECT_FALSE(storage->put_metadata("", "{}").ok());
  EXPECT_FALSE(storage->put_metadata(".baton-meta/x", "{}").ok());
}

TEST(S3Storage, SmallPayloadVisibleOnlyAtCommit) {
  BATON_START_S3RVER(server);
  auto storage = open_storage(server);
  auto w = storage->write_payload("small");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->write("abc", 3).ok());
  ASSERT_TRUE((*w)->write("def", 3).ok());
  EXPECT_EQ((*w)->bytes_written(), 6u);
  auto before = storage->read_payload("small");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, nullptr);
  ASSERT_TRUE((*w)->commit().ok());
  auto r = storage->read_payload("small");
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ((*r)->size(), 6u);
  char buf[16];
  auto n = (*r)->read(buf, sizeof buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "abcdef");
  auto at = (*r)->read_at(2, buf, 3);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(std::string(buf, *at), "cde");

  // Aborted or dropped writers leave nothing.
  {
    auto a = storage->write_payload("aborted");
    ASSERT_TRUE((*a)->write("x", 1).ok());
    (*a)->abort();
    auto d = storage->write_payload("dropped");
    ASSERT_TRUE((*d)->write("x", 1).ok());
  }
  EXPECT_EQ(*storage->read_payload("aborted"), nullptr);
  EXPECT_EQ(*storage->read_payload("dropped"), nullptr);

  // Empty payloads are payloads too.
  auto e = storage->write_payload("empty");
  ASSERT_TRUE((*e)->commit().ok());
  auto er = storage->read_payload("empty");
  ASSERT_TRUE(er.ok() && *er) << er.status().message();
  EXPECT_EQ((*er)->size(), 0u);
  EXPECT_EQ(*(*er)->read(buf, sizeof buf), 0u);
}

void multipart_round_trip(std::uint64_t size, std::size_t part_size) {
  BATON_START_S3RVER(server);
  auto o = server.client_options();
  o.part_size = part_size;
  o.max_in_flight = 4;
  auto storage = open_storage(server, "big/", o);
  ASSERT_TRUE(storage);
  auto w = storage->write_payload("payload.bin");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(write_pattern(**w, 42, size).ok());
  // Parts are up, the object is not.
  EXPECT_FALSE((*w)->upload_id().empty());
  EXPECT_EQ(*storage->read_payload("payload.bin"), nullptr);
  Status committed = (*w)->commit();
  ASSERT_TRUE(committed.ok()) << committed.message();
  auto uploads = storage->client()->list_multipart_uploads(kBucket, "big/");
  ASSERT_TRUE(uploads.ok());
  EXPECT_TRUE(uploads->empty());

  auto r = storage->read_payload("payload.bin");
  ASSERT_TRUE(r.ok() && *r) << r.status().message();
  EXPECT_EQ((*r)->size(), size);
  EXPECT_EQ(read_and_check(**r, 42), size);
  // Random access.
  std::vector<std::byte> got(1000), want(1000);
  for (std::uint64_t offset : {std::uint64_t{0}, size / 3, size - 1000}) {
    auto n = (*r)->read_at(offset, got.data(), got.size());
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, 1000u);
    fill_pattern(42, offset, want.data(), 1000);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), 1000), 0) << "at " << offset;
  }
}

// 1 GiB through 16 MiB parts, 4 in flight: the writer holds at most ~80 MiB, the
// reader ~80 MiB of read-ahead, whatever the size. (About 13 s here in a release
// build, 25 s under ASan.)
TEST(S3Storage, MultipartRoundTrip1GiB) { multipart_round_trip(std::uint64_t{1} << 30, std::size_t{16} << 20); }

TEST(S3Storage, ServerKilledMidUploadLeavesNothing) {
  BATON_START_S3RVER(server);
  auto storage = open_storage(server, "crash/");
  ASSERT_TRUE(storage);
  auto w = storage->write_payload("victim");
  ASSERT_TRUE(w.ok());
  // Two parts (5 MiB each) go up, then the server dies.
  ASSERT_TRUE(write_pattern(**w, 1, std::uint64_t{12} << 20).ok());
  const std::string upload_id = (*w)->upload_id();
  ASSERT_FALSE(upload_id.empty());
  server.kill_now();
  Status s = write_pattern(**w, 1, std::uint64_t{20} << 20);
  if (s.ok()) s = (*w)->commit();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("127.0.0.1:" + std::to_string(server.port())), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("gave up after"), std::string::npos) << s.message();
  // The server comes back on the same directory and port; the writer, dropped
  // now, reaches it and aborts the upload it could not abort before.
  ASSERT_TRUE(server.restart()) << server.error();
  w->reset();
  auto r = storage->read_payload("victim");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, nullptr);
  auto uploads = storage->client()->list_multipart_uploads(kBucket, "crash/");
  ASSERT_TRUE(uploads.ok()) << uploads.status().message();
  EXPECT_TRUE(uploads->empty());
  // And on disk: no part files left in s3rver's upload area.
  const std::string parts_dir = server.directory() + "/" + kBucket + "/._S3rver_uploads";
  std::size_t leftover = 0;
  if (std::filesystem::exists(parts_dir)) {
    for (auto it = std::filesystem::recursive_directory_iterator(parts_dir);
         it != std::filesystem::recursive_directory_iterator(); ++it) {
      ++leftover;
    }
  }
  EXPECT_EQ(leftover, 0u);
}

TEST(S3Storage, SweepAbortsUploadsLeftBehind) {
  BATON_START_S3RVER(server);
  auto storage = open_storage(server, "sweep/");
  auto& client = *storage->client();
  // Uploads a crashed process left: one under this prefix, one elsewhere.
  auto mine = client.create_multipart_upload(kBucket, "sweep/left");
  auto other = client.create_multipart_upload(kBucket, "elsewhere/left");
  ASSERT_TRUE(mine.ok() && other.ok());
  auto young = storage->sweep_incomplete_uploads(std::chrono::hours(1));
  ASSERT_TRUE(young.ok()) << young.status().message();
  EXPECT_EQ(*young, 0);  // too recent: might be a live writer
  auto swept = storage->sweep_incomplete_uploads(std::chrono::seconds(0));
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1);
  auto left = client.list_multipart_uploads(kBucket, "");
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].key, "elsewhere/left");
}

TEST(S3Storage, ReplacedWhileReadingIsAnError) {
  BATON_START_S3RVER(server);
  auto o = server.client_options();
  o.max_in_flight = 1;
  auto storage = open_storage(server, "replace/", o);
  auto w = storage->write_payload("obj");
  ASSERT_TRUE(write_pattern(**w, 5, std::uint64_t{24} << 20).ok());
  ASSERT_TRUE((*w)->commit().ok());
  auto r = storage->read_payload("obj");
  ASSERT_TRUE(r.ok() && *r);
  std::vector<std::byte> buf(1 << 20);
  ASSERT_TRUE((*r)->read(buf.data(), buf.size()).ok());  // the first chunk, read at open
  auto w2 = storage->write_payload("obj");
  ASSERT_TRUE(write_pattern(**w2, 6, std::uint64_t{24} << 20).ok());
  ASSERT_TRUE((*w2)->commit().ok());
  bool failed = false;
  for (;;) {
    auto n = (*r)->read(buf.data(), buf.size());
    if (!n.ok()) {
      failed = true;
      EXPECT_NE(n.status().message().find("changed"), std::string::npos) << n.status().message();
      break;
    }
    if (*n == 0) break;
  }
  // Chunks already fetched before the replacement may be served; anything fetched
  // after must be refused rather than mixing two versions.
  EXPECT_TRUE(failed);
}

}  // namespace
}  // namespace baton::aws

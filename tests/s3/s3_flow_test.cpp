// A flow whose results live in S3, run twice: the second run is all Cached, its
// cache checks cost one small metadata request each, and it writes nothing.
#include <baton/baton.h>

#include "results/s3/s3_result_storage.h"
#include "s3rver_fixture.h"

#include <gtest/gtest.h>

#include <atomic>

namespace baton {
namespace {

// Counts what the engine asks of its storage, forwarding everything to S3.
class CountingStorage final : public ResultStorage {
 public:
  explicit CountingStorage(std::shared_ptr<ResultStorage> inner) : inner_(std::move(inner)) {}
  std::string location() const override { return inner_->location(); }
  Result<std::unique_ptr<PayloadWriter>> write_payload(std::string_view key) override {
    ++writes;
    return inner_->write_payload(key);
  }
  Result<std::unique_ptr<PayloadReader>> read_payload(std::string_view key) override {
    ++payload_reads;
    return inner_->read_payload(key);
  }
  Status delete_payload(std::string_view key) override {
    ++writes;
    return inner_->delete_payload(key);
  }
  Status put_metadata(std::string_view key, std::string_view record) override {
    ++writes;
    return inner_->put_metadata(key, record);
  }
  Result<std::optional<std::string>> get_metadata(std::string_view key) override {
    ++metadata_reads;
    return inner_->get_metadata(key);
  }
  Result<bool> has_metadata(std::string_view key) override {
    ++metadata_reads;
    return inner_->has_metadata(key);
  }
  Status delete_metadata(std::string_view key) override {
    ++writes;
    return inner_->delete_metadata(key);
  }
  Result<std::vector<std::string>> list_metadata(std::string_view prefix) override {
    return inner_->list_metadata(prefix);
  }

  std::atomic<int> metadata_reads{0}, payload_reads{0}, writes{0};

 private:
  std::shared_ptr<ResultStorage> inner_;
};

TEST(S3Flow, SecondRunIsAllCachedWithOneSmallRequestPerCheck) {
  BATON_START_S3RVER(server);
  auto client = aws::S3Client::create(server.client_options());
  ASSERT_TRUE(client.ok());
  auto s3 = aws::S3Storage::open(*client, *aws::make_s3_location(aws::testing::kBucket, "flow/"));
  ASSERT_TRUE(s3.ok()) << s3.status().message();
  auto storage = std::make_shared<CountingStorage>(make_s3_result_storage(*s3));

  std::atomic<int> loads{0}, transforms{0};
  auto load = BATON_TASK("load", [&](int month) {
                ++loads;
                return std::vector<double>(100'000, month);  // 800 kB each
              })
                  .cache_policy(cache::inputs + cache::task_source)
                  .result_storage(storage);
  auto transform = BATON_TASK("transform", [&](const std::vector<double>& v) {
                     ++transforms;
                     double s = 0;
                     for (double x : v) s += x;
                     return s;
                   })
                       .cache_policy(cache::inputs + cache::task_source)
                       .result_storage(storage);
  std::vector<Future<double>> sums_seen;
  auto etl = BATON_FLOW("etl-s3", [&](std::vector<int> months) {
    auto raw = load.map(months);
    auto sums = transform.map(raw);
    double total = 0;
    for (auto& s : sums) total += s.result();
    sums_seen = sums;
    return total;
  }).task_runner(thread_pool(2));

  EXPECT_EQ(etl(std::vector<int>{1, 2, 3}), 600'000.0);
  EXPECT_EQ(loads.load(), 3);
  EXPECT_EQ(transforms.load(), 3);
  const std::uint64_t requests_before = (*client)->request_count();
  const std::uint64_t writes_before = (*client)->write_request_count();
  storage->metadata_reads = 0;
  storage->payload_reads = 0;
  storage->writes = 0;

  EXPECT_EQ(etl(std::vector<int>{1, 2, 3}), 600'000.0);
  EXPECT_EQ(loads.load(), 3) << "a load body ran again";
  EXPECT_EQ(transforms.load(), 3) << "a transform body ran again";
  for (auto& f : sums_seen) EXPECT_EQ(f.state().type, StateType::Cached);
  const std::uint64_t requests = (*client)->request_count() - requests_before;
  EXPECT_EQ((*client)->write_request_count() - writes_before, 0u) << "the cached run wrote to S3";
  // Six cache checks, each one small metadata GET; each value the engine then
  // loads (payloads under 1 MiB) is one more GET; nothing else.
  EXPECT_EQ(storage->metadata_reads.load(), 6);
  EXPECT_EQ(storage->writes.load(), 0);
  EXPECT_LE(storage->payload_reads.load(), 6);
  EXPECT_EQ(requests, static_cast<std::uint64_t>(storage->metadata_reads + storage->payload_reads));
}

// `baton cache ls` and `baton cache clear` over a store in S3, named by
// BATON_RESULT_STORAGE as a user would.
TEST(S3Flow, CacheCommandsWorkOverS3) {
  BATON_START_S3RVER(server);
  auto client = aws::S3Client::create(server.client_options());
  ASSERT_TRUE(client.ok());
  auto s3 = aws::S3Storage::open(*client, *aws::make_s3_location(aws::testing::kBucket, "cli/"));
  ASSERT_TRUE(s3.ok()) << s3.status().message();
  auto square = BATON_TASK("square_in_s3", [](int x) { return x * x; })
                    .cache_policy(cache::inputs)
                    .result_storage(make_s3_result_storage(*s3));
  for (int i = 0; i < 3; ++i) square(i);

  aws::testing::TempDir home;
  const std::string env = "BATON_HOME='" + home.str() + "' BATON_RESULT_STORAGE='s3://" +
                          std::string(aws::testing::kBucket) + "/cli/' AWS_ACCESS_KEY_ID='" +
                          aws::testing::kAccessKey + "' AWS_SECRET_ACCESS_KEY='" + aws::testing::kSecretKey +
                          "' AWS_REGION=us-east-1 AWS_ENDPOINT_URL='" + server.endpoint() + "' ";
  std::string out;
  ASSERT_EQ(aws::testing::run_command(env + BATON_CLI_PATH + " cache ls", &out), 0) << out;
  int listed = 0;
  for (std::size_t p = out.find("square_in_s3"); p != std::string::npos; p = out.find("square_in_s3", p + 1)) ++listed;
  EXPECT_EQ(listed, 3) << out;
  std::string cleared, after;
  ASSERT_EQ(aws::testing::run_command(env + BATON_CLI_PATH + " cache clear --task square_in_s3", &cleared), 0)
      << cleared;
  EXPECT_NE(cleared.find("removed 3 results"), std::string::npos) << cleared;
  ASSERT_EQ(aws::testing::run_command(env + BATON_CLI_PATH + " cache ls", &after), 0) << after;
  EXPECT_EQ(after.find("square_in_s3"), std::string::npos) << after;
}

}  // namespace
}  // namespace baton

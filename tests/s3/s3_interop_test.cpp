// Objects baton writes are read intact by the AWS CLI (Debian's awscli) and by
// rclone, and objects they write are read intact by baton, against s3rver.
#include "results/s3/s3_storage.h"
#include "s3rver_fixture.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace baton::aws {
namespace {

using testing::fill_pattern;
using testing::kAccessKey;
using testing::kBucket;
using testing::kSecretKey;
using testing::run_command;

// The Debian package's binary, not another `aws` earlier in PATH.
std::string aws_binary() { return std::filesystem::exists("/usr/bin/aws") ? "/usr/bin/aws" : "aws"; }

std::string aws_env(const testing::S3rverProcess& server, const testing::TempDir& home) {
  // awscli 2.9 (Debian 12) predates AWS_ENDPOINT_URL: the endpoint goes on the command line.
  return "env -u AWS_CA_BUNDLE HOME=" + home.str() + " AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null " +
         "AWS_ACCESS_KEY_ID=" + kAccessKey + " AWS_SECRET_ACCESS_KEY='" + kSecretKey +
         "' AWS_DEFAULT_REGION=us-east-1 " + aws_binary() + " --endpoint-url " + server.endpoint() + " ";
}

std::string rclone_env(const testing::S3rverProcess& server, const testing::TempDir& home) {
  // A CA bundle in the environment (AWS_CA_BUNDLE) makes rclone's S3 backend fail
  // on a plain-HTTP endpoint, so it is removed for these commands.
  return "env -u AWS_CA_BUNDLE HOME=" + home.str() + " RCLONE_CONFIG=" + home.str() + "/rclone.conf " +
         "RCLONE_CONFIG_BATONS3_TYPE=s3 RCLONE_CONFIG_BATONS3_PROVIDER=Other " +
         "RCLONE_CONFIG_BATONS3_ACCESS_KEY_ID=" + kAccessKey + " RCLONE_CONFIG_BATONS3_SECRET_ACCESS_KEY='" +
         kSecretKey + "' RCLONE_CONFIG_BATONS3_ENDPOINT=" + server.endpoint() +
         " RCLONE_CONFIG_BATONS3_REGION=us-east-1 RCLONE_CONFIG_BATONS3_FORCE_PATH_STYLE=true ";
}

void write_pattern_file(const std::string& path, std::uint64_t seed, std::uint64_t size) {
  std::ofstream out(path, std::ios::binary);
  std::vector<std::byte> buf(1 << 20);
  for (std::uint64_t pos = 0; pos < size; pos += buf.size()) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - pos));
    fill_pattern(seed, pos, buf.data(), n);
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n));
  }
}

bool same_files(const std::string& a, const std::string& b) {
  return run_command("cmp -s '" + a + "' '" + b + "'") == 0;
}

bool have(const std::string& tool) { return run_command("command -v " + tool + " >/dev/null") == 0; }

class S3Interop : public ::testing::Test {
 protected:
  void write_with_baton(testing::S3rverProcess& server, const std::string& key, const std::string& file) {
    auto client = S3Client::create(server.client_options());
    ASSERT_TRUE(client.ok());
    Status s = upload_file(*client, kBucket, key, file);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  void read_with_baton(testing::S3rverProcess& server, const std::string& key, const std::string& file) {
    auto client = S3Client::create(server.client_options());
    ASSERT_TRUE(client.ok());
    auto got = download_file(*client, kBucket, key, file);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_TRUE(*got) << key << " is missing";
  }
};

// Sizes: one small object (single PUT) and one over the part size (multipart,
// 5 MiB parts in the fixture; the AWS CLI switches to multipart at 8 MiB).
constexpr std::uint64_t kSizes[] = {1234, (std::uint64_t{13} << 20) + 17};

TEST_F(S3Interop, AwsCli) {
  ASSERT_TRUE(have(aws_binary())) << "awscli is not installed (scripts/install-deps.sh installs it)";
  BATON_START_S3RVER(server);
  testing::TempDir tmp;
  const std::string env = aws_env(server, tmp);
  for (std::uint64_t size : kSizes) {
    const std::string name = "interop/aws-" + std::to_string(size);
    const std::string src = tmp.str() + "/src";
    write_pattern_file(src, size, size);
    // baton -> aws
    write_with_baton(server, name + "-baton", src);
    std::string out;
    ASSERT_EQ(run_command(env + "s3 cp --only-show-errors s3://" + kBucket + "/" + name + "-baton " +
                              tmp.str() + "/by-aws",
                          &out),
              0)
        << out;
    EXPECT_TRUE(same_files(src, tmp.str() + "/by-aws")) << size;
    // aws -> baton
    out.clear();
    ASSERT_EQ(run_command(env + "s3 cp --only-show-errors " + src + " s3://" + kBucket + "/" + name +
                              "-aws",
                          &out),
              0)
        << out;
    read_with_baton(server, name + "-aws", tmp.str() + "/by-baton");
    EXPECT_TRUE(same_files(src, tmp.str() + "/by-baton")) << size;
  }
  // A wrong secret is refused for the AWS CLI too: s3rver really checks signatures.
  std::string out;
  EXPECT_NE(run_command("HOME=" + tmp.str() + " AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null " +
                            "AWS_ACCESS_KEY_ID=" + kAccessKey + " AWS_SECRET_ACCESS_KEY=wrong AWS_DEFAULT_REGION=us-east-1 " +
                            aws_binary() + " --endpoint-url " + server.endpoint() + " s3 ls s3://" + kBucket + "/",
                        &out),
            0);
  EXPECT_NE(out.find("SignatureDoesNotMatch"), std::string::npos) << out;
}

TEST_F(S3Interop, Rclone) {
  ASSERT_TRUE(have("rclone")) << "rclone is not installed (scripts/install-deps.sh installs it)";
  BATON_START_S3RVER(server);
  testing::TempDir tmp;
  const std::string env = rclone_env(server, tmp);
  for (std::uint64_t size : kSizes) {
    const std::string name = "interop/rclone-" + std::to_string(size);
    const std::string src = tmp.str() + "/src";
    write_pattern_file(src, size + 1, size);
    write_with_baton(server, name + "-baton", src);
    std::string out;
    ASSERT_EQ(run_command(env + "rclone copyto batons3:" + std::string(kBucket) + "/" + name + "-baton " + tmp.str() +
                              "/by-rclone",
                          &out),
              0)
        << out;
    EXPECT_TRUE(same_files(src, tmp.str() + "/by-rclone")) << size;
    out.clear();
    ASSERT_EQ(run_command(env + "rclone copyto --s3-upload-cutoff 5M --s3-chunk-size 5M " + src + " batons3:" +
                              std::string(kBucket) + "/" + name + "-rclone",
                          &out),
              0)
        << out;
    read_with_baton(server, name + "-rclone", tmp.str() + "/by-baton");
    EXPECT_TRUE(same_files(src, tmp.str() + "/by-baton")) << size;
  }
}

}  // namespace
}  // namespace baton::aws

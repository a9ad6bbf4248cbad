// Upload and download of a 1 GiB result through baton's S3 client next to the AWS
// CLI (`aws s3 cp`, Debian's awscli) on the same file, against the same local
// s3rver, in the same run. Prints `bench <name> <value> <unit>` lines: MB/s of each
// (median of BATON_BENCH_RUNS runs, default 3) and the ratio baton / aws.
//
// Temp data (the file, s3rver's directory) goes under $BATON_BENCH_DIR, default
// ./s3-bench-tmp in the working directory (keep it on a disk with ~4 GiB free).
// BATON_BENCH_MB overrides the size (default 1024).
#include "results/s3/s3_transfer.h"

#include "bench_support.h"
#include "testutil/s3rver.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using baton::aws::S3Client;
using baton::aws::S3ClientOptions;
namespace fs = std::filesystem;

using baton::testing::kS3AccessKey;
using baton::testing::kS3SecretKey;
constexpr const char* kBucket = "bench";

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main() {
  const std::uint64_t megabytes = std::getenv("BATON_BENCH_MB") ? std::strtoull(std::getenv("BATON_BENCH_MB"), nullptr, 10) : baton::bench::pick<std::uint64_t>(1024, 64);
  const int runs = std::getenv("BATON_BENCH_RUNS") ? std::atoi(std::getenv("BATON_BENCH_RUNS")) : baton::bench::pick(3, 1);
  const std::uint64_t size = megabytes << 20;
  const fs::path base = std::getenv("BATON_BENCH_DIR") ? fs::path(std::getenv("BATON_BENCH_DIR"))
                                                       : fs::current_path() / "s3-bench-tmp";
  std::error_code ec;
  fs::remove_all(base, ec);
  fs::create_directories(base);
  const std::string file = (base / "payload.bin").string();
  {
    // Incompressible bytes (a cheap xorshift stream), written once.
    FILE* f = std::fopen(file.c_str(), "wb");
    if (f == nullptr) {
      std::fprintf(stderr, "cannot create %s\n", file.c_str());
      return 1;
    }
    std::vector<std::uint64_t> block((8 << 20) / 8);
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (std::uint64_t done = 0; done < size; done += block.size() * 8) {
      for (auto& w : block) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        w = x;
      }
      std::fwrite(block.data(), 1, static_cast<std::size_t>(std::min<std::uint64_t>(block.size() * 8, size - done)), f);
    }
    std::fclose(f);
  }

  baton::testing::S3rverProcess server({kBucket}, {}, base);
  if (!server.running()) {
    // Exit 77: skipped, the pieces outside baton are missing (scripts/bench.sh says so).
    std::printf("skipped: cannot start s3rver (node, tools/node_modules: run scripts/install-deps.sh): %s\n",
                server.error().c_str());
    return 77;
  }
  const std::string endpoint = server.endpoint();
  const std::string aws = fs::exists("/usr/bin/aws") ? "/usr/bin/aws" : "aws";
  const std::string aws_env = "env -u AWS_CA_BUNDLE HOME=" + base.string() +
                              " AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_ACCESS_KEY_ID=" +
                              kS3AccessKey + " AWS_SECRET_ACCESS_KEY=" + kS3SecretKey + " AWS_DEFAULT_REGION=us-east-1 " + aws +
                              " --endpoint-url " + endpoint + " --only-show-errors ";

  if (run(aws_env + "--version >/dev/null 2>&1") != 0) {
    std::printf("skipped: the AWS CLI peer does not run (apt-get install awscli)\n");
    return 77;
  }

  S3ClientOptions options;
  options.credentials = {kS3AccessKey, kS3SecretKey, "", "bench"};
  options.endpoint = endpoint;
  if (const char* v = std::getenv("BATON_BENCH_IN_FLIGHT")) options.max_in_flight = std::atoi(v);
  if (const char* v = std::getenv("BATON_BENCH_PART_MB")) options.part_size = std::size_t(std::atoi(v)) << 20;
  options.threads = std::max(options.threads, 2 * options.max_in_flight);
  auto client = S3Client::create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().message().c_str());
    return 1;
  }

  const double mb = static_cast<double>(size) / 1e6;
  std::vector<double> baton_up, baton_down, aws_up, aws_down;
  const std::string down = (base / "download.bin").string();
  for (int r = 0; r < runs; ++r) {
    // Each timed step starts with no dirty pages from the step before: otherwise
    // whoever runs second pays the writeback of the first one's gigabyte.
    ::sync();
    auto t = std::chrono::steady_clock::now();
    if (auto s = baton::aws::upload_file(*client, kBucket, "baton.bin", file); !s.ok()) {
      std::fprintf(stderr, "baton upload: %s\n", s.message().c_str());
      return 1;
    }
    baton_up.push_back(mb / seconds_since(t));

    ::sync();
    t = std::chrono::steady_clock::now();
    if (run(aws_env + "s3 cp " + file + " s3://" + kBucket + "/aws.bin") != 0) {
      std::fprintf(stderr, "aws s3 cp upload failed\n");
      return 1;
    }
    aws_up.push_back(mb / seconds_since(t));

    // Downloads: both read the object baton uploaded (the AWS CLI's upload is
    // checked once by baton), and who goes first alternates between runs, so a
    // server's first-read cost (s3rver computes an object's MD5 on first access)
    // and cache warmth fall on each side equally.
    const auto baton_download = [&](const std::string& key) {
      ::sync();
      const auto start = std::chrono::steady_clock::now();
      auto got = baton::aws::download_file(*client, kBucket, key, down);
      const double secs = seconds_since(start);
      if (!got.ok() || !*got) {
        std::fprintf(stderr, "baton download: %s\n", got.ok() ? "missing" : got.status().message().c_str());
        std::exit(1);
      }
      return secs;
    };
    const auto aws_download = [&](const std::string& key) {
      ::sync();
      const auto start = std::chrono::steady_clock::now();
      if (run(aws_env + "s3 cp s3://" + std::string(kBucket) + "/" + key + " " + down) != 0) {
        std::fprintf(stderr, "aws s3 cp download failed\n");
        std::exit(1);
      }
      return seconds_since(start);
    };
    const auto check = [&](const char* what) {
      if (run("cmp -s " + file + " " + down) != 0) {
        std::fprintf(stderr, "%s differs from the original file\n", what);
        std::exit(1);
      }
      fs::remove(down, ec);
    };
    if (r == 0) {
      baton_download("aws.bin");
      check("baton's download of the AWS CLI's upload");
    }
    if (r % 2 == 0) {
      baton_down.push_back(mb / baton_download("baton.bin"));
      if (r == 0) check("baton's download of its own upload");
      fs::remove(down, ec);
      aws_down.push_back(mb / aws_download("baton.bin"));
      if (r == 0) check("the AWS CLI's download of baton's upload");
    } else {
      aws_down.push_back(mb / aws_download("baton.bin"));
      fs::remove(down, ec);
      baton_down.push_back(mb / baton_download("baton.bin"));
    }
    fs::remove(down, ec);
    std::fprintf(stderr, "run %d: upload baton %.0f aws %.0f MB/s, download baton %.0f aws %.0f MB/s\n", r + 1,
                 baton_up.back(), aws_up.back(), baton_down.back(), aws_down.back());
  }

  const double bu = median(baton_up), au = median(aws_up), bd = median(baton_down), ad = median(aws_down);
  std::printf("bench s3_upload_%lluMiB_baton %.1f MB/s\n", static_cast<unsigned long long>(megabytes), bu);
  std::printf("bench s3_upload_%lluMiB_aws_cli %.1f MB/s\n", static_cast<unsigned long long>(megabytes), au);
  std::printf("bench s3_upload_ratio_baton_over_aws %.2f x\n", bu / au);
  std::printf("bench s3_download_%lluMiB_baton %.1f MB/s\n", static_cast<unsigned long long>(megabytes), bd);
  std::printf("bench s3_download_%lluMiB_aws_cli %.1f MB/s\n", static_cast<unsigned long long>(megabytes), ad);
  std::printf("bench s3_download_ratio_baton_over_aws %.2f x\n", bd / ad);
  fs::remove_all(base, ec);
  return 0;
}

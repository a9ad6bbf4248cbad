#pragma once
// What the S3 tests share: the S3 test server and temporary directories from
// tests/testutil (under the names these tests use), deterministic payloads and a
// shell runner.
#include "testutil/s3rver.h"
#include "testutil/temp_dir.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace baton::aws::testing {

using baton::testing::node_available;
using baton::testing::S3rverProcess;
using baton::testing::TempDir;
inline constexpr const char* kAccessKey = baton::testing::kS3AccessKey;
inline constexpr const char* kSecretKey = baton::testing::kS3SecretKey;
inline constexpr const char* kBucket = baton::testing::kS3Bucket;

// Deterministic pseudo-random bytes: block `i` of a stream seeded by `seed`.
void fill_pattern(std::uint64_t seed, std::uint64_t offset, std::byte* out, std::size_t size);

// Runs a shell command; its combined output lands in `output`. Returns the exit code.
int run_command(const std::string& command, std::string* output = nullptr);

}  // namespace baton::aws::testing

#pragma once
// A real S3-compatible server (@20minutes/s3rver, through tests/s3/s3rver.js) on
// 127.0.0.1 for one test: started on a fresh temp directory under the build tree,
// stopped (SIGTERM, then SIGKILL, and waited for) by the destructor, so nothing
// is left running. kill() and restart() simulate a crash and a recovery on the
// same directory and port.
#include "results/s3/s3_client.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace baton::aws::testing {

inline constexpr const char* kAccessKey = "BATONTESTKEY";
inline constexpr const char* kSecretKey = "baton/test+secret";
inline constexpr const char* kBucket = "baton-test";

// Whether node can run (tests skip, with a message, when it cannot).
bool node_available();

class S3rverProcess {
 public:
  // `buckets` are created before the port is printed.
  explicit S3rverProcess(std::vector<std::string> buckets = {kBucket}, std::string service_endpoint = {});
  ~S3rverProcess();

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& directory() const { return dir_; }
  const std::string& error() const { return error_; }

  void kill_now();  // SIGKILL, like a crash
  bool restart();   // same directory, same port
  void stop();      // SIGTERM, wait

  // Options for a client of this server (short retries, small parts).
  S3ClientOptions client_options() const;

 private:
  bool start(int port);

  std::vector<std::string> buckets_;
  std::string service_endpoint_;
  std::string dir_;
  std::string error_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A fresh temporary directory under the build tree (the /work disk), removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Deterministic pseudo-random bytes: block `i` of a stream seeded by `seed`.
void fill_pattern(std::uint64_t seed, std::uint64_t offset, std::byte* out, std::size_t size);

// Runs a shell command; its combined output lands in `output`. Returns the exit code.
int run_command(const std::string& command, std::string* output = nullptr);

}  // namespace baton::aws::testing

// Starts a server named `var` for the current test: skips when node is missing
// (it never should be: scripts/install-deps.sh installs it), fails when it cannot start.
#define BATON_START_S3RVER(var, ...)                                                              \
  if (!::baton::aws::testing::node_available()) {                                                  \
    GTEST_SKIP() << "node is not installed; the S3 tests run s3rver with it (scripts/install-deps.sh)"; \
  }                                                                                               \
  ::baton::aws::testing::S3rverProcess var{__VA_ARGS__};                                            \
  ASSERT_TRUE(var.running()) << var.error()

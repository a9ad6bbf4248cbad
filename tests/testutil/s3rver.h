#pragma once
// A real S3-compatible server (@20minutes/s3rver, through tests/s3/s3rver.js) on
// 127.0.0.1, for the S3 tests and the S3 benchmark: started on a fresh directory
// (a TempDir), stopped (SIGTERM, then SIGKILL, and waited for) and its directory
// removed by the destructor, so nothing is left running. kill_now() and restart()
// simulate a crash and a recovery on the same directory and port. Needs node and
// tools/node_modules (scripts/install-deps.sh); error() says what went wrong.
#include "results/s3/s3_client.h"
#include "testutil/temp_dir.h"

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace baton::testing {

inline constexpr const char* kS3AccessKey = "BATONTESTKEY";
inline constexpr const char* kS3SecretKey = "baton/test+secret";  // '/' and '+' exercise the signer's escaping
inline constexpr const char* kS3Bucket = "baton-test";

// Whether node can run (tests skip, with a message, when it cannot).
bool node_available();

class S3rverProcess {
 public:
  // `buckets` are created before the port is printed. The server's directory is
  // made under `parent` (default: test_tmp_root()).
  explicit S3rverProcess(std::vector<std::string> buckets = {kS3Bucket}, std::string service_endpoint = {},
                         const std::filesystem::path& parent = {});
  ~S3rverProcess();
  S3rverProcess(const S3rverProcess&) = delete;
  S3rverProcess& operator=(const S3rverProcess&) = delete;

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& directory() const;
  const std::string& error() const { return error_; }

  void kill_now();  // SIGKILL, like a crash
  bool restart();   // same directory, same port
  void stop();      // SIGTERM, wait

  // Options for a test client of this server: its credentials, short retries and
  // small parts (so multipart paths run on small payloads).
  aws::S3ClientOptions client_options() const;

 private:
  bool start(int port);

  std::vector<std::string> buckets_;
  std::string service_endpoint_;
  std::unique_ptr<TempDir> dir_;
  std::string error_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace baton::testing

// Starts a server named `var` for the current test: skips when node is missing
// (it never should be: scripts/install-deps.sh installs it), fails when it cannot start.
#define BATON_START_S3RVER(var, ...)                                                                    \
  if (!::baton::testing::node_available()) {                                                            \
    GTEST_SKIP() << "node is not installed; the S3 tests run s3rver with it (scripts/install-deps.sh)"; \
  }                                                                                                     \
  ::baton::testing::S3rverProcess var{__VA_ARGS__};                                                     \
  ASSERT_TRUE(var.running()) << var.error()

#include "s3rver_fixture.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace baton::aws::testing {

namespace {

std::string script_path() { return std::string(BATON_SOURCE_DIR) + "/tests/s3/s3rver.js"; }

}  // namespace

bool node_available() { return run_command("command -v node >/dev/null 2>&1") == 0; }

int run_command(const std::string& command, std::string* output) {
  std::string full = "(" + command + ") 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    if (output != nullptr) output->append(buffer, n);
  }
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TempDir::TempDir() {
  std::filesystem::create_directories(BATON_TEST_TMP);
  std::string pattern = std::string(BATON_TEST_TMP) + "/s3-XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  path_ = made != nullptr ? made : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

void fill_pattern(std::uint64_t seed, std::uint64_t offset, std::byte* out, std::size_t size) {
  // splitmix64 of (seed, 8-byte word index): any offset can be generated on its own.
  auto word = [seed](std::uint64_t index) {
    std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + index + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  std::size_t i = 0;
  while (i < size) {
    const std::uint64_t pos = offset + i;
    const std::uint64_t w = word(pos / 8);
    const std::size_t in_word = static_cast<std::size_t>(pos % 8);
    const std::size_t n = std::min<std::size_t>(8 - in_word, size - i);
    std::memcpy(out + i, reinterpret_cast<const std::byte*>(&w) + in_word, n);
    i += n;
  }
}

S3rverProcess::S3rverProcess(std::vector<std::string> buckets, std::string service_endpoint)
    : buckets_(std::move(buckets)), service_endpoint_(std::move(service_endpoint)) {
  std::filesystem::create_directories(BATON_TEST_TMP);
  std::string pattern = std::string(BATON_TEST_TMP) + "/s3rver-XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) {
    error_ = "cannot create a temp directory under " + std::string(BATON_TEST_TMP);
    return;
  }
  dir_ = made;
  start(0);
}

S3rverProcess::~S3rverProcess() {
  stop();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

bool S3rverProcess::start(int port) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    error_ = "pipe failed";
    return false;
  }
  std::vector<std::string> args = {"node", "--openssl-legacy-provider", script_path(), "--dir", dir_, "--port", std::to_string(port),
                                   "--key", kAccessKey, "--secret", kSecretKey};
  for (const auto& b : buckets_) {
    args.push_back("--bucket");
    args.push_back(b);
  }
  if (!service_endpoint_.empty()) {
    args.push_back("--service-endpoint");
    args.push_back(service_endpoint_);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    error_ = std::string("cannot start node: ") + std::strerror(rc);
    return false;
  }
  pid_ = pid;
  // Read "PORT <n>\n", waiting at most 30 s (node starts in well under a second).
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buffer[256];
    const ssize_t n = ::read(out[0], buffer, sizeof buffer);
    if (n <= 0) break;
    line.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  if (line.rfind("PORT ", 0) != 0) {
    error_ = "s3rver.js did not print its port (got '" + line + "'); did `cd tools && npm ci` run?";
    stop();
    return false;
  }
  port_ = std::atoi(line.c_str() + 5);
  return true;
}

void S3rverProcess::kill_now() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

bool S3rverProcess::restart() {
  kill_now();
  return start(port_);
}

void S3rverProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

S3ClientOptions S3rverProcess::client_options() const {
  S3ClientOptions o;
  o.credentials = {kAccessKey, kSecretKey, "", "test"};
  o.endpoint = endpoint();
  o.region = "us-east-1";
  o.retry.max_attempts = 3;
  o.retry.base_delay = std::chrono::milliseconds(20);
  o.retry.max_delay = std::chrono::milliseconds(200);
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.part_size = std::size_t{5} << 20;
  o.max_in_flight = 3;
  o.threads = 4;
  return o;
}

}  // namespace baton::aws::testing

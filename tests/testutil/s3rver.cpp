#include "testutil/s3rver.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace baton::testing {

namespace {

std::string script_path() { return std::string(BATON_SOURCE_DIR) + "/tests/s3/s3rver.js"; }

}  // namespace

bool node_available() {
  const int status = std::system("command -v node >/dev/null 2>&1");
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

S3rverProcess::S3rverProcess(std::vector<std::string> buckets, std::string service_endpoint,
                             const std::filesystem::path& parent)
    : buckets_(std::move(buckets)), service_endpoint_(std::move(service_endpoint)) {
  try {
    dir_ = std::make_unique<TempDir>("s3rver", parent);
  } catch (const std::exception& e) {
    error_ = e.what();
    return;
  }
  start(0);
}

S3rverProcess::~S3rverProcess() { stop(); }

const std::string& S3rverProcess::directory() const {
  static const std::string none;
  return dir_ != nullptr ? dir_->str() : none;
}

bool S3rverProcess::start(int port) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    error_ = "pipe failed";
    return false;
  }
  std::vector<std::string> args = {"node", "--openssl-legacy-provider", script_path(), "--dir", directory()};
  args.insert(args.end(), {"--port", std::to_string(port), "--key", kS3AccessKey, "--secret", kS3SecretKey});
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

aws::S3ClientOptions S3rverProcess::client_options() const {
  aws::S3ClientOptions o;
  o.credentials = {kS3AccessKey, kS3SecretKey, "", "test"};
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

}  // namespace baton::testing

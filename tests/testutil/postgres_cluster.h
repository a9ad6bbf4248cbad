#pragma once
// A throwaway PostgreSQL 15 cluster for tests: initdb into a temporary
// directory, started on a free loopback port with a private socket directory,
// fsync off; stopped and removed by the destructor. As root, the server
// programs run as the `postgres` user (runuser), which PostgreSQL requires.
#include <memory>
#include <string>

namespace baton::testing {

class PostgresCluster {
 public:
  // Starts a cluster, or returns nullptr with `why_not` set when the PostgreSQL
  // binaries are not installed (tests then skip with that message). Any other
  // failure (initdb or start failing) is reported as a test failure by callers
  // through `why_not` too, prefixed "failed:".
  static std::unique_ptr<PostgresCluster> start(std::string& why_not);
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  int port() const { return port_; }
  // postgresql://postgres@127.0.0.1:PORT/DB
  std::string url(const std::string& database = "postgres") const;
  // A new empty database; returns its URL.
  std::string create_database();
  // pg_ctl stop (fast) / start again on the same port and data.
  void stop();
  void restart();
  bool running() const { return running_; }

 private:
  PostgresCluster() = default;
  bool pg_ctl(const std::string& action, std::string* output = nullptr);
  // A watchdog process that stops the cluster and removes its directory when
  // this process dies without running the destructor (a test killed by a
  // timeout): it waits for EOF on a pipe only this process holds.
  void start_watchdog();
  int watchdog_fd_ = -1;
  int watchdog_pid_ = -1;
  std::string dir_;
  int port_ = 0;
  bool running_ = false;
  int databases_ = 0;
};

// The cluster shared by every test of one binary, started on first use and
// stopped at exit. nullptr when PostgreSQL is not installed (see why_not).
PostgresCluster* shared_postgres(std::string& why_not);

// The directory of the PostgreSQL server binaries, or "" if absent.
std::string postgres_bin_dir();

}  // namespace baton::testing

#pragma once
// A throwaway PostgreSQL 15 cluster for the tests that run the server on it:
// initdb (trust, no sync) into a temporary directory, started with pg_ctl on a
// free loopback port and a private socket directory, stopped and deleted with the
// object. As root, the PostgreSQL programs run as the user `postgres`.
#include <string>

namespace baton::testing {

class PostgresCluster {
 public:
  PostgresCluster();
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // Empty when the cluster runs; else why it does not (the tests then fail with it).
  const std::string& error() const { return error_; }
  // A new empty database; its URL (postgresql://postgres@127.0.0.1:PORT/NAME), or "" on failure.
  std::string create_database(const std::string& name);

 private:
  std::string run_as_postgres(const std::string& command);

  std::string dir_;
  int port_ = 0;
  bool started_ = false;
  std::string error_;
};

}  // namespace baton::testing

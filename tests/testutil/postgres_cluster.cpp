#include "testutil/postgres_cluster.h"

#include "testutil/process.h"

#include <libpq-fe.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace baton::testing {

namespace {

// As root, PostgreSQL's programs must run as another user.
std::vector<std::string> as_postgres(std::vector<std::string> argv) {
  if (::geteuid() != 0) return argv;
  std::vector<std::string> out = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

}  // namespace

std::string postgres_bin_dir() {
  for (const char* dir : {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/14/bin"}) {
    if (std::filesystem::exists(std::filesystem::path(dir) / "pg_ctl")) return dir;
  }
  return {};
}

std::unique_ptr<PostgresCluster> PostgresCluster::start(std::string& why_not) {
  const std::string bin = postgres_bin_dir();
  if (bin.empty()) {
    why_not = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl; apt-get install postgresql)";
    return nullptr;
  }
  std::unique_ptr<PostgresCluster> c(new PostgresCluster());
  char tmpl[] = "/tmp/baton-pg-XXXXXX";
  if (!::mkdtemp(tmpl)) {
    why_not = "failed: cannot make a temporary directory";
    return nullptr;
  }
  c->dir_ = tmpl;
  if (::geteuid() == 0) {
    Output id = run({"/usr/bin/id", "-u", "postgres"});
    Output gid = run({"/usr/bin/id", "-g", "postgres"});
    if (id.exit_code != 0 || ::chown(c->dir_.c_str(), static_cast<uid_t>(std::atoi(id.out.c_str())),
                                     static_cast<gid_t>(std::atoi(gid.out.c_str()))) != 0) {
      why_not = "failed: running as root, but there is no user 'postgres' to run PostgreSQL as";
      return nullptr;
    }
  }
  Output init = run(as_postgres({bin + "/initdb", "-A", "trust", "--no-sync", "-U", "postgres", "-E", "UTF8",
                                 "--locale=C", "-D", c->dir_ + "/data"}));
  if (init.exit_code != 0) {
    why_not = "failed: initdb: " + init.err + init.out;
    return nullptr;
  }
  c->port_ = free_loopback_port();
  c->start_watchdog();
  c->restart();
  if (!c->running_) {
    why_not = "failed: pg_ctl start did not start PostgreSQL (see " + c->dir_ + "/log)";
    return nullptr;
  }
  return c;
}

bool PostgresCluster::pg_ctl(const std::string& action, std::string* output) {
  const std::string bin = postgres_bin_dir();
  std::vector<std::string> argv = {bin + "/pg_ctl", action, "-w", "-D", dir_ + "/data", "-l", dir_ + "/log"};
  if (action == "start") {
    argv.push_back("-o");
    argv.push_back("-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " + dir_ +
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");
  } else if (action == "stop") {
    argv.insert(argv.end(), {"-m", "fast"});
  }
  Output o = run(as_postgres(argv), {}, std::chrono::seconds(60));
  if (output) *output = o.out + o.err;
  return o.exit_code == 0;
}

void PostgresCluster::stop() {
  if (running_ && pg_ctl("stop")) running_ = false;
}

void PostgresCluster::restart() {
  if (!running_) running_ = pg_ctl("start");
}

void PostgresCluster::start_watchdog() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  const std::string script = "runuser -u postgres -- '" + postgres_bin_dir() + "/pg_ctl' stop -m immediate -D '" +
                             dir_ + "/data' >/dev/null 2>&1; rm -rf '" + dir_ + "'";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();  // outlives a kill of this process's group
    ::close(fds[1]);
    char byte;
    while (::read(fds[0], &byte, 1) > 0) {
    }
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[0]);
  watchdog_fd_ = fds[1];  // close-on-exec: programs the tests start do not hold it
  watchdog_pid_ = pid;
}

PostgresCluster::~PostgresCluster() {
  if (running_) {
    run(as_postgres({postgres_bin_dir() + "/pg_ctl", "stop", "-w", "-m", "immediate", "-D", dir_ + "/data"}));
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  if (watchdog_fd_ >= 0) {
    ::close(watchdog_fd_);  // the watchdog finds nothing left to do
    ::waitpid(watchdog_pid_, nullptr, 0);
  }
}

std::string PostgresCluster::url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresCluster::create_database() {
  const std::string name = "test_" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
  PGconn* c = PQconnectdb(url().c_str());
  if (PQstatus(c) == CONNECTION_OK) PQclear(PQexec(c, ("CREATE DATABASE " + name).c_str()));
  PQfinish(c);
  return url(name);
}

PostgresCluster* shared_postgres(std::string& why_not) {
  static std::once_flag once;
  static std::unique_ptr<PostgresCluster> cluster;
  static std::string reason;
  std::call_once(once, [] {
    cluster = PostgresCluster::start(reason);
    // Stopped at exit even when a test fails.
    std::atexit([] { cluster.reset(); });
  });
  why_not = reason;
  return cluster.get();
}

}  // namespace baton::testing

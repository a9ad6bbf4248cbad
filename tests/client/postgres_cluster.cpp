#include "postgres_cluster.h"

#include "server_fixture.h"
#include "testutil/process.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace baton::testing {

namespace {
const std::string kBin = "/usr/lib/postgresql/15/bin/";
}

std::string PostgresCluster::run_as_postgres(const std::string& command) {
  // std::system, not testutil's run(): the postmaster outlives the command and
  // would hold run()'s pipes open (it inherits every descriptor of the child).
  const std::string out = dir_ + "/command.out";
  const std::string script = dir_ + "/command.sh";  // a file: no quoting of quotes
  { std::ofstream(script) << "(" << command << ") >'" << out << "' 2>&1 </dev/null\n"; }
  const std::string full = (geteuid() == 0 ? "/usr/sbin/runuser -u postgres -- " : "") + std::string("/bin/sh '") + script + "'";
  if (std::system(full.c_str()) == 0) return {};
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  return command + ": " + text.str();
}

PostgresCluster::PostgresCluster() {
  if (!std::filesystem::exists(kBin + "initdb")) {
    error_ = "PostgreSQL 15 is not installed (" + kBin + "initdb); see scripts/install-deps.sh";
    return;
  }
  char tmpl[] = "/tmp/baton-client-pg-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    error_ = "cannot create a temporary directory for PostgreSQL";
    return;
  }
  dir_ = tmpl;
  if (geteuid() == 0) {
    passwd* pw = getpwnam("postgres");
    if (pw == nullptr || chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      error_ = "there is no user postgres to run PostgreSQL as";
      return;
    }
  }
  port_ = closed_port();
  error_ = run_as_postgres(kBin + "initdb -A trust --no-sync -U postgres -D '" + dir_ + "/data'");
  if (!error_.empty()) return;
  error_ = run_as_postgres(kBin + "pg_ctl -w -D '" + dir_ + "/data' -l '" + dir_ + "/log' start -o \"-c listen_addresses=127.0.0.1 -p " +
                           std::to_string(port_) + " -k '" + dir_ + "' -c fsync=off\"");
  started_ = error_.empty();
}

PostgresCluster::~PostgresCluster() {
  if (started_) run_as_postgres(kBin + "pg_ctl -w -D '" + dir_ + "/data' stop -m immediate");
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

std::string PostgresCluster::create_database(const std::string& name) {
  if (!error_.empty()) return {};
  std::string err = run_as_postgres(kBin + "createdb -h 127.0.0.1 -p " + std::to_string(port_) + " -U postgres " + name);
  if (!err.empty()) {
    error_ = err;
    return {};
  }
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

}  // namespace baton::testing

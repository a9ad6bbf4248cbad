#pragma once
// Running the node reference tools (DuckDB, arrow-rs) from a test. The tools
// live in <source>/tools/node_modules (`cd tools && npm ci`); a test that
// needs them fails with a message saying what is missing, never skips
// silently.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace baton::testing {

inline std::string tools_dir() { return std::string(BATON_SOURCE_DIR) + "/tools"; }

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout
};

// Runs a shell command, capturing stdout (stderr passes through).
inline CommandResult run_command(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 65536> buf;
  size_t k;
  while ((k = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), k);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

// Empty if node and the npm packages are there, else what is missing.
inline std::string node_tools_missing() {
  if (run_command("command -v node >/dev/null 2>&1").exit_code != 0) return "node is not installed (scripts/install-deps.sh)";
  for (const char* m : {"@duckdb/node-api", "parquet-wasm"})
    if (!std::filesystem::exists(tools_dir() + "/node_modules/" + m))
      return std::string("npm package ") + m + " is missing from " + tools_dir() + "/node_modules (run: cd tools && npm ci)";
  return {};
}

// A fresh directory for the running test: ctest runs test cases as parallel
// processes, so the name includes the test's own name and the process id.
inline std::filesystem::path test_tmp_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string leaf = name + "." + (info != nullptr ? info->name() : "none") + "." + std::to_string(::getpid());
  std::filesystem::path d = std::filesystem::path(BATON_TEST_TMP) / leaf;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace baton::testing

#pragma once
// A fresh, empty directory for one test, removed with everything in it when the
// object goes. It is created under $BATON_TEST_TMP when set, else under the build
// tree (<build>/test-tmp: on the project's disk, not a small /tmp, since some
// tests write large payloads). ctest runs test cases as parallel processes, so
// every directory has a unique name (mkdtemp).
#include <filesystem>
#include <string>
#include <string_view>

namespace baton::testing {

class TempDir {
 public:
  // `prefix` names the directory (<prefix>-XXXXXX) so a leftover says whose it
  // is; `parent` (created if missing) overrides test_tmp_root(). Throws
  // std::runtime_error, naming the path, when the directory cannot be made.
  explicit TempDir(std::string_view prefix = "baton-test", const std::filesystem::path& parent = {});
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The same path as a string, for environment variables and shell commands.
  const std::string& str() const { return str_; }

 private:
  std::filesystem::path path_;
  std::string str_;
};

// Where TempDirs are created: $BATON_TEST_TMP, else <build>/test-tmp. Created if missing.
std::filesystem::path test_tmp_root();

}  // namespace baton::testing

#include "testutil/temp_dir.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace baton::testing {

std::filesystem::path test_tmp_root() {
  const char* env = std::getenv("BATON_TEST_TMP");
  std::filesystem::path root =
      env != nullptr && *env != '\0' ? std::filesystem::path(env) : std::filesystem::path(BATON_TESTUTIL_TMP);
  std::filesystem::create_directories(root);
  return root;
}

TempDir::TempDir(std::string_view prefix, const std::filesystem::path& parent) {
  if (!parent.empty()) std::filesystem::create_directories(parent);
  const std::filesystem::path root = parent.empty() ? test_tmp_root() : parent;
  std::string pattern = (root / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory " + pattern + ": " + std::strerror(errno));
  }
  path_ = pattern;
  str_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;  // a destructor must not throw; a leftover is harmless
  std::filesystem::remove_all(path_, ec);
}

}  // namespace baton::testing

#include "s3rver_fixture.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace baton::aws::testing {

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

}  // namespace baton::aws::testing

#include <baton/run_id.h>

#include <pthread.h>

#include <atomic>

#include <random>

namespace baton {

namespace {

// splitmix64-seeded xoshiro256**: fast, per thread, no locking on the hot path.
struct Xoshiro {
  std::uint64_t s[4];
  explicit Xoshiro(std::uint64_t seed) {
    for (auto& x : s) {
      seed += 0x9E3779B97F4A7C15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      x = z ^ (z >> 31);
    }
  }
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

std::uint64_t fresh_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

// Bumped in every forked child (pthread_atfork), so a generator can tell it was
// copied by fork without asking the kernel for its pid on every id (getpid was
// four system calls per run id, about a tenth of a task's orchestration time).
std::atomic<unsigned> g_fork_generation{0};
void forked_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Reseeded after a fork: a forked child must not repeat its parent's ids.
Xoshiro& generator() {
  static const bool registered = (pthread_atfork(nullptr, nullptr, forked_child), true);
  (void)registered;
  thread_local Xoshiro gen(fresh_seed());
  thread_local unsigned seen = g_fork_generation.load(std::memory_order_relaxed);
  if (unsigned now = g_fork_generation.load(std::memory_order_relaxed); now != seen) {
    gen = Xoshiro(fresh_seed());
    seen = now;
  }
  return gen;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

RunId RunId::random() {
  RunId id{generator().next(), generator().next()};
  id.hi = (id.hi & ~0xF000ull) | 0x4000ull;                        // version 4
  id.lo = (id.lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // RFC 4122 variant
  return id;
}

std::string RunId::str() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
    std::uint64_t word = i < 16 ? hi : lo;
    int shift = 60 - 4 * (i % 16);
    out[pos++] = kHex[(word >> shift) & 0xF];
  }
  return out;
}

std::optional<RunId> RunId::parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  RunId id;
  int digits = 0;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
      if (text[pos] != '-') return std::nullopt;
      continue;
    }
    int v = hex_value(text[pos]);
    if (v < 0) return std::nullopt;
    std::uint64_t& word = digits < 16 ? id.hi : id.lo;
    word = (word << 4) | static_cast<std::uint64_t>(v);
    ++digits;
  }
  return id;
}

}  // namespace baton

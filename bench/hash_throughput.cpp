// Hashing a 1 GiB buffer through the cache-key code path (fingerprint_of on a
// contiguous byte vector, then a cache policy key from that fingerprint), next to
// memcpy of the same buffer in the same run. Target: at least 80% of memcpy.
// Also shown: libxxhash's plain XXH3 entry point (Debian builds it for SSE2), to
// show what the *_dispatch entry points buy. Quick mode (BATON_BENCH_QUICK=1):
// 128 MiB and 3 runs (the figures are rates, so they keep their names).
#include <baton/cache_policy.h>
#include <baton/fingerprint.h>

#include "bench_support.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

template <class F>
double median_seconds(int runs, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    f();
    t.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main() {
  const std::size_t kSize = baton::bench::pick(std::size_t{1} << 30, std::size_t{128} << 20);
  const int kRuns = baton::bench::pick(7, 3);
  std::vector<std::byte> src(kSize);
  std::vector<std::byte> dst(kSize);
  for (std::size_t i = 0; i < kSize; i += 8) {
    const std::uint64_t v = i * 0x9E3779B97F4A7C15ull;
    std::memcpy(src.data() + i, &v, 8);
  }
  std::memset(dst.data(), 1, kSize);  // fault the pages in before timing

  volatile std::uint64_t sink = 0;
  const double t_memcpy = median_seconds(kRuns, [&] {
    std::memcpy(dst.data(), src.data(), kSize);
    sink = sink + static_cast<std::uint64_t>(dst[kSize / 3]);
  });

  const double t_key = median_seconds(kRuns, [&] {
    // What the engine does for an argument without a remembered fingerprint.
    const baton::Fingerprint f = baton::fingerprint_of(src);
    const baton::cache::Argument args[] = {{"data", f}};
    const baton::cache::KeyContext ctx{"transform", "source", baton::RunId{1, 2}, std::nullopt, args};
    const auto key = baton::cache::Policy(baton::cache::inputs + baton::cache::task_source).compute_key(ctx);
    sink = sink + key->size();
  });

  const double t_plain = median_seconds(kRuns, [&] {
    const XXH128_hash_t h = XXH3_128bits(src.data(), kSize);
    sink = sink + h.low64;
  });

  // The same amount of hashing over a 256 KiB buffer that stays in cache: the
  // compute speed of each entry point, without memory bandwidth as the ceiling.
  constexpr std::size_t kSmall = 256 * 1024;
  const double t_key_hot = median_seconds(kRuns, [&] {
    baton::Hasher h;
    for (std::size_t done = 0; done < kSize; done += kSmall) h.update(src.data(), kSmall);
    sink = sink + h.digest().lo;
  });
  const double t_plain_hot = median_seconds(kRuns, [&] {
    XXH3_state_t* state = XXH3_createState();
    XXH3_128bits_reset(state);
    for (std::size_t done = 0; done < kSize; done += kSmall) XXH3_128bits_update(state, src.data(), kSmall);
    sink = sink + XXH3_128bits_digest(state).low64;
    XXH3_freeState(state);
  });

  const double gb = static_cast<double>(kSize) / 1e9;
  std::printf("bench memcpy_1gib %.2f GB/s\n", gb / t_memcpy);
  std::printf("bench cache_key_hash_1gib %.2f GB/s\n", gb / t_key);
  std::printf("bench xxh3_plain_entry_1gib %.2f GB/s\n", gb / t_plain);
  std::printf("bench hasher_in_cache %.2f GB/s\n", gb / t_key_hot);
  std::printf("bench xxh3_plain_entry_in_cache %.2f GB/s\n", gb / t_plain_hot);
  std::printf("bench cache_key_hash_vs_memcpy %.2f ratio (target >= 0.80)\n", t_memcpy / t_key);
  std::printf("bench dispatch_vs_plain_entry_in_cache %.2f ratio\n", t_plain_hot / t_key_hot);
  return 0;
}
